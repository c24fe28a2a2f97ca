import type { CommandModule } from 'yargs';
import { authSummary, findAuth } from '../query/addons.js';
import { authLine, authSummaryText } from '../print/addons.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { colorOption, dbOption, hostOption, limitOption, sinceOption, styleOf, timeRange, tzOption, untilOption } from './common.js';
import { write, writeAll } from './output.js';
import { HEADS } from './commands.js';

interface Args {
  since?: string; until?: string; host?: string; ip?: string; user?: string; failed: boolean; limit?: number;
  summary: boolean; db?: string; tz?: string; json: boolean; color?: boolean;
}

export const authCommand: CommandModule<object, Args> = {
  ...HEADS.auth,
  builder: (y) => y
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('host', hostOption)
    .option('ip', { type: 'string', describe: 'client IP' })
    .option('user', { type: 'string', describe: 'login: user, or user@domain' })
    .option('failed', { type: 'boolean', default: false, describe: 'failures only (wrong password, unknown user, …)' })
    .option('summary', { type: 'boolean', default: true, describe: 'counts per IP and per user first (--no-summary: the events only)' })
    .option('limit', limitOption)
    .option('json', { type: 'boolean', default: false, describe: 'one JSON document: summary and events (schemas/auth.schema.json)' })
    .option('db', dbOption).option('tz', tzOption).option('color', colorOption) as never,
  handler: async (a) => {
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const style = styleOf(a);
      const f = { ...timeRange(a), host: a.host, ip: a.ip, user: a.user, failed: a.failed, limit: a.limit };
      const sum = authSummary(db, f);
      if (a.json) {
        await write(JSON.stringify({ summary: sum, events: [...findAuth(db, f)] }) + '\n');
        if (sum.events === 0) process.exitCode = 1;
        return;
      }
      if (a.summary && sum.events > 0) await write(authSummaryText(sum, style) + '\n');
      await writeAll(findAuth(db, f), (v) => authLine(v, style), 'no authentication events match');
    } finally {
      db.close();
    }
  },
};
