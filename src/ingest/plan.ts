// Which inputs continue the present and which are older history. A file never read whose first
// stamp lies before what the store already holds for its host is older history: it is read as a
// segment of its own (fresh correlators, state under `NAME:S`) before the present, then stitched
// to the present at its seam. A file's stored position says which segment it feeds.

import type { CorrelatorSnapshot } from '../correlate/correlator.js';
import type { StoreWriter } from '../store/writer.js';
import type { InputFile } from './inputs.js';
import type { Group } from './pipeline.js';

/** Tolerance before a new file counts as older than the store (copies differ by milliseconds). */
const SEAM_SLACK_US = 1_000_000;

/** The state table's name for a segment's snapshot (0, the present, has the plain name). */
export const stateName = (name: string, segment: number): string => (segment === 0 ? name : `${name}:${segment}`);

/** Where each host's history stands in the store (send side and sessions). */
function frontier(w: StoreWriter): Map<string, number> {
  const out = new Map<string, number>();
  const c = w.getState<CorrelatorSnapshot>('correlator');
  for (const h of c?.hosts ?? []) if (h.last !== null && h.last !== undefined) out.set(h.host.split('/')[0]!, h.last);
  const s = w.getState<{ clock?: Array<[string, number]> }>('sessions');
  for (const [k, us] of s?.clock ?? []) {
    const host = k.split('\u0000')[0]!;
    if (us > (out.get(host) ?? -Infinity)) out.set(host, us);
  }
  return out;
}

export interface Plan { readonly segment: number; readonly groups: Group[] }

/**
 * Which inputs continue the present, and which are older history: a file never read whose first
 * stamp lies before the store's frontier for its host (and the rest of its group, until a file
 * the store knows), or a file whose stored position says it feeds an unfinished segment.
 */
export function plan(w: StoreWriter, groups: readonly Group[], host: string): Plan[] {
  const front = frontier(w);
  const open = w.getState<number[]>('segments') ?? [];
  const bySegment = new Map<number, Group[]>();
  const add = (seg: number, g: Group): void => {
    if (Array.isArray(g) && g.length === 0) return;
    let l = bySegment.get(seg);
    if (l === undefined) bySegment.set(seg, (l = []));
    l.push(g);
  };
  const fresh = Math.max(0, ...open) + 1;
  for (const g of groups) {
    // a followed log (open-ended) continues the present: what it reads comes after the store
    if (!Array.isArray(g)) { add(0, g); continue; }
    let seg = -1;
    let cur: InputFile[] = [];
    for (const f of g as readonly InputFile[]) {
      const stored = f.fingerprint === undefined ? undefined : w.position(f.fingerprint);
      let s: number;
      if (stored !== undefined) s = open.includes(stored.segment) ? stored.segment : 0;
      else if (seg > 0) s = seg; // a group's new files after older history are more of it
      else if (f.kind !== 'stream' && f.firstUs !== undefined && f.firstUs < (front.get(f.syslogHost ?? host) ?? -Infinity) - SEAM_SLACK_US) s = fresh;
      else s = 0;
      if (s !== seg && cur.length > 0) { add(seg, cur); cur = []; }
      seg = s;
      cur.push(f);
    }
    add(seg, cur);
  }
  // older segments first, so each is stitched against what is already in place; the present last
  return [...bySegment.entries()].sort((a, b) => (a[0] === 0 ? 1 : b[0] === 0 ? -1 : a[0] - b[0]))
    .map(([segment, gs]) => ({ segment, groups: gs }));
}
