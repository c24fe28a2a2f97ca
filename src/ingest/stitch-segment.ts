// The end of an older segment: each host's seam is stitched to the present (correlate/stitch.ts
// decides, store/stitch.ts reads and writes), inside the segment's last commit. Afterwards the
// segment is part of the present, as if its lines had been read first.

import { QP_WINDOW_US } from '../correlate/windows.js';
import { currentSnapshot, decodeQp, encodeQp, type Correlator, type CorrelatorSnapshot, type HostSnapshot, type QpRow } from '../correlate/correlator.js';
import { inSnapshot, joinSessions, prependToSnapshot, takeOver, type Session, type SessionCorrelator } from '../correlate/sessions.js';
import { stitchSeam } from '../correlate/stitch.js';
import { keyOf, messageKey, parseKey } from '../correlate/timeline.js';
import type { IngestStore } from '../store/port.js';
import { sessionKey, type StoreWriter } from '../store/writer.js';
import { linkWindow } from './link-window.js';

export interface StitchCounts {
  messages: number;    // timelines joined across the seam
  sessions: number;    // sessions joined across the seam
  deliveries: number;  // running deliveries that found their result after the seam
  links: number;       // bounces and forwards that found their copy after the seam
  lost: number;        // open at the seam, their id reused after it
}

/** How long after a seam a running delivery's result may still come (qmail-remote's timeouts are minutes). */
const RESULT_HORIZON_US = 24 * 3600 * 1_000_000;

/**
 * Before a segment's sessions are closed: each one still open whose later part (begun without
 * its start, after the seam) kept its events gets them again, in order, so the dialogue reads as
 * in one pass. When the present still holds the later part in its state (the connection is in
 * progress there), the continued session replaces it there and the present goes on with it.
 * Returns the later parts' keys (their rows go in the same commit), the sessions handed to the
 * present as they stand now (to store), and the present's state when it changed.
 */
export function replaySeams(store: IngestStore, w: StoreWriter, sessions: SessionCorrelator):
  { drop: string[]; handed: Session[]; present: unknown } {
  const present = w.getState<unknown>('sessions');
  const drop: string[] = [];
  const handed: Session[] = [];
  for (const o of sessions.openAtSeam()) {
    const later = store.laterSession({ host: o.host, stream: o.stream, pid: o.pid } as Session, o.lastSeen);
    if (later === undefined || later.session.seam?.complete !== true) continue;
    for (const [time, ev] of later.session.seam.events) sessions.push(time, o.host, o.stream, ev);
    drop.push(later.key);
    const l = later.session;
    if (inSnapshot(present, l.host, l.stream, l.pid, l.start)) {
      const h = sessions.handOver(o.host, o.stream, o.pid);
      if (h !== undefined && takeOver(present, l.start, h)) handed.push(h.now);
    }
  }
  return { drop, handed, present: handed.length > 0 ? present : undefined };
}

export function stitchSegment(store: IngestStore, w: StoreWriter, segment: number, c: Correlator, written: readonly Session[]): StitchCounts {
  const n: StitchCounts = { messages: 0, sessions: 0, deliveries: 0, links: 0, lost: 0 };
  // the present's state (made here when the present has none yet: the older lines may be all there is)
  const snap: CorrelatorSnapshot = currentSnapshot(w.getState<unknown>('correlator')) ?? { version: 4, hosts: [] };
  for (const b of c.seams()) {
    const after = store.afterSeam(w, b.host, b.seam, segment, b.open.map((t) => t.msg), b.wanted.map((x) => x.qp),
      b.seam + Math.max(RESULT_HORIZON_US, QP_WINDOW_US));
    const r = stitchSeam(b, after);
    let hs = snap.hosts.find((h) => h.host === b.host);
    if (hs === undefined) {
      hs = { host: b.host, run: b.run, lastDid: b.lastDid, inflight: [], last: null, keysAt: null, keys: [] };
      (snap.hosts as HostSnapshot[]).push(hs);
    }
    const base = hs.last ?? 0;
    let recent = decodeQp(hs.host, hs.recentInfo ?? [], base);
    let wanted = decodeQp(hs.host, hs.wanted ?? [], base);
    for (const j of r.joined) {
      store.dropJoined(j);
      n.messages++;
      // the present's state names the later timeline: it names the joined one now
      const from = keyOf(j.from), into = keyOf(j.into);
      hs.inflight = hs.inflight.map(([did, key, i]) => (key === from ? [did, into, i + j.shift] : [did, key, i]));
      const ref = parseKey(into)!;
      const rename = (q: QpRow): QpRow => (messageKey(q.ref.host, q.ref.first, q.ref.msg, q.ref.dup) === from ? { ...q, ref } : q);
      recent = recent.map(rename);
      wanted = wanted.map(rename);
    }
    for (const t of r.changed) w.timeline(t);
    for (const o of r.usedOrphans) store.dropOrphan(o);
    n.deliveries += r.usedOrphans.length;
    n.links += r.links.length;
    n.lost += r.lost.length;
    w.output({ timelines: [], links: [...r.links], orphans: [], notices: [...r.notices], statuses: [] });
    const running = new Set(hs.inflight.map(([did]) => did));
    for (const e of r.stillRunning) if (!running.has(e[0])) hs.inflight.push([e[0], e[1], e[2]]);
    // a bounce or forward still waiting for its copy waits on in the present
    const linked = new Set(r.links.map((l) => l.from));
    const waiting = new Set(wanted.map((q) => q.qp));
    for (const x of b.wanted) {
      const ref = parseKey(x.key);
      if (ref !== undefined && !linked.has(x.key) && !waiting.has(x.qp)) wanted.push({ qp: x.qp, at: x.at, ref, kind: x.kind });
    }
    hs.recentInfo = encodeQp(recent, base);
    hs.wanted = encodeQp(wanted, base);
  }
  w.putState('correlator', snap);
  // sessions still open at the seam and their later part, by pid
  const present = w.getState<unknown>('sessions');
  let presentChanged = false;
  for (const s of written) {
    if (!s.open || s.endSeen) continue;
    const later = store.laterSession(s, s.lastSeen);
    if (later === undefined) continue; // replayed already (replaySeams), or nothing continues it
    const joined = joinSessions(s, later.session);
    const key = sessionKey(joined);
    store.dropSession(later.key, key);
    w.session(joined);
    if (later.session.open && prependToSnapshot(present, s, later.session.start)) presentChanged = true;
    linkWindow(store, w, [joined], []);
    n.sessions++;
  }
  if (presentChanged) w.putState('sessions', present);
  store.closeSegment(segment);
  w.putState('segments', (w.getState<number[]>('segments') ?? []).filter((x) => x !== segment));
  return n;
}
