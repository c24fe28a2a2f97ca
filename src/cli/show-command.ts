import type { CommandModule } from 'yargs';
import { findTimelines, pickIncarnation } from '../query/timelines.js';
import { ndjsonLine } from '../print/ndjson.js';
import { prettyTimeline } from '../print/pretty.js';
import { prettySession } from '../print/session.js';
import { findSessions } from '../query/sessions.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { colorOption, dbOption, hostOption, jsonOption, styleOf, tzOption } from './common.js';
import { write } from './output.js';
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
        const one = pickIncarnation(found, parseUserTime(a.at, a.tz));
        found = one === undefined ? [] : [one];
      }
      if (found.length === 0) {
        process.stderr.write(`qtrace: no message ${a.msgid !== undefined ? a.msgid : `with qp ${a.qp}`} in the database\n`);
        process.exitCode = 1;
        return;
      }
      const style = styleOf(a);
      for (let i = 0; i < found.length; i++) {
        await write(a.json ? ndjsonLine(found[i]!) : (i > 0 ? '\n' : '') + prettyTimeline(found[i]!, style));
      }
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
      const at = parseUserTime(a.at, a.tz);
      const alive = found.find((v) => Date.parse(v.started) * 1000 <= at && (v.ended === null || Date.parse(v.ended) * 1000 + 1000 >= at));
      found = alive === undefined ? [] : [alive];
    }
    if (found.length === 0) {
      process.stderr.write(`qtrace: no session with pid ${a.session} in the database\n`);
      process.exitCode = 1;
      return;
    }
    const style = styleOf(a);
    for (let i = 0; i < found.length; i++) {
      await write(a.json ? JSON.stringify(found[i]) + '\n' : (i > 0 ? '\n' : '') + prettySession(found[i]!, style));
    }
  } finally {
    db.close();
  }
}
