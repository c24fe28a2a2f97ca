import type { CommandModule } from 'yargs';
import { findSessions } from '../query/sessions.js';
import { sessionSummary } from '../print/session.js';
import { sessionText } from './show-command.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { colorOption, dbOption, hostOption, limitOption, sinceOption, styleOf, timeRange, tzOption, untilOption } from './common.js';
import { writeAll } from './output.js';
import { HEADS } from './commands.js';

interface Args {
  ip?: string; rcpt?: string; rejected: boolean; since?: string; until?: string; host?: string; limit?: number;
  long: boolean; db?: string; tz?: string; json: boolean; color?: boolean;
}

export const sessionsCommand: CommandModule<object, Args> = {
  ...HEADS.sessions,
  builder: (y) => y
    .option('ip', { type: 'string', describe: 'client IP' })
    .option('rcpt', { type: 'string', describe: 'some RCPT TO contains this' })
    .option('rejected', { type: 'boolean', default: false,
      describe: 'only sessions the logs show were refused: tcprules deny, rblsmtpd, an SMTP 4xx/5xx after which nothing was queued, an add-on\'s reject (a session with no dialogue logged is "unknown", never refused)' })
    .option('since', sinceOption)
    .option('until', untilOption)
    .option('host', hostOption)
    .option('limit', limitOption)
    .option('long', { type: 'boolean', alias: 'l', default: false, describe: 'whole sessions instead of one line each' })
    .option('json', { type: 'boolean', default: false, describe: 'print NDJSON, one session per line' })
    .option('db', dbOption).option('tz', tzOption).option('color', colorOption) as never,
  handler: async (a) => {
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      const style = styleOf(a);
      const found = findSessions(db, { ip: a.ip, rcpt: a.rcpt, rejected: a.rejected, host: a.host, limit: a.limit, ...timeRange(a) });
      await writeAll(found, (v, n) => (a.json ? JSON.stringify(v) + '\n'
        : a.long ? (n > 0 ? '\n' : '') + sessionText(db, v, style) : sessionSummary(v, style)), 'no sessions match');
    } finally {
      db.close();
    }
  },
};
