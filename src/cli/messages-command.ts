import type { CommandModule } from 'yargs';
import { findTimelines } from '../query/timelines.js';
import { ndjsonLine } from '../print/ndjson.js';
import { prettyTimeline, summaryLine } from '../print/pretty.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { colorOption, dbOption, hostOption, jsonOption, limitOption, sinceOption, styleOf, timeRange, tzOption, untilOption } from './common.js';
import { writeAll } from './output.js';

const OUTCOMES = ['delivered', 'failed', 'deferred', 'pending'] as const;

interface Args {
  since?: string; until?: string; to?: string; from?: string; outcome?: string; host?: string; limit?: number;
  long: boolean; db?: string; tz?: string; json: boolean; color?: boolean;
}

export const messagesCommand: CommandModule<object, Args> = {
  command: 'messages',
  describe: 'list message timelines (what happened to mail for bob@ yesterday?)',
  builder: (y) => y
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('to', { type: 'string', describe: 'a recipient contains this (case-insensitive)' })
    .option('from', { type: 'string', describe: 'the sender contains this' })
    .option('outcome', { choices: OUTCOMES, describe: 'some recipient ended so' })
    .option('host', hostOption)
    .option('limit', limitOption)
    .option('long', { type: 'boolean', alias: 'l', default: false, describe: 'whole timelines instead of one line each' })
    .option('db', dbOption).option('tz', tzOption).option('json', jsonOption).option('color', colorOption) as never,
  handler: async (a) => {
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const style = styleOf(a);
      const found = findTimelines(db, { ...timeRange(a), to: a.to, from: a.from, outcome: a.outcome, host: a.host, limit: a.limit });
      await writeAll(found, (t, n) => (a.json ? ndjsonLine(t)
        : a.long ? (n > 0 ? '\n' : '') + prettyTimeline(t, style) : summaryLine(t, style)), 'no messages match');
    } finally {
      db.close();
    }
  },
};
