// The reader thread (reader-thread.ts starts it): the pipeline's reading, framing and parsing,
// with stages whose push records the event into the channel instead of a correlator. Commit
// points go with the events; the thread waits whenever the other end holds WINDOW chunks unread.

import { parentPort, workerData } from 'node:worker_threads';
import { QtraceError } from '../util/errors.js';
import { ChannelWriter, type Chunk } from './event-channel.js';
import { Pipeline, type IngestSink } from './pipeline.js';
import { foreign, stagesFor, type Correlators } from './programs.js';
import type { ReaderJob, ToMain, ToReader } from './reader-thread.js';
import type { Stage } from './stages.js';
import { zoneResolver } from './zone.js';

/**
 * Chunks (128 KB of numbers each) the main thread may hold unread: what bounds the memory between
 * the two. The main thread's pace comes in bursts (a commit, a GC) and the reader's is steady: 4 MB
 * lets the reader run on through a burst: the main thread's waits for it over the bench's ×10 fell
 * from 1.1–2.25 s (2 MB) to 0.5–1.0 s (a busy machine).
 */
const WINDOW = 32;

// The stages' parsers run here; their correlators are on the other thread.
const nowhere = new Proxy({}, { get: () => () => { throw new Error('a reader stage reached a correlator'); } });

async function read(job: ReaderJob): Promise<void> {
  const port = parentPort!;
  const abort = new AbortController();
  let sent = 0;
  let freed = 0;
  let wake: (() => void) | undefined;
  const send = (m: ToMain, c?: Chunk): void => {
    if (c === undefined) { port.postMessage(m); return; }
    sent++;
    port.postMessage(m, [c.nums.buffer as ArrayBuffer]);
  };
  const out = new ChannelWriter(stagesFor(nowhere as Correlators).map((st) => st.codec), (c) => send({ t: 'events', c }, c));
  port.on('message', (m: ToReader) => {
    if (m.t === 'abort') { abort.abort(); return; }
    freed++;
    out.reuse(m.nums);
    const w = wake; wake = undefined; w?.();
  });
  const stages: Stage[] = stagesFor(nowhere as Correlators).map((st, i) => ({
    ...st, push: (at: number, host: string, stream: string, ev: unknown) => out.record(i, at, host, stream, ev),
  }));
  const positions = new Map(job.positions);
  const p = new Pipeline({
    host: job.host, zone: zoneResolver(job.tz), format: job.format, signal: abort.signal, segment: job.segment,
    stages, foreign,
    ...(job.commitLines === undefined ? {} : { commitLines: job.commitLines }),
    ...(job.commitMs === undefined ? {} : { commitMs: job.commitMs }),
  }, job.reader);
  const sink: IngestSink = {
    position: (fp) => positions.get(fp),
    onFile: (file, how, detail) => send({ t: 'file', file, how, detail }),
    commit: (batch) => { const c = out.take(); send({ t: 'commit', c, batch }, c); },
    pace: () => (sent - freed < WINDOW ? undefined : new Promise<void>((w) => { wake = w; })),
  };
  const stats = await p.run(job.groups, sink);
  send({ t: 'done', stats });
}

read((workerData as { job: ReaderJob }).job).catch((e: unknown) => {
  parentPort!.postMessage({ t: 'error', code: e instanceof QtraceError ? e.code : undefined,
    message: e instanceof Error ? e.message : String(e) } satisfies ToMain);
});
