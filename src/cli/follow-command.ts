// `qtrace follow PATH...`: multilog dirs (and plain log files) read as they are written, into the
// store, surviving rotation, restarts and kills. Only wiring: the follow source (ingest/follow.ts)
// feeds the same pipeline and store as `ingest`, and prints as the pipe mode does (live-output.ts).

import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { Framing } from '../../parsers/frame.js';
import { Follower, followTargets, type FollowTarget, type StartFrom } from '../ingest/follow.js';
import { expandInputs, impliedHost } from '../ingest/inputs.js';
import { ingestToStore } from '../ingest/to-store.js';
import { zoneResolver } from '../ingest/zone.js';
import { knownHosts, knownPaths, openDb, resolveDbPath } from '../store/db.js';
import { makeLog } from '../util/log.js';
import { dbOption, defaultHost, tzOption } from './common.js';
import { liveOutputOptions, openLiveOutput, type LiveOutput, type Print } from './live-output.js';
import { stopOnSignals } from './stop.js';
import { parseUserTime } from './time.js';
import { HEADS } from './commands.js';

const FORMATS = ['auto', 'multilog', 'tai64nlocal', 'asctime', 'svlogd', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'] as const;

/** A line that comes is committed this soon when no other follows (the pipeline's idle tick), */
export const FOLLOW_IDLE_MS = 50;
/** …and at least this often while lines keep coming. */
export const FOLLOW_COMMIT_MS = 200;
/** How often a followed file is looked at when fs.watch says nothing. */
export const FOLLOW_POLL_MS = 100;

interface Args {
  paths: string[]; db?: string; tz?: string; host?: string; format: (typeof FORMATS)[number];
  'from-start'?: boolean; since?: string; verbose: boolean;
  json?: boolean; pretty?: boolean; color?: boolean; print: Print; metrics?: string;
}

export const followCommand: CommandModule<object, Args> = {
  ...HEADS.follow,
  builder: (y) => liveOutputOptions(y
    .positional('paths', { type: 'string', array: true, describe: 'multilog directories (send, smtpd, …), a directory of them, or log files' })
    .option('db', dbOption)
    .option('tz', tzOption)
    .option('host', { type: 'string', describe: 'host for lines that name none (multilog); default: as for ingest' })
    .option('format', { choices: FORMATS, default: 'auto' as const, describe: 'line framing; auto detects it per line' })
    .option('from-start', { type: 'boolean', describe: 'a log never read before: from its oldest file (default: from the end of current)' })
    .option('since', { type: 'string', describe: 'a log never read before: from its first line at or after this time' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log files, commits and findings to stderr' })
    .conflicts('from-start', 'since')) as never,
  handler: async (a) => {
    const targets = followTargets(a.paths);
    const zone = zoneResolver(a.tz);
    const format = a.format === 'auto' ? undefined : (a.format as Framing);
    const from: StartFrom = a.since !== undefined ? { kind: 'since', us: parseUserTime(a.since, a.tz), zone, format }
      : a['from-start'] === true ? { kind: 'start' } : { kind: 'end' };
    const dbPath = resolveDbPath(a.db);
    const db = openDb(dbPath);
    const stop = stopOnSignals();
    const log = makeLog(a.verbose ? true : 'warn');
    const known = new Set(knownPaths(db));
    const knows = (t: FollowTarget): boolean =>
      t.kind === 'file' ? known.has(t.path) : [...known].some((p) => dirname(p) === t.path);
    const follower = new Follower({ from, knows, pollMs: FOLLOW_POLL_MS, signal: stop.signal, log });
    const onHup = (): void => { log.info('SIGHUP: listing the logs again'); follower.reopen(); };
    process.on('SIGHUP', onHup);
    let output: LiveOutput | undefined;
    try {
      output = await openLiveOutput([], a, () => stop.abort());
      const implied = a.host === undefined ? impliedHost(expandInputs(targets.map((t) => t.path), 'stdin'), knownHosts(db)) : undefined;
      const started = process.hrtime.bigint();
      const r = await ingestToStore(db, targets.map((t) => follower.group(t)), {
        signal: stop.signal, host: a.host ?? implied ?? defaultHost(), tz: a.tz, format, log,
        commitMs: FOLLOW_COMMIT_MS, idleMs: FOLLOW_IDLE_MS, observer: output.observer,
      });
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (!(await output.quiet())) process.stderr.write(`qtrace: follow read ${r.lines} lines, ${r.messagesTouched} messages (${r.openMessages} still queued), ` +
        `${r.unknown} unknown lines in ${secs.toFixed(1)} s${stop.by() === undefined ? '' : `, stopped by ${stop.by()} (the next start continues there)`} → ${dbPath}\n`);
    } finally {
      stop.release();
      process.off('SIGHUP', onHup);
      await output?.close();
      db.close();
    }
  },
};
