// NDJSON: one timeline per line, exactly the view objects (schemas/timeline.schema.json).

import type { TimelineView } from '../query/view.js';

export function ndjsonLine(t: TimelineView): string {
  return JSON.stringify(t) + '\n';
}
