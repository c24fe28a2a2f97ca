// `tail -F current | qtrace`: no subcommand and stdin not a terminal = ingest stdin into the
// store and print what happens, each line shown and committed within ~100 ms of its arrival.
// On a terminal with no subcommand: the help, not a silent wait.

import type { Argv, CommandModule } from 'yargs';
import type { Framing } from '../../parsers/frame.js';
import { expandInputs, impliedHost } from '../ingest/inputs.js';
import { ingestToStore } from '../ingest/to-store.js';
import { knownHosts, openDb, resolveDbPath } from '../store/db.js';
import { dbOption, defaultHost, tzOption } from './common.js';
import { stopOnSignals } from './stop.js';
import { liveOutputOptions, openLiveOutput, type LiveOutput, type Print } from './live-output.js';
import { HEADS, ShowHelp } from './commands.js';

/** How soon a line that came is committed and shown, when no further line comes. */
export const LIVE_COMMIT_MS = 100;

const FORMATS = ['auto', 'multilog', 'tai64nlocal', 'asctime', 'svlogd', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'] as const;

interface Args {
  db?: string; tz?: string; host?: string; format: (typeof FORMATS)[number]; name: string;
  json?: boolean; pretty?: boolean; color?: boolean; print: Print; metrics?: string;
}

export const liveCommand: CommandModule<object, Args> = {
  ...HEADS.live,
  builder: (y: Argv) => liveOutputOptions(y
    .option('db', dbOption)
    .option('tz', tzOption)
    .option('host', { type: 'string', describe: 'host for lines that name none (multilog)' })
    .option('format', { choices: FORMATS, default: 'auto' as const, describe: 'line framing; auto detects it per line' })
    .option('name', { type: 'string', default: 'stdin', describe: 'stream name for stdin (dedupes reruns of the same pipe)' })) as never,
  handler: async (a) => {
    if (process.stdin.isTTY === true) {
      throw new ShowHelp(); // nothing piped in: a person typed `qtrace`
    }
    await runLive(a);
  },
};

async function runLive(a: Args): Promise<void> {
  const started = process.hrtime.bigint();
  const groups = expandInputs(['-'], a.name);
  const dbPath = resolveDbPath(a.db);
  const db = openDb(dbPath);
  const stop = stopOnSignals();
  let output: LiveOutput | undefined;
  try {
    output = await openLiveOutput(groups.flat(), a, () => stop.abort());
    const implied = a.host === undefined ? impliedHost(groups, knownHosts(db)) : undefined;
    const r = await ingestToStore(db, groups, {
      signal: stop.signal, commitMs: LIVE_COMMIT_MS, observer: output.observer,
      host: a.host ?? implied ?? defaultHost(), tz: a.tz, format: a.format === 'auto' ? undefined : (a.format as Framing),
    });
    if (!(await output.quiet())) {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write(`qtrace: ${r.lines} lines, ${r.messagesTouched} messages (${r.openMessages} still queued), ` +
        `${r.unknown} unknown lines${stop.by() === undefined ? '' : `, stopped by ${stop.by()}`} in ${secs.toFixed(2)} s → ${dbPath}\n`);
    }
  } finally {
    stop.release();
    await output?.close();
    db.close();
    if (stop.signal.aborted) process.stdin.destroy(); // nothing more will be read
  }
}
