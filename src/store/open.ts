// Stored messages read back as timelines: the ones still in the queue for the correlator of the
// next run (by the messages_open index). Rows ↔ timelines: rows.ts.

import type { Timeline } from '../correlate/timeline.js';
import type { Db } from './db.js';
import { loadTimelines } from './rows.js';

export { loadTimelines } from './rows.js';

/** The open timelines of one segment (0: the present), with their row ids. */
export function loadOpenTimelines(db: Db, segment = 0): Array<[Timeline, number]> {
  return loadTimelines(db, 'm.ended_d IS NULL AND m.lost = 0 AND m.segment = ?', [segment]);
}
