import type { CommandModule } from 'yargs';
import type { Framing } from '../../parsers/frame.js';
import { expandInputs, impliedHost } from '../ingest/inputs.js';
import { ingestToStore, type IngestResult } from '../ingest/to-store.js';
import { knownHosts, openDb, resolveDbPath } from '../store/db.js';
import { dbOption, defaultHost, readerChoice, tzOption } from './common.js';
import { makeLog } from '../util/log.js';
import { stopOnSignals } from './stop.js';
import { progressObserver } from '../live/progress.js';
import { HEADS } from './commands.js';

const FORMATS = ['auto', 'multilog', 'tai64nlocal', 'asctime', 'svlogd', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'] as const;

interface Args { inputs: string[]; db?: string; tz?: string; host?: string; format: (typeof FORMATS)[number]; name: string; verbose: boolean; wait: boolean }

export const ingestCommand: CommandModule<object, Args> = {
  ...HEADS.ingest,
  builder: (y) => y
    .positional('inputs', { type: 'string', array: true, default: [], describe: 'log files or multilog directories; - or nothing: stdin' })
    .option('db', dbOption)
    .option('tz', tzOption)
    .option('host', { type: 'string', describe: 'host for lines that name none (multilog); default: the one host the syslog inputs or the database name, else this machine' })
    .option('format', { choices: FORMATS, default: 'auto' as const, describe: 'line framing; auto detects it per line' })
    .option('name', { type: 'string', default: 'stdin', describe: 'stream name for stdin (a rerun of the same pipe continues where it stopped)' })
    .option('wait', { type: 'boolean', default: false, describe: 'wait while another ingest writes to the store, instead of exiting' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log files, commits and what qtrace noticed (restarts, reused ids) to stderr' }) as never,
  handler: async (a) => {
    const started = process.hrtime.bigint();
    // Each argument is one time-ordered stream; several are merged by time.
    const groups = expandInputs(a.inputs, a.name);
    const dbPath = resolveDbPath(a.db);
    const db = openDb(dbPath);
    const stop = stopOnSignals();
    try {
      const implied = a.host === undefined ? impliedHost(groups, knownHosts(db)) : undefined;
      // a terminal on stderr (never a pipe), and no --verbose lines to mix with
      const progress = process.stderr.isTTY === true && !a.verbose ? progressObserver(groups.flat(), process.stderr) : undefined;
      const r = await ingestToStore(db, groups, {
        observer: progress?.observer,
        signal: stop.signal, wait: a.wait, reader: readerChoice(process.env['QTRACE_READER']),
        host: a.host ?? implied ?? defaultHost(), tz: a.tz, format: a.format === 'auto' ? undefined : (a.format as Framing),
        log: a.verbose ? makeLog(true) : undefined,
      });
      progress?.done();
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (r.lines > 0 && r.events === 0 && r.unknown === r.lines && r.failedFiles.length === 0) {
        // /etc/passwd and friends: kept as unknown lines, but worth an error cron will see
        process.stderr.write(`qtrace: ${a.inputs.join(' ') || 'standard input'}: this does not look like a qmail log ` +
          `(${r.lines} lines, none understood; kept as unknown lines in ${dbPath})\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`qtrace: ${summary(r, implied, stop.by())} in ${secs.toFixed(2)} s → ${dbPath}\n`);
        if (r.failedFiles.length > 0) process.exitCode = 2;
      }
    } finally {
      stop.release();
      db.close();
      if (stop.by() !== undefined) process.stdin.destroy(); // nothing more will be read
    }
  },
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The one line an ingest ends with: what was read, what it made, and everything worth a look. */
function summary(r: IngestResult, implied: string | undefined, stoppedBy: string | undefined): string {
  const extra: string[] = [];
  if (r.failedFiles.length > 0) extra.push(`cannot read ${r.failedFiles.join('; ')} (skipped, the rest was read)`);
  if (r.resumedFiles > 0) extra.push(`${plural(r.resumedFiles, 'file')} continued where the last run stopped`);
  if (r.skippedFiles > 0) extra.push(`${plural(r.skippedFiles, 'file')} already read`);
  if (r.replacedFiles > 0) extra.push(`${plural(r.replacedFiles, 'file')} replaced since the last run (read again from the start)`);
  if (r.alreadyRead > 0) extra.push(`${plural(r.alreadyRead, 'line')} of a stream already read`);
  if (r.duplicates > 0) extra.push(`${plural(r.duplicates, 'line')} logged twice taken once`);
  if (r.partial > 0) extra.push(`${plural(r.partial, 'unfinished last line')} left for the next run`);
  if (r.cut > 0) extra.push(`${plural(r.cut, 'line')} longer than 64 KiB cut (${r.cutBytes} bytes dropped)`);
  if (r.untimed > 0) extra.push(`${plural(r.untimed, 'line')} without a time`);
  if (r.foreign > 0) {
    const by = Object.entries(r.foreignBy).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`).join(', ');
    extra.push(`${plural(r.foreign, 'line')} of other programs, not qmail (${by})`);
  }
  if (r.joined > 0) extra.push(`${plural(r.joined, 'split line')} joined`);
  if (r.segments > 0) {
    const s = r.stitched;
    extra.push(`older history read after newer: ${s.messages} messages and ${s.sessions} sessions joined at the seam` +
      (s.deliveries > 0 ? `, ${s.deliveries} running deliveries completed` : '') + (s.links > 0 ? `, ${s.links} links made` : '') +
      (s.lost > 0 ? `, ${s.lost} lost` : ''));
  }
  if (r.notices.alert > 0 || r.notices.warning > 0) {
    extra.push(`${plural(r.notices.alert, 'alert')} and ${plural(r.notices.warning, 'warning')} logged (see qtrace notices)`);
  }
  if (stoppedBy !== undefined) extra.push(`stopped by ${stoppedBy} (the next run continues there)`);
  if (implied !== undefined && r.lines > 0) extra.push(`host ${implied} assumed for lines that name none`);
  if (r.sessions > 0) extra.push(`${plural(r.sessions, 'smtp session')} (the store has ${r.links.exact} exact and ${r.links.inferred} inferred links)`);
  return `${plural(r.lines, 'line')}, ${plural(r.messagesTouched, 'message')} (${r.openMessages} still queued), ` +
    `${plural(r.unknown, 'unknown line')}${extra.length > 0 ? ', ' + extra.join(', ') : ''}`;
}
