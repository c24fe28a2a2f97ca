// Older history read after newer: the older lines were correlated on their own (a segment), and
// here they meet the newer ones at the seam, as a one-shot read in time order would have met them.
// qmail cannot reuse a message id before its `end msg`, so a message still open at the end of
// the older lines and the first timeline with its id after them are one message when that one
// began without its `new msg` (partial); when it began with one, the older was lost. Deliveries
// running at the seam get the results logged after it (stored there as orphans), unless
// qmail-send restarted first. Bounces and forwards still waiting for their copy find it by qp.
// Pure: what the store holds on either side in, what to change out.

import type { MsgId } from '../../parsers/ids.js';
import { QP_WINDOW_US } from './windows.js';
import { type Link, type LinkKind, type Notice, type OrphanResult } from './correlator.js';
import { keyOf, recipientsOf, type Delivery, type Timeline } from './timeline.js';

export interface InFlightAtSeam { readonly did: number; readonly t: Timeline; readonly d: Delivery }
export interface WantedAtSeam { readonly qp: number; readonly key: string; readonly at: number; readonly kind: LinkKind }

/** A message after the seam that a waiting bounce or forward could be. */
export interface Candidate { readonly key: string; readonly qp: number; readonly first: number; readonly from: string | null }

export interface SeamBefore {
  readonly host: string;
  readonly seam: number;                       // the newest time of the older lines
  readonly run: number;                        // the qmail-send run there, and its last delivery id
  readonly lastDid: number;
  readonly open: readonly Timeline[];          // still open there
  readonly inflight: readonly InFlightAtSeam[];
  readonly wanted: readonly WantedAtSeam[];
}

export interface SeamAfter {
  /** Per message id of an open older timeline: the first timeline with that id after the seam. */
  readonly next: ReadonlyMap<MsgId, Timeline>;
  readonly orphans: readonly OrphanResult[];   // results after the seam whose start was not seen, in time order
  readonly restartAt: number | null;           // the first qmail-send restart after the seam
  readonly candidates: readonly Candidate[];   // messages after the seam whose qp a waiting link names
}

export interface Joined {
  readonly into: Timeline;                     // the older timeline, now holding both
  readonly from: Timeline;                     // the later one: its row goes, its key becomes into's
  readonly shift: number;                      // its deliveries now start at this index
}

export interface SeamResult {
  readonly joined: readonly Joined[];
  readonly lost: readonly Timeline[];
  readonly changed: readonly Timeline[];       // older timelines to write again (joined, lost, given results)
  readonly usedOrphans: readonly OrphanResult[];
  readonly stillRunning: ReadonlyArray<readonly [number, string, number]>; // [did, key, index] for the present's state
  readonly links: readonly Link[];
  readonly notices: readonly Notice[];
}

export function stitchSeam(b: SeamBefore, a: SeamAfter): SeamResult {
  const changed = new Set<Timeline>();
  const usedOrphans: OrphanResult[] = [];
  const stillRunning: Array<[number, string, number]> = [];
  // 1. running deliveries: their result, the restart that interrupted them, or still running
  const byDid = new Map<number, OrphanResult>();
  for (const o of a.orphans) {
    if (a.restartAt !== null && o.at >= a.restartAt) break;
    if (!byDid.has(o.did)) byDid.set(o.did, o);
  }
  for (const f of b.inflight) {
    const o = byDid.get(f.did);
    const d = f.d;
    if (o !== undefined) {
      byDid.delete(f.did);
      usedOrphans.push(o);
      d.finished = o.at; d.result = o.result; d.reason = o.reason; d.smtpCode = o.smtpCode; d.dsn = o.dsn;
      d.remoteIp = o.remoteIp; d.tooLong = o.tooLong; d.forwardQp = o.forwardQp;
    } else if (a.restartAt !== null) {
      d.finished = a.restartAt; d.result = 'interrupted'; d.reason = 'qmail-send stopped during the delivery';
    } else {
      continue; // no word of it yet: the present's state carries it on (index set below)
    }
    changed.add(f.t);
  }
  // 2. open messages meet their continuation
  const joined: Joined[] = [];
  const lost: Timeline[] = [];
  const notices: Notice[] = [];
  for (const p of b.open) {
    const f = a.next.get(p.msg);
    if (f === undefined) continue;
    if (!f.partial) {
      p.lost = true;
      lost.push(p);
      changed.add(p);
      notices.push({ host: p.host, at: f.firstSeen, level: 'qtrace',
        text: `msg ${p.msg} reused by a new message before its end msg; the earlier one is marked lost` });
      continue;
    }
    const shift = p.deliveries.length;
    for (const d of f.deliveries) p.deliveries.push({ ...d });
    p.ended = f.ended; p.lost = f.lost;
    p.bytes ??= f.bytes; p.from ??= f.from; p.qp ??= f.qp; p.uid ??= f.uid; p.info ??= f.info;
    p.bounceQp = f.bounceQp ?? p.bounceQp;
    p.tripleBounce ||= f.tripleBounce;
    joined.push({ into: p, from: f, shift });
    changed.add(p);
  }
  for (const f of b.inflight) {
    if (f.d.result === null && !f.t.lost) stillRunning.push([f.did, keyOf(f.t), f.t.deliveries.indexOf(f.d)]);
  }
  for (const t of changed) t.recipients = recipientsOf(t.deliveries);
  // 3. a bounce or a forward whose copy was queued after the seam
  const links: Link[] = [];
  const taken = new Set<string>();
  for (const w of b.wanted) {
    let best: Candidate | undefined;
    for (const c of a.candidates) {
      if (c.qp !== w.qp || c.first < w.at || c.first - w.at > QP_WINDOW_US || taken.has(c.key) || c.key === w.key) continue;
      if (w.kind === 'bounce' && c.from !== '' && c.from !== '#@[]') continue;
      if (best === undefined || c.first < best.first) best = c;
    }
    if (best !== undefined) {
      taken.add(best.key);
      links.push({ kind: w.kind, from: w.key, to: best.key, qp: w.qp });
    }
  }
  return { joined, lost, changed: [...changed], usedOrphans, stillRunning, links, notices };
}
