// `tail -F current | qtrace`: no subcommand and stdin not a terminal = ingest stdin into the
// store and print what happens, each line shown and committed within ~100 ms of its arrival.
// On a terminal with no subcommand: the help, not a silent wait.

import type { Argv, CommandModule } from 'yargs';
import type { Framing } from '../../parsers/frame.js';
import { expandInputs, impliedHost } from '../ingest/inputs.js';
import { ingestToStore, type IngestObserver } from '../ingest/to-store.js';
import { LiveMetrics } from '../live/metrics.js';
import { serveMetrics, type MetricsServer } from '../live/metrics-server.js';
import { prettyPrinter } from '../live/pretty.js';
import { progressObserver } from '../live/progress.js';
import type { LiveRecord } from '../live/records.js';
import { liveObserver } from '../live/sink.js';
import { knownHosts, openDb, resolveDbPath } from '../store/db.js';
import { dbOption, defaultHost, tzOption } from './common.js';

/** How soon a line that came is committed and shown, when no further line comes. */
export const LIVE_COMMIT_MS = 100;

const PRINT = ['events', 'messages', 'all', 'none'] as const;
type Print = (typeof PRINT)[number];
const FORMATS = ['auto', 'multilog', 'tai64nlocal', 'unix', 'rfc3164', 'rfc3339', 'rfc5424'] as const;

interface Args {
  db?: string; tz?: string; host?: string; format: (typeof FORMATS)[number]; name: string;
  json?: boolean; pretty?: boolean; color?: boolean; print: Print; metrics?: string;
}

/** NO_COLOR set and non-empty (no-color.org) turns colour off unless --color asks for it. */
export function liveColor(flag: boolean | undefined, tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  return tty && (env['NO_COLOR'] ?? '') === '';
}

/** Which records a --print mode shows. */
export function shown(print: Print, r: LiveRecord): boolean {
  if (print === 'none') return false;
  if (print === 'messages') return r.type === 'message';
  return true; // the level filter (pretty) keeps the dialogue out unless 'all'
}

export const liveCommand: CommandModule<object, Args> = {
  command: '$0',
  describe: 'with stdin a pipe (tail -F current | qtrace): store and print what happens, live',
  builder: (y: Argv) => y
    .option('db', dbOption)
    .option('tz', tzOption)
    .option('host', { type: 'string', describe: 'host for lines that name none (multilog)' })
    .option('format', { choices: FORMATS, default: 'auto' as const, describe: 'line framing; auto detects it per line' })
    .option('name', { type: 'string', default: 'stdin', describe: 'stream name for stdin (dedupes reruns of the same pipe)' })
    .option('json', { type: 'boolean', describe: 'print the records as NDJSON, one per line (schemas/live-record.schema.json)' })
    .option('pretty', { type: 'boolean', describe: 'one readable line per event (the default; colour when stdout is a terminal)' })
    .option('color', { type: 'boolean', describe: 'colour the lines (default: when stdout is a terminal and NO_COLOR is empty)' })
    .option('print', { choices: PRINT, default: 'events' as const, describe: 'events (and summaries), messages (summaries only), all (also SMTP dialogue and status lines), none' })
    .option('metrics', { type: 'string', describe: 'serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9850)' })
    .conflicts('json', 'pretty') as never,
  handler: async (a) => {
    if (process.stdin.isTTY === true) {
      throw new ShowHelp(); // nothing piped in: a person typed `qtrace`
    }
    await runLive(a);
  },
};

/** Thrown by the default command on a terminal: main prints the help. */
export class ShowHelp extends Error {}

async function runLive(a: Args): Promise<void> {
  const started = process.hrtime.bigint();
  const groups = expandInputs(['-'], a.name);
  const dbPath = resolveDbPath(a.db);
  const db = openDb(dbPath);
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  const onSignal = (sig: NodeJS.Signals): void => { stoppedBy = sig; stop.abort(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `qtrace | head`: once stdout is gone, commit what was read and stop, quietly
  const out = process.stdout;
  out.removeAllListeners('error');
  let closed = false;
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    stop.abort();
  });
  const tty = out.isTTY === true;
  const render = a.json === true ? (r: LiveRecord) => JSON.stringify(r) + '\n'
    : prettyPrinter({ color: liveColor(a.color, tty), zone: a.tz ?? 'system', debug: a.print === 'all' });
  const metrics = a.metrics === undefined ? undefined : new LiveMetrics();
  let server: MetricsServer | undefined;
  // progress only when the terminal is not showing the live view itself
  const progress = process.stderr.isTTY === true && (!tty || a.print === 'none') ? progressObserver(groups.flat(), process.stderr) : undefined;
  const live = liveObserver(db, {
    emit: (records, sessions, stats) => {
      metrics?.observe(records, sessions, stats);
      if (closed || out.destroyed || a.print === 'none') return;
      let s = '';
      for (const r of records) if (shown(a.print, r)) s += render(r);
      if (s !== '') {
        progress?.done();
        out.write(s);
        if (out.destroyed) stop.abort(); // the write found the pipe closed
      }
    },
  });
  // nothing to print and no metrics: no records to build (a historical pipe at ingest speed)
  const needed = a.print !== 'none' || metrics !== undefined;
  const observer: IngestObserver | undefined = !needed ? progress?.observer : progress === undefined ? live : both(progress.observer, live);
  try {
    if (a.metrics !== undefined) {
      server = await serveMetrics(a.metrics, () => metrics!.render());
      process.stderr.write(`qtrace: metrics at http://${server.address}/metrics\n`);
    }
    const implied = a.host === undefined ? impliedHost(groups, knownHosts(db)) : undefined;
    const r = await ingestToStore(db, groups, {
      signal: stop.signal, commitMs: LIVE_COMMIT_MS, observer,
      host: a.host ?? implied ?? defaultHost(), tz: a.tz, format: a.format === 'auto' ? undefined : (a.format as Framing),
    });
    progress?.done();
    // the last write's outcome (an EPIPE is reported after it) decides whether to speak at all
    if (!out.destroyed) await new Promise<void>((r) => out.write('', () => setImmediate(r)));
    if (!closed && !out.destroyed) {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write(`qtrace: ${r.lines} lines, ${r.messagesTouched} messages (${r.openMessages} still queued), ` +
        `${r.unknown} unknown lines${stoppedBy === undefined ? '' : `, stopped by ${stoppedBy}`} in ${secs.toFixed(2)} s → ${dbPath}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server?.close();
    db.close();
    if (stop.signal.aborted) process.stdin.destroy(); // nothing more will be read
  }
}

function both(a: IngestObserver, b: IngestObserver): IngestObserver {
  return {
    onEvent: (at, host, source, ev, raw) => { a.onEvent?.(at, host, source, ev, raw); b.onEvent?.(at, host, source, ev, raw); },
    onFile: (f, skipped) => { a.onFile?.(f, skipped); b.onFile?.(f, skipped); },
    onCommit: (c, s, st) => { a.onCommit?.(c, s, st); b.onCommit?.(c, s, st); },
  };
}
