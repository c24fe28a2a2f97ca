import type { CommandModule } from 'yargs';
import { findTimelines, pickAt, timelineByKey, type AtPick } from '../query/timelines.js';
import { ndjsonLine } from '../print/ndjson.js';
import { LEGEND, incarnationLine, prettyTimeline } from '../print/pretty.js';
import { prettySession, sessionSummary } from '../print/session.js';
import { when, type Style } from '../print/style.js';
import { findSessions, type SessionView } from '../query/sessions.js';
import { addonsOfSession, addonsOfTimeline } from '../query/addons.js';
import { addonsOfMessageText, addonsOfSessionText } from '../print/addons.js';
import type { TimelineView } from '../query/view.js';
import { openDb, resolveDbPath, type Db } from '../store/db.js';
import { escapeTerminal } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import { msgId, type MsgId } from '../../parsers/ids.js';
import { colorOption, dbOption, hostOption, jsonOption, styleOf, tzOption, wholeNumber } from './common.js';
import { write, writeAll } from './output.js';
import { parseUserTime } from './time.js';
import { HEADS } from './commands.js';

interface Args { id?: string; qp?: number; session?: number; at?: string; host?: string; db?: string; tz?: string; json: boolean; color?: boolean }

/** What `show ID` was given: a message id, or a key exactly as qtrace prints it. */
type Target = { msg: MsgId } | { key: string };

const RX_KEY = /^.+:\d+:\d+(#\d+)?$/;

function target(id: string): Target {
  if (/^\d{1,20}$/.test(id)) return { msg: msgId(id) };
  if (RX_KEY.test(id)) return { key: id };
  throw new QtraceError('USAGE', `show: '${id}' is neither a message id (1442037) nor a key as printed (vm:1795629138167307:1442037)`,
    'or use --qp N, --session PID');
}

export const showCommand: CommandModule<object, Args> = {
  ...HEADS.show,
  builder: (y) => y
    .positional('id', { type: 'string', describe: "qmail's message id (as in `new msg N`), or a message or session key as qtrace prints it" })
    .option('qp', { type: 'string', coerce: wholeNumber('--qp'), describe: 'find by qp (the pid in `250 ok … qp N` and the Received: header)' })
    .option('session', { type: 'string', coerce: wholeNumber('--session'), describe: 'show the SMTP session of this pid (tcpserver/qmail-smtpd) instead' })
    .option('at', { type: 'string', describe: 'pick the incarnation (or session) alive at this time (any time qtrace prints)' })
    .option('host', hostOption)
    .option('db', dbOption).option('tz', tzOption).option('json', jsonOption).option('color', colorOption)
    .epilog(LEGEND) as never,
  handler: async (a) => {
    if (a.session !== undefined) return showSessions(a, { pid: a.session });
    if (a.id === undefined && a.qp === undefined) throw new QtraceError('USAGE', 'show needs a message id, a key, --qp N or --session PID');
    const t = a.id === undefined ? undefined : target(a.id);
    const atUs = a.at === undefined ? undefined : parseUserTime(a.at, a.tz);
    const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
    try {
      if (t !== undefined && 'key' in t) {
        const one = timelineByKey(db, t.key);
        if (one === undefined) return await showSessionsIn(db, a, { key: t.key }, `no message or session with key ${escapeTerminal(t.key)} in the database`);
        return await writeAll([one], (x) => (a.json ? ndjsonLine(x) : timelineText(db, x, styleOf(a))), '');
      }
      let found = [...findTimelines(db, { msg: t?.msg, qp: a.qp, host: a.host, newestFirst: true })];
      const what = t !== undefined ? `msg ${t.msg}` : `qp ${a.qp}`;
      if (atUs !== undefined && found.length > 0) {
        const p = pickAt(found, atUs, (x) => [x.first_seen, x.ended]);
        sayPick(p, found.length, what, a.at!, (x) => x.id, (x) => x.first_seen, a);
        found = p.chosen === undefined ? [] : [p.chosen];
      }
      const style = styleOf(a);
      if (!a.json && found.length > 1) {
        await write(`${what}: ${found.length} messages in the database, newest first (\`qtrace show KEY\` or --at TIME shows one):\n` +
          found.map((x) => incarnationLine(x, style)).join('') + '\n');
      }
      await writeAll(found, (x: TimelineView, i) => (a.json ? ndjsonLine(x) : (i > 0 ? '\n' : '') + timelineText(db, x, style)),
        `no message ${t !== undefined ? t.msg : `with qp ${a.qp}`} in the database`);
    } finally {
      db.close();
    }
  },
};

/** --at among several: say which one was taken and why, on stderr (stdout stays the answer). */
function sayPick<T>(p: AtPick<T>, n: number, what: string, at: string, key: (x: T) => string, start: (x: T) => string,
  a: { tz?: string | undefined }): void {
  if (n < 2 || p.chosen === undefined) return;
  const at1 = escapeTerminal(at);
  const k = (x: T): string => escapeTerminal(key(x));
  if (p.how === 'alive' && p.alive.length > 1) {
    process.stderr.write(`qtrace: --at ${at1}: ${p.alive.length} of the ${n} with ${what} were alive then ` +
      `(${p.alive.map(k).join(', ')}); showing the newest, ${k(p.chosen)}\n`);
  } else if (p.how === 'nearest') {
    process.stderr.write(`qtrace: --at ${at1}: none of the ${n} with ${what} was alive then; showing the one that began nearest, ` +
      `${k(p.chosen)} (began ${when(start(p.chosen), styleOf(a))})\n`);
  }
}

async function showSessions(a: Args, f: { pid?: number; key?: string }): Promise<void> {
  const db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
  try {
    await showSessionsIn(db, a, f, `no session with pid ${a.session} in the database`);
  } finally {
    db.close();
  }
}

async function showSessionsIn(db: Db, a: Args, f: { pid?: number; key?: string }, none: string): Promise<void> {
  let found = [...findSessions(db, { ...f, host: a.host, newestFirst: true })];
  if (a.at !== undefined && found.length > 0) {
    const p = pickAt(found, parseUserTime(a.at, a.tz), (v) => [v.started, v.ended]);
    sayPick(p, found.length, `pid ${f.pid ?? '?'}`, a.at, (v: SessionView) => v.id, (v) => v.started, a);
    found = p.chosen === undefined ? [] : [p.chosen];
  }
  const style = styleOf(a);
  if (!a.json && found.length > 1) {
    await write(`pid ${f.pid ?? '?'}: ${found.length} sessions in the database, newest first (\`qtrace show KEY\` or --at TIME shows one):\n` +
      found.map((v) => `  ${escapeTerminal(v.id)}  ${sessionSummary(v, style).slice(when(v.started, style).length + 2)}`).join('') + '\n');
  }
  await writeAll(found, (v, i) => (a.json ? JSON.stringify(v) + '\n' : (i > 0 ? '\n' : '') + sessionText(db, v, style)), none);
}

/** A timeline and, under it, its add-ons' records (Plesk handler lines, scan verdicts). */
function timelineText(db: Db, x: TimelineView, style: Style): string {
  const ad = addonsOfTimeline(db, x);
  return prettyTimeline(x, style) + addonsOfMessageText(ad.handlers, ad.scans, style, ad.deliveries);
}

/** A session and, under it, its auth events and scan verdicts. */
export function sessionText(db: Db, v: SessionView, style: Style): string {
  const ad = addonsOfSession(db, v.id);
  return prettySession(v, style) + addonsOfSessionText(ad.auth, ad.scans, style);
}
