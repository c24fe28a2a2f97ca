// A load of files read on two cores: the reader thread (reader-main.ts) reads, frames and
// parses; this one correlates and stores. The stages are the same list on both sides; the
// reader's push records each event into the channel (event-channel.ts), and here each is pushed
// into the real stage in the order it was read. Commit points travel with the events, so each
// commit holds what the inline pipeline's would, and the store cannot tell the two apart.

import { Worker } from 'node:worker_threads';
import { QtraceError } from '../util/errors.js';
import { ChannelReader, type Chunk } from './event-channel.js';
import type { InputFile } from './inputs.js';
import type { CommitBatch, FileHow, FilePosition, IngestSink, IngestStats, PipelineOptions, ReaderState } from './pipeline.js';
import type { Stage } from './stages.js';

/** What the reader needs to build its pipeline: the options that are data (its stages are stagesFor's). */
export interface ReaderJob {
  readonly host: string;
  readonly tz: string | undefined;
  readonly format: PipelineOptions['format'];
  readonly segment: number;
  readonly commitLines?: number | undefined;
  readonly commitMs?: number | undefined;
  readonly groups: ReadonlyArray<readonly InputFile[]>;
  /** What the store holds of these files (the reader asks for no other). */
  readonly positions: ReadonlyArray<[string, FilePosition]>;
  readonly reader: ReaderState | undefined;
}

export type ToMain =
  | { t: 'events'; c: Chunk }
  | { t: 'commit'; c: Chunk; batch: CommitBatch }
  | { t: 'file'; file: InputFile; how: FileHow; detail: string | undefined }
  | { t: 'done'; stats: IngestStats }
  | { t: 'error'; code: string | undefined; message: string };

/** A chunk's numbers go back to be written again (and say it was read); or stop reading. */
export type ToReader = { t: 'free'; nums: Float64Array } | { t: 'abort' };

/**
 * The reader thread's module. Under vitest this module is its TypeScript source: the thread
 * runs the compiled twin (npm test builds first). In the CLI's bundle it is the bundle's sibling.
 */
function entry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.cjs')) return new URL('./qtrace-reader.cjs', here);
  if (here.endsWith('.ts')) return new URL(here.replace(/\/src\/ingest\/reader-thread\.ts$/, '/dist/src/ingest/reader-main.js'));
  return new URL('./reader-main.js', here);
}

/**
 * A turn of the event loop after each chunk: a port hands over up to a thousand queued messages in
 * one task, and while the reader keeps ahead that task would last the whole load, holding back
 * signal handlers and the log's writes until its end.
 */
const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

/** The reader's young generation: what it allocates dies within a line, so a small one keeps its heap small. */
const READER_YOUNG_MB = 2;

/**
 * Runs `job`'s pipeline on a reader thread: its events go into `stages` here, its commit points
 * and files to `sink`. Resolves with the reader's counts once the last commit is stored.
 */
export function readInThread(job: ReaderJob, stages: readonly Stage[], sink: IngestSink,
  signal: AbortSignal | undefined): Promise<IngestStats> {
  return new Promise<IngestStats>((resolve, reject) => {
    const worker = new Worker(entry(), { workerData: { job }, resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MB } });
    let over = false;
    let queue: Promise<void> = Promise.resolve();
    const onAbort = (): void => worker.postMessage({ t: 'abort' } satisfies ToReader);
    if (signal?.aborted === true) onAbort(); else signal?.addEventListener('abort', onAbort, { once: true });
    const end = (): void => {
      over = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
    };
    const fail = (e: unknown): void => {
      if (over) return;
      end();
      reject(e);
    };
    const channel = new ChannelReader(stages.map((st) => st.codec));
    const push = (i: number, at: number, host: string, stream: string, ev: unknown): void => stages[i]!.push(at, host, stream, ev);
    const take = (c: Chunk): void => {
      channel.read(c, push);
      worker.postMessage({ t: 'free', nums: c.nums } satisfies ToReader, [c.nums.buffer as ArrayBuffer]);
    };
    const handle = async (m: ToMain): Promise<void> => {
      if (over) return;
      switch (m.t) {
        case 'events': take(m.c); await turn(); break;
        case 'commit': take(m.c); await sink.commit(m.batch); await turn(); break;
        case 'file': sink.onFile?.(m.file, m.how, m.detail); break;
        case 'done': end(); resolve(m.stats); break;
        case 'error': fail(m.code === undefined ? new Error(m.message) : new QtraceError(m.code, m.message)); break;
      }
    };
    // one after another, in the order they were sent: a commit may be asynchronous
    worker.on('message', (m: ToMain) => { queue = queue.then(() => handle(m)).catch(fail); });
    worker.on('error', fail);
    // after the messages it sent: an error it reported is the one to tell
    worker.on('exit', (code) => { queue = queue.then(() => fail(new Error(`the reader thread stopped (exit code ${code})`))); });
  });
}
