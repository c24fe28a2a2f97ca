import type { CommandModule } from 'yargs';
import type { Framing } from '../../parsers/frame.js';
import { expandInputs, impliedHost } from '../ingest/inputs.js';
import { ingestToStore } from '../ingest/to-store.js';
import { knownHosts, openDb, resolveDbPath } from '../store/db.js';
import { dbOption, defaultHost, tzOption } from './common.js';
import { makeLog } from '../util/log.js';
import { progressObserver } from '../live/progress.js';

const FORMATS = ['auto', 'multilog', 'tai64nlocal', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'] as const;

interface Args { inputs: string[]; db?: string; tz?: string; host?: string; format: (typeof FORMATS)[number]; name: string; verbose: boolean }

export const ingestCommand: CommandModule<object, Args> = {
  command: 'ingest [inputs..]',
  describe: 'read qmail logs (files, multilog dirs, .gz, - for stdin) into the database',
  builder: (y) => y
    .positional('inputs', { type: 'string', array: true, default: [], describe: 'log files or multilog directories; - or nothing: stdin' })
    .option('db', dbOption)
    .option('tz', tzOption)
    .option('host', { type: 'string', describe: 'host for lines that name none (multilog); default: the one host the syslog inputs or the database name, else this machine' })
    .option('format', { choices: FORMATS, default: 'auto' as const, describe: 'line framing; auto detects it per line' })
    .option('name', { type: 'string', default: 'stdin', describe: 'stream name for stdin (dedupes reruns of the same pipe)' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log files, commits and what qtrace noticed (restarts, reused ids) to stderr' }) as never,
  handler: async (a) => {
    const started = process.hrtime.bigint();
    // Each argument is one time-ordered stream; several are merged by time.
    const groups = expandInputs(a.inputs, a.name);
    const dbPath = resolveDbPath(a.db);
    const db = openDb(dbPath);
    // Ctrl-C or a TERM (end of a live `tail -F | qtrace ingest`): commit what was read, then stop.
    const stop = new AbortController();
    let stoppedBy: string | undefined;
    const onSignal = (sig: NodeJS.Signals): void => { stoppedBy = sig; stop.abort(); };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const implied = a.host === undefined ? impliedHost(groups, knownHosts(db)) : undefined;
      // a terminal on stderr (never a pipe), and no --verbose lines to mix with
      const progress = process.stderr.isTTY === true && !a.verbose ? progressObserver(groups.flat(), process.stderr) : undefined;
      const r = await ingestToStore(db, groups, {
        observer: progress?.observer,
        signal: stop.signal,
        host: a.host ?? implied ?? defaultHost(), tz: a.tz, format: a.format === 'auto' ? undefined : (a.format as Framing),
        log: a.verbose ? makeLog(true) : undefined,
      });
      progress?.done();
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      const extra: string[] = [];
      if (r.duplicates > 0) extra.push(`${r.duplicates} already stored`);
      if (r.skippedFiles > 0) extra.push(`${r.skippedFiles} files already read`);
      if (r.joined > 0) extra.push(`${r.joined} split lines joined`);
      if (stoppedBy !== undefined) extra.push(`stopped by ${stoppedBy}`);
      if (implied !== undefined && r.lines > 0) extra.push(`host ${implied} assumed for lines that name none`);
      if (r.sessions > 0) extra.push(`${r.sessions} smtp sessions (${r.links.exact} exact and ${r.links.inferred} inferred links)`);
      process.stderr.write(`qtrace: ${r.lines} lines, ${r.messagesTouched} messages (${r.openMessages} still queued), ` +
        `${r.unknown} unknown lines${extra.length > 0 ? ', ' + extra.join(', ') : ''} in ${secs.toFixed(2)} s → ${dbPath}\n`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      db.close();
      if (stoppedBy !== undefined) process.stdin.destroy(); // nothing more will be read
    }
  },
};
