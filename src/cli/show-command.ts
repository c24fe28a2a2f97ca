import type { CommandModule } from 'yargs';
import { findTimelines, pickIncarnation } from '../query/timelines.js';
import { ndjsonLine } from '../print/ndjson.js';
import { prettyTimeline } from '../print/pretty.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { colorOption, dbOption, jsonOption, tzOption, useColor } from './common.js';
import { write } from './output.js';
import { parseUserTime } from './time.js';

interface Args { msgid?: number; qp?: number; at?: string; host?: string; db?: string; tz?: string; json: boolean; color?: boolean }

export const showCommand: CommandModule<object, Args> = {
  command: 'show [msgid]',
  describe: 'the timeline of a message: every incarnation of that id, newest first',
  builder: (y) => y
    .positional('msgid', { type: 'number', describe: "qmail's message id (as in `new msg N`)" })
    .option('qp', { type: 'number', describe: 'find by qp (the pid in `250 ok … qp N` and the Received: header)' })
    .option('at', { type: 'string', describe: 'pick the incarnation alive at this time' })
    .option('host', { type: 'string', describe: 'only this host' })
    .option('db', dbOption).option('tz', tzOption).option('json', jsonOption).option('color', colorOption) as never,
  handler: async (a) => {
    if (a.msgid === undefined && a.qp === undefined) throw new QtraceError('USAGE', 'show needs a message id or --qp N');
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
      const style = { color: useColor(a.color) };
      for (let i = 0; i < found.length; i++) {
        await write(a.json ? ndjsonLine(found[i]!) : (i > 0 ? '\n' : '') + prettyTimeline(found[i]!, style));
      }
    } finally {
      db.close();
    }
  },
};
