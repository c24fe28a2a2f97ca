// The correlator's snapshot, stored as the `sessions:S` state: plain JSON of its open sessions,
// those in their grace period, the closed ones not yet drained, each stream's clock and the counts.
// Version 1 is what every qtrace so far has written; a new version must read the older ones.

import type { Session, SessionCorrelatorOptions, SessionStats } from './session-types.js';
import type { Closing, MSession } from './state.js';

export const SNAPSHOT_VERSION = 1;

export interface SessionSnapshot {
  v: number;
  opts: SessionCorrelatorOptions;
  open: MSession[];
  closing: Closing[];
  done: Session[];
  clock: Array<[string, number]>;              // `host\0stream` → latest time seen
  stats: SessionStats;
}

/** The snapshot in a value read back from the store; throws TypeError when it is none this code reads. */
export function readSnapshot(snap: unknown): SessionSnapshot {
  if (typeof snap !== 'object' || snap === null) throw new TypeError('session snapshot: not an object');
  const o = snap as Record<string, unknown>;
  if (o['v'] !== SNAPSHOT_VERSION || !Array.isArray(o['open']) || !Array.isArray(o['closing'])
    || !Array.isArray(o['done']) || !Array.isArray(o['clock']) || typeof o['opts'] !== 'object' || o['opts'] === null
    || typeof o['stats'] !== 'object' || o['stats'] === null) {
    throw new TypeError(`session snapshot: expected version ${SNAPSHOT_VERSION}`);
  }
  return o as unknown as SessionSnapshot;
}

/** The session lists of a snapshot (the seams edit them in place). */
export interface SnapshotLists { open?: MSession[]; closing?: Closing[] }

/** `host\0stream` of a clock entry, split back. */
export function splitStreamKey(k: string): [string, string] {
  const i = k.indexOf('\u0000');
  return i < 0 ? [k, ''] : [k.slice(0, i), k.slice(i + 1)];
}

export function streamKey(host: string, stream: string): string {
  return `${host}\u0000${stream}`;
}
