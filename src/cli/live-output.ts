// What the pipe mode prints and serves, made once so that `qtrace follow` wires the same:
// the printer (pretty or --json, --print), the metrics server, progress on a terminal's stderr,
// and a quiet end when stdout goes away (`| head`).

import type { Argv } from 'yargs';
import type { InputFile } from '../ingest/inputs.js';
import type { IngestObserver } from '../ingest/to-store.js';
import { LiveMetrics } from '../live/metrics.js';
import { serveMetrics, type MetricsServer } from '../live/metrics-server.js';
import { prettyPrinter } from '../live/pretty.js';
import { progressObserver } from '../live/progress.js';
import type { LiveRecord } from '../live/records.js';
import { liveObserver } from '../live/sink.js';

export const PRINT = ['events', 'messages', 'all', 'none'] as const;
export type Print = (typeof PRINT)[number];

export interface LiveOutputArgs {
  readonly json?: boolean | undefined;
  readonly pretty?: boolean | undefined;
  readonly color?: boolean | undefined;
  readonly tz?: string | undefined;
  readonly print: Print;
  readonly metrics?: string | undefined;
}

export interface LiveOutput {
  /** For ingestToStore's `observer` (undefined: nothing needs to see the lines). */
  readonly observer: IngestObserver | undefined;
  /** True once stdout is gone: say nothing more. */
  quiet(): Promise<boolean>;
  close(): Promise<void>;
}

/** The output flags, shared by the pipe mode and `follow`. */
export function liveOutputOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', describe: 'print the records as NDJSON, one per line (schemas/live-record.schema.json)' })
    .option('pretty', { type: 'boolean', describe: 'the readable view, coloured as on a terminal (the default view; colour only on a terminal)' })
    .option('color', { type: 'boolean', describe: 'colour the lines (default: when stdout is a terminal and NO_COLOR is empty)' })
    .option('print', { choices: PRINT, default: 'events' as const, describe: 'events (and summaries), messages (summaries only), all (also SMTP dialogue and status lines), none' })
    .option('metrics', { type: 'string', describe: 'serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9850)' })
    .conflicts('json', 'pretty');
}

/** NO_COLOR set and non-empty (no-color.org) turns colour off unless --color asks for it. */
export function liveColor(flag: boolean | undefined, person: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  return person && (env['NO_COLOR'] ?? '') === '';
}

/** Which records a --print mode shows (the pretty printer's level filter keeps the dialogue out unless 'all'). */
export function shown(print: Print, r: LiveRecord): boolean {
  if (print === 'none') return false;
  if (print === 'messages') return r.type === 'message';
  return true;
}

/** `stop` is called when stdout closes: the caller aborts its ingest, which commits and returns. */
export async function openLiveOutput(files: readonly InputFile[], a: LiveOutputArgs, stop: () => void): Promise<LiveOutput> {
  const out = process.stdout;
  out.removeAllListeners('error'); // main's handler exits at once; this one lets the ingest commit first
  let closed = false;
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    stop();
  });
  const tty = out.isTTY === true;
  // for a person: stdout a terminal, or --pretty (then colour too, as on a terminal)
  const render = a.json === true ? (r: LiveRecord) => JSON.stringify(r) + '\n'
    : prettyPrinter({ color: liveColor(a.color, tty || a.pretty === true), zone: a.tz ?? 'system', debug: a.print === 'all' });
  const metrics = a.metrics === undefined ? undefined : new LiveMetrics();
  let server: MetricsServer | undefined;
  if (a.metrics !== undefined) {
    server = await serveMetrics(a.metrics, () => metrics!.render());
    process.stderr.write(`qtrace: metrics at http://${server.address}/metrics\n`);
  }
  // progress only when the terminal is not showing the live view itself
  const progress = process.stderr.isTTY === true && (!tty || a.print === 'none') ? progressObserver(files, process.stderr) : undefined;
  const live = liveObserver({
    emit: (records, sessions, stats) => {
      metrics?.observe(records, sessions, stats);
      if (closed || out.destroyed || a.print === 'none') return;
      let s = '';
      for (const r of records) if (shown(a.print, r)) s += render(r);
      if (s !== '') {
        progress?.done();
        out.write(s);
        if (out.destroyed) stop(); // the write found the pipe closed
      }
    },
  });
  // nothing to print and no metrics: no records to build (a historical pipe at ingest speed)
  const needed = a.print !== 'none' || metrics !== undefined;
  return {
    observer: !needed ? progress?.observer : progress === undefined ? live : both(progress.observer, live),
    quiet: async () => {
      progress?.done();
      // the last write's outcome (an EPIPE is reported after it) decides whether to speak at all
      if (!out.destroyed) await new Promise<void>((r) => out.write('', () => setImmediate(r)));
      return closed || out.destroyed;
    },
    close: async () => { await server?.close(); },
  };
}

function both(a: IngestObserver, b: IngestObserver): IngestObserver {
  return {
    onEvent: (at, host, source, ev, raw) => { a.onEvent?.(at, host, source, ev, raw); b.onEvent?.(at, host, source, ev, raw); },
    onFile: (f, skipped) => { a.onFile?.(f, skipped); b.onFile?.(f, skipped); },
    onCommit: (c, s, st, l) => { a.onCommit?.(c, s, st, l); b.onCommit?.(c, s, st, l); },
  };
}
