// One commit's worth of writes, as plain data.

import type { Output } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { Notice } from '../correlate/correlator.js';
import type { FilePosition, UnknownLine } from '../ingest/pipeline.js';
import type { StoreWriter } from './writer.js';

export interface WriteBatch {
  readonly output: Output;
  readonly notices: readonly Notice[];
  readonly sessions: readonly Session[];
  readonly unknowns: readonly UnknownLine[];
  readonly state: ReadonlyArray<readonly [string, unknown]>;
  readonly positions: readonly FilePosition[];
}

/** One commit's writes: the data, the state and the file positions it leads to (the caller holds the transaction). */
export function applyBatch(w: StoreWriter, b: WriteBatch): void {
  w.output(b.output);
  for (const n of b.notices) w.notice(n);
  for (const s of b.sessions) w.session(s);
  for (const u of b.unknowns) w.unknown(u);
  for (const [name, value] of b.state) w.putState(name, value);
  for (const p of b.positions) w.putPosition(p);
}
