// bytes → lines → frames → events → correlator, for any number of inputs merged in time order.
// The pipeline hands what changed to a sink at each commit point; it never touches SQLite itself.

import type { SendEvent } from '../../parsers/events.js';
import type { SmtpdEvent } from '../../parsers/smtpd-events.js';
import { splitGlued, type Frame, type FrameContext, type Framing } from '../../parsers/frame.js';
import { frameLine, parseText, type TextParser } from '../../parsers/line.js';
import { queueOf } from '../../parsers/qmail-send.js';
import type { ZoneResolver } from '../../parsers/timestamp.js';
import { Correlator, type CorrelatorSnapshot, type Output } from '../correlate/correlator.js';
import type { UnknownLine } from '../store/writer.js';
import type { InputFile } from './inputs.js';
import { lineBatches, openInput } from './lines.js';
import { StreamMarks, type MarksJSON } from './marks.js';
import { mergeByTime } from './merge.js';
import { yearGuesser } from './zone.js';

const RX_UNPRINTABLE = /[^\x20-\x7e]/;
const RX_UNPRINTABLE_ALL = /[^\x20-\x7e]/g;

/** splogger cuts a line after this many characters of text and sends the rest as `STAMP+rest`. */
const SPLOGGER_CUT = 799;

/** A second program's events (the smtpd side) plugged into the same pass. */
export interface SidePlugin<E> {
  readonly parse: TextParser<E>;
  push(at: number, host: string, stream: string, ev: E): void;
}

export interface PipelineOptions<E> {
  readonly host: string;                 // for lines that do not name one (multilog)
  readonly zone: ZoneResolver;
  readonly format?: Framing | undefined; // undefined: detect per line
  readonly side?: SidePlugin<E> | undefined;
  readonly commitLines?: number;         // commit after this many lines…
  readonly commitMs?: number;            // …or this much wall time, whichever first
  readonly signal?: AbortSignal | undefined; // stop reading, commit what was read, return
}

export interface ReaderState {
  readonly hwm: MarksJSON;
}

export interface CommitBatch {
  readonly output: Output;
  readonly unknowns: readonly UnknownLine[];
  readonly correlator: CorrelatorSnapshot;
  readonly reader: ReaderState;
  readonly final: boolean;
}

export interface IngestSink {
  /** True when this very file was read to its end before: it is skipped. */
  alreadyRead?(f: InputFile): boolean;
  /** A file is about to be read (or was skipped). */
  onFile?(f: InputFile, skipped: boolean): void;
  commit(b: CommitBatch): void | Promise<void>;
  /** Each parsed event, as it is handed to its correlator (live view, metrics). */
  onEvent?(at: number, host: string, source: 'send' | 'smtpd', ev: SendEvent | SmtpdEvent, raw: string): void;
}

export interface IngestStats {
  lines: number;
  sendEvents: number;
  sideEvents: number;
  unknown: number;
  duplicates: number;     // lines at or before what was already ingested from that stream
  joined: number;         // splogger continuations joined to their line
  skippedFiles: number;
  files: number;
}

interface Item { raw: string; lineNo: number; file: InputFile; group: number; ctx: FrameContext; frame: Frame; at: number | null }

export class Pipeline<E> {
  readonly correlator: Correlator;
  readonly stats: IngestStats = { lines: 0, sendEvents: 0, sideEvents: 0, unknown: 0, duplicates: 0, joined: 0, skippedFiles: 0, files: 0 };
  readonly #opts: PipelineOptions<E>;
  readonly #marks: StreamMarks;
  #unknowns: UnknownLine[] = [];
  readonly #keys = new Map<string, Map<string, string>>(); // per-line stream keys, built once
  #onEvent: IngestSink['onEvent'];

  #key(source: string, host: string): string {
    let byHost = this.#keys.get(source);
    if (byHost === undefined) this.#keys.set(source, (byHost = new Map()));
    let k = byHost.get(host);
    if (k === undefined) byHost.set(host, (k = `${source}@${host}`));
    return k;
  }

  constructor(opts: PipelineOptions<E>, correlator: Correlator = new Correlator(), reader?: ReaderState) {
    this.#opts = opts;
    this.correlator = correlator;
    this.#marks = new StreamMarks(reader?.hwm);
  }

  /** Reads every group (a group is read in order; groups are merged by time) into the sink. */
  async run(groups: readonly (readonly InputFile[])[], sink: IngestSink): Promise<IngestStats> {
    const sources = groups.map((g, i) => this.#readGroup(g, i, sink));
    this.#onEvent = sink.onEvent?.bind(sink);
    const commitLines = this.#opts.commitLines ?? 50_000;
    const commitMs = this.#opts.commitMs ?? 1000;
    let since = 0;
    let last = Date.now();
    for await (const batch of mergeByTime(sources)) {
      if (this.#opts.signal?.aborted === true) break;
      for (let i = 0; i < batch.length; i++) this.#take(batch[i]!);
      since += batch.length;
      if (since >= commitLines || Date.now() - last >= commitMs) {
        await sink.commit(this.#commitBatch(false));
        since = 0;
        last = Date.now();
      }
    }
    await sink.commit(this.#commitBatch(true));
    return this.stats;
  }

  #commitBatch(final: boolean): CommitBatch {
    const hwm = this.#marks.toJSON();
    const unknowns = this.#unknowns;
    this.#unknowns = [];
    return { output: this.correlator.drain(final), unknowns, correlator: this.correlator.snapshot(), reader: { hwm }, final };
  }

  /** One merged line: dedupe against what this stream already gave, then hand to its consumer. */
  #take(it: Item): void {
    const f = it.frame;
    const host = f.host ?? this.#opts.host;
    const text = f.text;
    const p = parseText(text, this.#opts.side?.parse);
    // One qmail-send per host; other programs are told apart by their log (syslog tag or dir).
    const source = f.tag ?? it.file.stream;
    const stream = p.send !== undefined ? this.#key('send', host) : this.#key(source, host);
    // splogger turns bytes outside 32..126 into '?': compare copies as splogger would print them
    const same = p.send !== undefined || !RX_UNPRINTABLE.test(text) ? text : text.replace(RX_UNPRINTABLE_ALL, '?');
    if (it.at !== null && f.stamp !== undefined && this.#marks.seen(stream, f.stamp.us, same, it.group)) {
      this.stats.duplicates++;
      return;
    }
    const at = it.at ?? 0;
    if (p.send !== undefined) {
      this.stats.sendEvents++;
      // indimail multi-queue: each queue is its own qmail-send, with its own ids
      const q = queueOf(text);
      this.correlator.push(at, q === undefined ? host : `${host}/${q}`, p.send as SendEvent);
      this.#onEvent?.(at, q === undefined ? host : `${host}/${q}`, 'send', p.send as SendEvent, it.raw);
    } else if (p.other !== undefined) {
      this.stats.sideEvents++;
      this.#opts.side!.push(at, host, source, p.other);
      this.#onEvent?.(at, host, 'smtpd', p.other as SmtpdEvent, it.raw);
    } else {
      // A framed line that no parser knows may be two lines glued by a lost newline.
      const parts = f.framing === 'none' || it.raw.length < 40 ? undefined : splitGlued(it.raw);
      if (parts !== undefined) {
        for (const raw of parts) {
          const frame = frameLine(raw, it.ctx);
          this.#take({ ...it, raw, frame, at: frame.stamp?.us ?? it.at });
        }
        return;
      }
      this.stats.unknown++;
      this.#unknowns.push({ source: it.file.path === '-' ? it.file.stream : it.file.path, lineNo: it.lineNo, at: it.at, raw: it.raw });
    }
  }

  async *#readGroup(files: readonly InputFile[], group: number, sink: IngestSink): AsyncGenerator<Item[]> {
    let lastAt: number | null = null;
    for (const file of files) {
      if (sink.alreadyRead?.(file) === true) {
        this.stats.skippedFiles++;
        sink.onFile?.(file, true);
        continue;
      }
      sink.onFile?.(file, false);
      this.stats.files++;
      const ctx: FrameContext = { zone: this.#opts.zone, yearFor: yearGuesser(file.mtime), only: this.#opts.format };
      let lineNo = 0;
      // splogger: a line cut at SPLOGGER_CUT waits here for its `+` continuation (same host and tag)
      const held = new Map<string, Item>();
      const stdin = file.path === '-';
      const commitMs = this.#opts.commitMs ?? 1000;
      for await (const lines of lineBatches(openInput(file), stdin ? 'standard input' : file.path, stdin ? commitMs : undefined)) {
        const out: Item[] = [];
        for (let i = 0; i < lines.length; i++) {
          const raw = lines[i]!;
          lineNo++;
          this.stats.lines++;
          let frame = frameLine(raw, ctx);
          if (frame.framing === 'none' && raw.length > 30) {
            const parts = splitGlued(raw);
            if (parts !== undefined) {
              // Two lines glued by a lost newline: take both, in order.
              const first = frameLine(parts[0], ctx);
              if (first.stamp !== undefined) lastAt = first.stamp.us;
              out.push({ raw: parts[0], lineNo, file, group, ctx, frame: first, at: first.stamp?.us ?? lastAt });
              frame = frameLine(parts[1], ctx);
            }
          }
          if (frame.stamp !== undefined) lastAt = frame.stamp.us;
          const hk = frame.tag === undefined ? '' : `${frame.host ?? ''}|${frame.tag}`;
          if (frame.continued) {
            const h = held.get(hk);
            if (h !== undefined) {
              held.delete(hk);
              this.stats.joined++;
              h.frame = { ...h.frame, text: h.frame.text + frame.text };
              h.raw = h.raw + '\n' + raw;
              out.push(h);
              continue;
            }
          } else {
            const h = held.get(hk);
            if (h !== undefined) { held.delete(hk); out.push(h); }
          }
          const item: Item = { raw, lineNo, file, group, ctx, frame, at: frame.stamp?.us ?? lastAt };
          if (frame.text.length === SPLOGGER_CUT && (frame.framing !== 'multilog' && frame.framing !== 'tai64nlocal')) {
            held.set(hk, item);
          } else {
            out.push(item);
          }
        }
        // an empty batch from the reader is an idle tick: pass it on so commits and stops happen
        if (out.length > 0 || lines.length === 0) yield out;
      }
      if (held.size > 0) yield [...held.values()];
    }
  }
}
