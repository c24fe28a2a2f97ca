// What qmail itself said (qmail-send's alert:/warning: lines, tcpserver's warnings) and what qtrace
// noticed (restarts, reused ids): the notices table, read back in time order.

import { isoFromMicros } from '../../parsers/timestamp.js';
import type { Db } from '../store/db.js';

export const NOTICE_LEVELS = ['alert', 'warning', 'qtrace'] as const;
export type NoticeLevel = (typeof NOTICE_LEVELS)[number];

export interface NoticeFilter {
  readonly since?: number | undefined;   // µs
  readonly until?: number | undefined;   // µs
  readonly host?: string | undefined;
  readonly levels?: readonly NoticeLevel[] | undefined;
  readonly limit?: number | undefined;
}

/** One notice as printed and as --json writes it. */
export interface NoticeView { readonly at: string; readonly host: string; readonly level: string; readonly text: string }

export function* findNotices(db: Db, f: NoticeFilter): Generator<NoticeView> {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.since !== undefined) { c.push('at_us >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('at_us < ?'); args.push(f.until); }
  if (f.host !== undefined) { c.push('host = ?'); args.push(f.host); }
  if (f.levels !== undefined && f.levels.length > 0) { c.push(`level IN (${f.levels.map(() => '?').join(',')})`); args.push(...f.levels); }
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.floor(f.limit)}`;
  const rows = db.prepare(`SELECT host, at_us, level, text FROM notices ${c.length === 0 ? '' : 'WHERE ' + c.join(' AND ')}
    ORDER BY at_us, host, level, text${limit}`);
  for (const r of rows.iterate(...args) as IterableIterator<{ host: string; at_us: number; level: string; text: string }>) {
    yield { at: isoFromMicros(r.at_us), host: r.host, level: r.level, text: r.text };
  }
}
