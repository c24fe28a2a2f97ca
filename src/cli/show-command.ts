import type { CommandModule } from 'yargs';
import { findTimelines, pickAt } from '../query/timelines.js';
import { ndjsonLine } from '../print/ndjson.js';
import { prettyTimeline } from '../print/pretty.js';
import { prettySession } from '../print/session.js';
import { findSessions } from '../query/sessions.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { colorOption, dbOption, hostOption, jsonOption, styleOf, tzOption } from './common.js';
import { writeAll } from './output.js';
import { parseUserTime } from './time.js';

interface Args { msgid?: number; qp?: number; session?: number; at?: string; host?: string; db?: string; tz?: string; json: boolean; color?: boolean }

export const showCommand: CommandModule<object, Args> = {
  command: 'show [msgid]',
  describe: 'the timeline of a message: every incarnation of that id, newest first',
  builder: (y) => y
    .positional('msgid', { type: 'number', describe: "qmail's message id (as in `new msg N`)" })
    .option('qp', { type: 'number', describe: 'find by qp (the pid in `250 ok … qp N` and the Received: header)' })
    .option('session', { type: 'number', describe: 'show the SMTP session of this pid (tcpserver/qmail-smtpd) instead' })
    .option('at', { type: 'string', describe: 'pick the incarnation (or session) alive at this time' })
    .option('host', hostOption)
    .option('db', dbOption).option('tz', tzOption).option('json', jsonOption).option('color', colorOption) as never,
  handler: async (a) => {
    if (a.session !== undefined) return showSession(a);
    if (a.msgid === undefined && a.qp === undefined) throw new QtraceError('USAGE', 'show needs a message id, --qp N or --session PID');
    if (a.msgid !== undefined && !Number.isInteger(a.msgid)) throw new QtraceError('USAGE', 'a message id is a whole number');
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      let found = [...findTimelines(db, { msg: a.msgid, qp: a.qp, host: a.host, newestFirst: true })];
      if (a.at !== undefined && found.length > 0) {
        const one = pickAt(found, parseUserTime(a.at, a.tz), (t) => [t.first_seen, t.ended]);
        found = one === undefined ? [] : [one];
      }
      const style = styleOf(a);
      await writeAll(found, (t, i) => (a.json ? ndjsonLine(t) : (i > 0 ? '\n' : '') + prettyTimeline(t, style)),
        `no message ${a.msgid !== undefined ? a.msgid : `with qp ${a.qp}`} in the database`);
    } finally {
      db.close();
    }
  },
};

async function showSession(a: Args): Promise<void> {
  const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
  try {
    let found = [...findSessions(db, { pid: a.session, host: a.host, newestFirst: true })];
    if (a.at !== undefined && found.length > 0) {
      const one = pickAt(found, parseUserTime(a.at, a.tz), (v) => [v.started, v.ended]);
      found = one === undefined ? [] : [one];
    }
    const style = styleOf(a);
    await writeAll(found, (v, i) => (a.json ? JSON.stringify(v) + '\n' : (i > 0 ? '\n' : '') + prettySession(v, style)),
      `no session with pid ${a.session} in the database`);
  } finally {
    db.close();
  }
}
