// The live observer of an ingest: turns each commit's events and ended messages into records and
// hands them on (printer, metrics) only once they are stored, so what is shown is in the store.
// A summary names its SMTP session as the store links it: the links each commit made (exact
// and inferred) arrive with the commit, beside the sessions it stored.

import type { Link } from '../correlate/correlator.js';
import { keyOf, type Timeline } from '../correlate/timeline.js';
import type { Session } from '../correlate/sessions.js';
import type { IngestStats } from '../ingest/pipeline.js';
import type { IngestObserver, StoredCommit } from '../ingest/to-store.js';
import { sessionKey } from '../store/writer.js';
import { endedTimelines, eventRecord, messageRecord, noticeRecord, resolveRecords, type EventRecord, type LiveRecord, type SessionRecord } from './records.js';

export interface LiveOptions {
  /** Called after each commit with its records, in log order (events first, then summaries). */
  readonly emit: (records: readonly LiveRecord[], sessions: readonly Session[], stats: Readonly<IngestStats>) => void;
}

/** A summary waits this long (log time, or wall time on a quiet log) for its bounce, forwards and session. */
const HOLD_LOG_US = 3_000_000;     // a session is closed (and seen here) 2 s of log time after its end
/** Closed sessions are kept this long (log time) for the exact links of later summaries. */
const SESSION_KEEP_US = 120_000_000;
const HOLD_WALL_MS = 1000;
/** A link whose message was summarised already is kept this long (log time), then dropped. */
const LINK_KEEP_US = 600_000_000;

interface Held { t: Timeline; key: string; since: number; session: SessionRecord | null; settled: boolean }

export function liveObserver(o: LiveOptions): IngestObserver {
  let pending: EventRecord[] = [];
  let pendingAt: number[] = [];          // their times in µs (sorting without parsing ISO back)
  // links of messages not summarised yet (a bounce is often queued after its original ended)
  const links = new Map<string, Link[]>();
  const seenAt = new Map<string, number>(); // key → log time its links came: a link to a message
  // summarised before it came is dropped after LINK_KEEP_US, so the map stays bounded
  let held: Held[] = [];
  let recent: Session[] = [];            // sessions stored lately, for the summaries that name them
  const byMessage = new Map<string, { open: boolean; record: SessionRecord }>(); // the store's links, by message
  let smtpd = false;
  let newest = -Infinity;
  const remember = (k: string, l: Link): void => {
    const a = links.get(k);
    seenAt.set(k, newest);
    if (a === undefined) links.set(k, [l]);
    else a.push(l);
  };
  const complete = (h: Held): boolean => {
    const ls = links.get(h.key) ?? [];
    if (h.t.bounceQp !== null && !ls.some((l) => l.kind === 'bounce' && l.from === h.key)) return false;
    for (const d of h.t.deliveries) {
      if (d.forwardQp !== null && !ls.some((l) => l.kind === 'forward' && l.from === h.key && l.qp === d.forwardQp)) return false;
    }
    // an inferred link may still become exact while its session is open: wait for it to close
    return !smtpd || h.settled || h.t.qp === null;
  };
  /** The store's links (made in the commit, exact and inferred), with the session they name. */
  const linkHeld = (want: Held[]): void => {
    for (const h of want) {
      const l = byMessage.get(h.key);
      if (l === undefined) continue;
      h.session = l.record;
      h.settled = l.record.link === 'exact' || !l.open;
    }
  };
  return {
    onEvent: (at, host, source, ev, raw) => {
      if (source === 'smtpd') smtpd = true;
      if (at > newest) newest = at;
      pending.push(eventRecord(at, host, source, ev, raw));
      pendingAt.push(at);
    },
    onCommit: (b: StoredCommit, sessions, stats, made) => {
      // the session a link names, as it stood when the link was made (a message may outlive it in the queue)
      for (const l of made) {
        const key = `${l.host}:${l.stream ?? ''}:${l.pid}:${l.start}`;
        const s = sessions.find((x) => sessionKey(x) === key) ?? recent.find((x) => sessionKey(x) === key);
        if (s === undefined) continue;
        byMessage.set(l.messageId, { open: s.open, record: { key, link: l.link, pid: s.pid, client_ip: s.client.ip,
          client_host: s.client.host, helo: s.helo?.arg ?? null, verdict: s.verdict } });
      }
      const events = pending;
      const ats = pendingAt;
      pending = [];
      pendingAt = [];
      resolveRecords(events, ats, b.output.timelines);
      const out: Timed[] = [];
      for (let i = 0; i < events.length; i++) out.push({ at: ats[i]!, r: events[i]! });
      for (const n of b.output.notices) if (n.level === 'qtrace') out.push({ at: n.at, r: noticeRecord(n) }); // after the line that caused it
      for (const x of b.output.links) {
        const l: Link = { kind: x.kind, from: x.from, to: x.to, qp: x.qp }; // kept for minutes: without the timelines
        remember(l.from, l); remember(l.to, l);
      }
      const now = Date.now();
      const ended = endedTimelines(b.output.timelines);
      for (const t of ended) held.push({ t, key: keyOf(t), since: now, session: null, settled: false });
      // a commit stores sessions in progress as they stand: the newest version of each replaces the last
      if (sessions.length > 0) {
        const now = new Set(sessions.map(sessionKey));
        recent = [...recent.filter((x) => !now.has(sessionKey(x))), ...sessions];
      }
      // only when something new could make a link: a session closed, or a message ended
      if (smtpd && byMessage.size > 0 && (made.length > 0 || ended.length > 0)) {
        const want = held.filter((h) => !h.settled && h.t.qp !== null);
        if (want.length > 0) linkHeld(want);
      }
      const keep: Held[] = [];
      for (const h of held) {
        const due = b.final || complete(h) || newest - (h.t.ended ?? h.t.firstSeen) > HOLD_LOG_US || now - h.since >= HOLD_WALL_MS;
        if (!due) { keep.push(h); continue; }
        const r = messageRecord(h.t, links.get(h.key) ?? [], h.session);
        out.push({ at: h.t.ended ?? Date.parse(r.time) * 1000, r });
      }
      // a link is kept until both of its messages are summarised
      for (const h of held) if (!keep.includes(h)) for (const l of links.get(h.key) ?? []) forget(l, h.key);
      held = keep;
      if (byMessage.size > 10_000) { // links of messages summarised already
        const waiting = new Set(held.map((h) => h.key));
        for (const m of byMessage.keys()) if (!waiting.has(m)) byMessage.delete(m);
      }
      // sessions stay while a message they queued could still be summarised (exact links: ±60 s)
      if (recent.length > 0 && (recent[0]!.end ?? recent[0]!.lastSeen) < newest - SESSION_KEEP_US) {
        recent = recent.filter((x) => (x.end ?? x.lastSeen) >= newest - SESSION_KEEP_US);
      }
      if (links.size > 1000) {
        for (const [k, at] of seenAt) if (at < newest - LINK_KEEP_US && !held.some((h) => h.key === k)) { links.delete(k); seenAt.delete(k); }
      }
      out.sort(byTime); // stable: a summary comes right after its `end msg`
      o.emit(out.map((x) => x.r), sessions, stats);
    },
  };

  function forget(l: Link, key: string): void {
    const a = links.get(key);
    if (a === undefined) return;
    const i = a.indexOf(l);
    if (i >= 0) a.splice(i, 1);
    if (a.length === 0) { links.delete(key); seenAt.delete(key); }
  }
}

interface Timed { at: number; r: LiveRecord }
const byTime = (x: Timed, y: Timed): number => x.at - y.at;
