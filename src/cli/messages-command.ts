import type { CommandModule } from 'yargs';
import { addressMatcher } from '../query/address.js';
import { countTimelines, findTimelines, type MessageFilter } from '../query/timelines.js';
import type { RecipientView } from '../query/view.js';
import { ndjsonLine } from '../print/ndjson.js';
import { LEGEND, prettyTimeline, summaryLine } from '../print/pretty.js';
import { openDb, resolveDbPath } from '../store/db.js';
import {
  colorOption, dbOption, hostOption, jsonOption, limitOption, oneOf, sinceOption, styleOf, timeRange, tzOption, untilOption,
} from './common.js';
import { writeAll } from './output.js';
import { findRefusals } from '../query/addons.js';
import { refusalLine } from '../print/addons.js';
import { HEADS } from './commands.js';

const OUTCOMES = ['delivered', 'failed', 'deferred', 'pending'] as const;
/** On a terminal, a list stops here unless --limit says otherwise (a pipe gets everything). */
export const TERMINAL_LIMIT = 50;

interface Args {
  since?: string; until?: string; to?: string; from?: string; outcome?: string; host?: string; limit?: number;
  bounces: boolean; unattempted: boolean; refused: boolean; long: boolean; db?: string; tz?: string; json: boolean; color?: boolean;
}

export const messagesCommand: CommandModule<object, Args> = {
  ...HEADS.messages,
  builder: (y) => y
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('to', { type: 'string', describe: "a recipient is this: bob@ (local part bob, any domain), bob@example.com, @example.com; '*' is a wildcard ('*bob*')" })
    .option('from', { type: 'string', describe: 'the sender contains this' })
    .option('outcome', { type: 'string', coerce: oneOf('--outcome', OUTCOMES), describe: `some recipient ended so: ${OUTCOMES.join(', ')}` })
    .option('bounces', { type: 'boolean', default: false, describe: 'only bounce messages (sender <> or <#@[]>)' })
    .option('unattempted', { type: 'boolean', default: false, describe: 'only messages still queued with no delivery attempt yet' })
    .option('refused', { type: 'boolean', default: false,
      describe: "messages refused before they were queued: a Plesk queue handler's REJECT/DEFER (with the handler's name), newest first" })
    .option('host', hostOption)
    .option('limit', { ...limitOption, describe: `at most this many (0: no limit; default on a terminal: ${TERMINAL_LIMIT})` })
    .option('long', { type: 'boolean', alias: 'l', default: false, describe: 'whole timelines instead of one line each' })
    .option('db', dbOption).option('tz', tzOption).option('json', jsonOption).option('color', colorOption)
    .epilog(LEGEND) as never,
  handler: async (a) => {
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const style = styleOf(a);
      const limit = a.limit ?? (process.stdout.isTTY === true && !a.json ? TERMINAL_LIMIT : undefined);
      if (a.refused) {
        await writeAll(findRefusals(db, { ...timeRange(a), host: a.host, limit }),
          (r) => (a.json ? JSON.stringify(r) + '\n' : refusalLine(r, style)), 'no refused messages match');
        return;
      }
      const filter: MessageFilter = { ...timeRange(a), to: a.to, from: a.from, outcome: a.outcome, host: a.host,
        bounces: a.bounces, unattempted: a.unattempted, newestFirst: true };
      const to = a.to === undefined ? undefined : addressMatcher(a.to);
      const focus = to === undefined && a.outcome === undefined ? undefined
        : (r: RecipientView) => (to === undefined || to.test(r.to)) && (a.outcome === undefined || r.outcome === a.outcome);
      let shown = 0;
      await writeAll(findTimelines(db, { ...filter, limit }), (t, n) => {
        shown++;
        return a.json ? ndjsonLine(t) : a.long ? (n > 0 ? '\n' : '') + prettyTimeline(t, style) : summaryLine(t, style, focus);
      }, 'no messages match');
      if (limit !== undefined && limit > 0 && shown === limit) {
        const more = countTimelines(db, filter) - shown;
        if (more > 0) process.stderr.write(`qtrace: ${more} more (older) not shown; --limit 0 shows all, --since narrows\n`);
      }
    } finally {
      db.close();
    }
  },
};
