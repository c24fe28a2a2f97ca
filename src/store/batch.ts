// One commit's worth of writes, as plain data (it may cross to the writer thread).

import type { Output } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { FileRecord, StoreWriter, UnknownLine } from './writer.js';

export interface WriteBatch {
  readonly output: Output;
  readonly sessions: readonly Session[];
  readonly unknowns: readonly UnknownLine[];
  readonly state: ReadonlyArray<readonly [string, unknown]>;
  readonly files: readonly FileRecord[];
}

/** Everything in one transaction: the data and the state it leads to. */
export function applyBatch(w: StoreWriter, b: WriteBatch): void {
  w.transaction(() => {
    w.output(b.output);
    for (const s of b.sessions) w.session(s);
    for (const u of b.unknowns) w.unknown(u);
    for (const [name, value] of b.state) w.putState(name, value);
    for (const f of b.files) w.fileDone(f);
  });
}
