import type { CommandModule } from 'yargs';
import { checkLine, unknownLine } from '../print/check.js';
import { runCheck, type Threshold } from '../report/check.js';
import { openDb, resolveDbPath } from '../store/db.js';
import { QtraceError } from '../util/errors.js';
import { dbOption, hostOption, tzOption } from './common.js';
import { parseDuration } from './duration.js';
import { parseUserTime } from './time.js';
import { HEADS } from './commands.js';

interface Args {
  db?: string; host?: string; tz?: string; now?: string; window: string; 'stuck-age': string; 'min-attempts': number;
  stuck: string; queuelifetime: string; 'failure-rate': string; 'deferral-rate': string; stale: string; alerts: string; rejections: string;
}

/** "W,C" (Nagios -w/-c pairs in one flag). */
function pair(s: string, flag: string, unit: (x: string) => number): Threshold {
  const p = s.split(',');
  if (p.length !== 2 || p.some((x) => x.trim() === '')) throw new QtraceError('USAGE', `--${flag} wants WARN,CRIT, not '${s}'`);
  const [warn, crit] = p.map((x) => unit(x.trim())) as [number, number];
  if (!(warn <= crit)) throw new QtraceError('USAGE', `--${flag}: the warning threshold must not be above the critical one`);
  return { warn, crit };
}
const num = (flag: string) => (x: string): number => {
  const v = Number(x.replace(/%$/, ''));
  if (!Number.isFinite(v) || v < 0) throw new QtraceError('USAGE', `--${flag}: '${x}' is not a number`);
  return v;
};

export const checkCommand: CommandModule<object, Args> = {
  ...HEADS.check,
  builder: (y) => y
    .option('window', { type: 'string', default: '15m', describe: 'rates, alerts and rejections over this much time before now' })
    .option('stuck-age', { type: 'string', default: '1h', describe: 'count messages still queued longer than this' })
    .option('stuck', { type: 'string', default: '1,20', describe: 'WARN,CRIT: messages still queued longer than --stuck-age' })
    .option('queuelifetime', { type: 'string', default: '7d', describe: "qmail's control/queuelifetime: older mail has bounced, so is not looked for" })
    .option('failure-rate', { type: 'string', default: '10,25', describe: 'WARN,CRIT: % of delivery attempts in the window that failed' })
    .option('deferral-rate', { type: 'string', default: '20,50', describe: 'WARN,CRIT: % of delivery attempts in the window deferred' })
    .option('min-attempts', { type: 'number', default: 20, describe: 'rates are judged only over at least this many attempts' })
    .option('stale', { type: 'string', default: '10m,30m', describe: 'WARN,CRIT: age of the newest line of the stalest stream (qmail-send dead, or qtrace behind)' })
    .option('alerts', { type: 'string', default: '1,1', describe: 'WARN,CRIT: qmail-send alert: lines in the window' })
    .option('rejections', { type: 'string', default: '30,120', describe: 'WARN,CRIT: SMTP sessions turned away per minute' })
    .option('now', { type: 'string', describe: 'judge as of this time instead of the clock (a replayed log)' })
    .option('host', hostOption).option('db', dbOption).option('tz', tzOption)
    .example('$0 check --db /var/lib/qtrace/qtrace.db --stuck 5,50', '') as never,
  handler: (a) => {
    // a plugin that cannot judge says UNKNOWN (3), on stdout, as Nagios expects
    let db;
    try {
      const now = a.now === undefined ? Date.now() * 1000 : parseUserTime(a.now, a.tz);
      const dur = (flag: string) => (x: string): number => parseDuration(x, `--${flag}`);
      const opts = {
        now, windowUs: parseDuration(a.window, '--window'), stuckAgeUs: parseDuration(a['stuck-age'], '--stuck-age'),
        queueLifetimeUs: parseDuration(a.queuelifetime, '--queuelifetime'),
        host: a.host, minAttempts: a['min-attempts'],
        stuck: pair(a.stuck, 'stuck', num('stuck')), failPct: pair(a['failure-rate'], 'failure-rate', num('failure-rate')),
        deferPct: pair(a['deferral-rate'], 'deferral-rate', num('deferral-rate')), staleUs: pair(a.stale, 'stale', dur('stale')),
        alerts: pair(a.alerts, 'alerts', num('alerts')), rejectsPerMin: pair(a.rejections, 'rejections', num('rejections')),
      };
      db = openDb(resolveDbPath(a.db), { mustExist: true, readonly: true });
      const r = runCheck(db, opts);
      process.stdout.write(r.state === 3 ? unknownLine('no log stream has been read into the store') : checkLine(r));
      process.exitCode = r.state;
    } catch (e) {
      process.stdout.write(unknownLine(e instanceof Error ? e.message : String(e)));
      process.exitCode = 3;
    } finally {
      db?.close();
    }
  },
};
