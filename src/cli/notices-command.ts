import type { CommandModule } from 'yargs';
import { NOTICE_LEVELS, findNotices, type NoticeLevel } from '../query/notices.js';
import { noticeLine } from '../print/notices.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { colorOption, dbOption, hostOption, limitOption, sinceOption, styleOf, timeRange, tzOption, untilOption } from './common.js';
import { writeAll } from './output.js';
import { HEADS } from './commands.js';

interface Args { since?: string; until?: string; host?: string; level?: NoticeLevel[]; limit?: number; db?: string; tz?: string; json: boolean; color?: boolean }

function levels(v: unknown): NoticeLevel[] | undefined {
  if (v === undefined) return undefined;
  const all = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter((x) => x !== '');
  for (const l of all) {
    if (!(NOTICE_LEVELS as readonly string[]).includes(l)) throw new QtraceError('USAGE', `--level is one of ${NOTICE_LEVELS.join(', ')}; not '${l}'`);
  }
  return all as NoticeLevel[];
}

export const noticesCommand: CommandModule<object, Args> = {
  ...HEADS.notices,
  builder: (y) => y
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('host', hostOption)
    .option('level', { type: 'string', coerce: levels, describe: `only these levels (comma-separated): ${NOTICE_LEVELS.join(', ')}` })
    .option('limit', limitOption)
    .option('json', { type: 'boolean', default: false, describe: 'print NDJSON, one notice per line' })
    .option('db', dbOption).option('tz', tzOption).option('color', colorOption) as never,
  handler: async (a) => {
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const style = styleOf(a);
      const found = findNotices(db, { ...timeRange(a), host: a.host, levels: a.level, limit: a.limit });
      await writeAll(found, (n) => (a.json ? JSON.stringify(n) + '\n' : noticeLine(n, style)), 'no notices match');
    } finally {
      db.close();
    }
  },
};
