// bytes → lines → frames → events → stages, for any number of inputs merged in time order.
// Progress is a byte offset per file (by fingerprint), never a timestamp: within a file, file
// order is the order, and a line is new exactly when it lies past the file's stored offset. The
// pipeline hands what changed to a sink at each commit point; it never touches SQLite itself.

import type { Readable } from 'node:stream';
import type { FrameContext, Framing } from '../../parsers/frame.js';
import type { ZoneResolver } from '../../parsers/timestamp.js';
import type { Notice } from '../correlate/correlator.js';
import { toBytes } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import { fingerprintOf, type InputFile } from './inputs.js';
import { lineBatches, openBytes, type ReadCounts } from './lines.js';
import { Doubles, type DoublesJSON } from './marks.js';
import { mergeByTime } from './merge.js';
import { Framer, unglue, type Item as FramedItem } from './framing.js';
import type { Foreign, Stage } from './stages.js';
import { yearGuesser } from './zone.js';

const NEWLINE = Buffer.of(10);

/** What an unknown line keeps of itself (its full length is counted). */
export const UNKNOWN_KEEP = 4096;
/** A line no parser knew, kept raw (its first UNKNOWN_KEEP characters) with where it came from. */
export interface UnknownLine {
  readonly source: string; readonly lineNo: number; readonly at: number | null; readonly raw: string; readonly length: number;
}

export interface PipelineOptions {
  readonly host: string;                 // for lines that do not name one (multilog)
  readonly zone: ZoneResolver;
  readonly format?: Framing | undefined; // undefined: detect per line
  readonly stages: readonly Stage[];      // the programs, tried in order on each line's text
  readonly foreign?: Foreign | undefined; // lines of other programs (not qmail): counted apart
  readonly segment?: number;             // the segment these inputs feed (0: the present)
  readonly commitLines?: number;         // commit after this many lines…
  readonly commitMs?: number;            // …or this much wall time, whichever first
  readonly idleMs?: number;              // a stream that is quiet this long commits what it gave
  readonly signal?: AbortSignal | undefined; // stop reading, commit what was read, return
}

/** Where a file stands: what the store keeps per fingerprint. */
export interface FilePosition {
  readonly fingerprint: string;
  readonly path: string;
  readonly stream: string;
  readonly dev: number;
  readonly ino: number;
  offset: number;
  lines: number;
  lastUs: number | null;
  readonly size: number | null;
  complete: boolean;
  readonly segment: number;
}

export interface ReaderState { readonly doubles: DoublesJSON }

/**
 * A file of a followed log (`qtrace follow`): `from` is where to begin when the store knows
 * nothing of it (a first start from the end, or --since); `open` gives its bytes from an offset
 * on, open-ended, for a file that is still being written (it ends when the file is done).
 */
export interface FollowedFile {
  readonly file: InputFile;
  readonly from?: { readonly offset: number; readonly lines: number } | undefined;
  readonly open?: ((offset: number) => Readable) | undefined;
}

/**
 * One time-ordered stream of files: a fixed list, or (follow) an open-ended sequence where
 * `null` means nothing yet (an idle tick: the merge and the commits go on without it).
 */
export type Group = readonly InputFile[] | AsyncIterable<InputFile | FollowedFile | null>;

export interface CommitBatch {
  readonly notices: readonly Notice[];      // the reader's own findings (lines without time, …)
  readonly unknowns: readonly UnknownLine[];
  readonly reader: ReaderState;
  readonly positions: readonly FilePosition[]; // those that moved since the last commit
  readonly final: boolean;
  readonly stats: Readonly<IngestStats>;     // the reader's counts so far
}

export type FileHow = 'reading' | 'continuing' | 'skipped' | 'replaced' | 'failed' | 'incomplete';

export interface IngestSink {
  /** What the store holds for this fingerprint. */
  position(fingerprint: string): FilePosition | undefined;
  onFile?(f: InputFile, how: FileHow, detail?: string): void;
  /** A commit point: the sink drains its stages' correlators and stores what they decided. */
  commit(b: CommitBatch): void | Promise<void>;
  /** Between batches: a promise when the sink wants the reader to wait (a reader thread ahead of its consumer). */
  pace?(): Promise<void> | undefined;
  /** Each parsed event, once its stage took it (live view, metrics); `source` is the stage's name. */
  onEvent?(at: number, host: string, source: string, ev: unknown, raw: string): void;
}

export interface IngestStats {
  lines: number;
  events: number;         // lines a stage took
  foreign: number;        // lines of programs outside qmail's family that share its logs
  foreignBy: Record<string, number>; // …by program (dovecot, spamd, …)
  unknown: number;        // lines no stage understood (kept in unknown_lines)
  duplicates: number;     // lines of a stream logged twice, taken from its other copy
  joined: number;         // splogger continuations joined to their line
  files: number;          // files read (whole or from where they stood)
  skippedFiles: number;   // files already read to their end
  resumedFiles: number;   // files continued at their stored offset
  replacedFiles: number;  // files shorter than their offset: read again from the start
  failedFiles: string[];  // could not be read (damaged .gz, EACCES): named and skipped
  alreadyRead: number;    // lines of a stream (pipe) skipped because an earlier run took them
  cut: number;            // lines longer than MAX_LINE, kept cut
  cutBytes: number;
  partial: number;        // last lines without a newline, left for the next run
  untimed: number;        // lines without a usable time (dated by the line before)
}

interface Source {
  readonly file: InputFile;
  readonly pos: FilePosition | undefined; // undefined until a stream's fingerprint is known
  readonly label: string;
  from: number;                           // the line it was read from (lines before it were taken before)
  taken: number;                          // the last line handed to a stage
}

type Item = FramedItem<Source>;

export function emptyStats(): IngestStats {
  return { lines: 0, events: 0, foreign: 0, foreignBy: {}, unknown: 0, duplicates: 0, joined: 0, files: 0, skippedFiles: 0,
    resumedFiles: 0, replacedFiles: 0, failedFiles: [], alreadyRead: 0, cut: 0, cutBytes: 0, partial: 0, untimed: 0 };
}

export class Pipeline {
  readonly stats: IngestStats = emptyStats();
  readonly #opts: PipelineOptions;
  readonly #stages: readonly Stage[];
  readonly #doubles: Doubles;
  readonly #counts: ReadCounts = { cut: 0, cutBytes: 0, partial: 0 };
  #unknowns: UnknownLine[] = [];
  #notices: Notice[] = [];
  readonly #moved = new Set<FilePosition>();
  readonly #sources: Source[] = [];
  // files read in this run, by fingerprint: one met again (follow lists its dir again after a
  // rotation or SIGHUP; a path named twice) continues where this run read it to (its lines may
  // still be on their way to #take), under the same position, not where the store has it
  readonly #read = new Map<string, { pos: FilePosition; offset: number; lines: number }>();
  readonly #keys = new Map<string, Map<string, string>>(); // per-line stream keys, built once
  #lastKey = { source: '', host: '', key: '@' };                // a log's lines mostly repeat the last

  #key(source: string, host: string): string {
    const last = this.#lastKey;
    if (source === last.source && host === last.host) return last.key;
    let byHost = this.#keys.get(source);
    if (byHost === undefined) this.#keys.set(source, (byHost = new Map()));
    let k = byHost.get(host);
    if (k === undefined) byHost.set(host, (k = `${source}@${host}`));
    last.source = source; last.host = host; last.key = k;
    return k;
  }

  constructor(opts: PipelineOptions, reader?: ReaderState) {
    this.#opts = opts;
    this.#stages = opts.stages;
    this.#doubles = new Doubles(reader?.doubles);
  }

  /** Reads every group (a group is read in order; groups are merged by time) into the sink. */
  async run(groups: readonly Group[], sink: IngestSink): Promise<IngestStats> {
    const sources = groups.map((g) => this.#readGroup(g, sink));
    const commitLines = this.#opts.commitLines ?? 50_000;
    const commitMs = this.#opts.commitMs ?? 1000;
    let since = 0;
    let last = Date.now();
    let stopped = false;
    for await (const batch of mergeByTime(sources)) {
      if (this.#opts.signal?.aborted === true) { stopped = true; break; }
      for (let i = 0; i < batch.length; i++) this.#take(batch[i]!, sink);
      since += batch.length;
      // an empty batch is a quiet stream: what it gave is committed now, not at the next line
      // (positions that moved without a line, a followed file's start, are committed then too)
      if (since >= commitLines || ((since > 0 || this.#moved.size > 0) && (batch.length === 0 || Date.now() - last >= commitMs))) {
        await sink.commit(this.#commitBatch(false));
        since = 0;
        last = Date.now();
      }
      const slow = sink.pace?.();
      if (slow !== undefined) await slow;
    }
    // lines are counted as they are read, ahead of #take; a stop leaves some read but not taken,
    // which the next run reads again: count what this one took, so the two runs add up
    if (stopped) this.stats.lines = this.#sources.reduce((n, s) => n + s.taken - s.from, 0);
    await sink.commit(this.#commitBatch(true));
    this.stats.cut = this.#counts.cut;
    this.stats.cutBytes = this.#counts.cutBytes;
    this.stats.partial = this.#counts.partial;
    return this.stats;
  }

  #commitBatch(final: boolean): CommitBatch {
    const unknowns = this.#unknowns;
    const notices = this.#notices;
    this.#unknowns = [];
    this.#notices = [];
    const positions = [...this.#moved];
    this.#moved.clear();
    return { notices, unknowns, reader: { doubles: this.#doubles.toJSON() }, positions, final, stats: this.stats };
  }

  /** One merged line: to its correlator (unless it is the second copy of a doubly logged stream). */
  #take(it: Item, sink: IngestSink): void {
    const pos = it.src.pos;
    if (it.lineNo > it.src.taken) it.src.taken = it.lineNo;
    if (pos !== undefined) {
      pos.offset = it.end;
      pos.lines = it.lineNo;
      if (it.at !== null) pos.lastUs = it.at;
      this.#moved.add(pos);
    }
    const f = it.frame;
    const host = f.host ?? this.#opts.host;
    const text = f.text;
    const stages = this.#stages;
    let stage: Stage | undefined;
    let ev: unknown;
    for (let i = 0; i < stages.length; i++) {
      ev = stages[i]!.parse(text, f);
      if (ev !== undefined) { stage = stages[i]; break; }
    }
    // other programs are told apart by their log (syslog tag or dir)
    const source = f.tag ?? it.src.file.stream;
    const stream = stage?.onePerHost === true ? this.#key(stage.name, host) : this.#key(source, host);
    if (it.at !== null && f.us !== undefined) {
      if (this.#doubles.seen(stream, it.at, text, f.framing, it.src.file.kind === 'stream', stage?.onePerHost === true)) {
        this.stats.duplicates++;
        return;
      }
    }
    const at = it.at ?? 0;
    if (stage !== undefined) {
      this.stats.events++;
      const h = stage.hostOf === undefined ? host : stage.hostOf(host, text);
      stage.push(at, h, source, ev);
      sink.onEvent?.(at, h, stage.name, ev, it.raw);
      return;
    }
    const parts = unglue(it);
    if (parts !== undefined) {
      for (const part of parts) this.#take(part, sink);
      return;
    }
    const program = this.#opts.foreign?.(f.tag, text);
    if (program !== undefined) {
      this.stats.foreign++;
      this.stats.foreignBy[program] = (this.stats.foreignBy[program] ?? 0) + 1;
      return;
    }
    this.stats.unknown++;
    const raw = it.raw.length > UNKNOWN_KEEP ? it.raw.slice(0, UNKNOWN_KEEP) : it.raw;
    this.#unknowns.push({ source: it.src.label, lineNo: it.lineNo, at: it.at, raw, length: it.raw.length });
  }

  /** Where a file starts: where this run read it to, or where the store has it, else `from` (follow), else the beginning. */
  #start(file: InputFile, fingerprint: string, sink: IngestSink, live = false,
    from?: FollowedFile['from']): { pos: FilePosition; how: FileHow; offset: number; lines: number } {
    const again = this.#read.get(fingerprint);
    if (again !== undefined) {
      const { pos, offset, lines } = again;
      if (pos.complete || (!live && file.kind === 'file' && file.size === offset)) return { pos, how: 'skipped', offset, lines };
      if (file.kind !== 'file' || file.size >= offset) return { pos, how: 'continuing', offset, lines };
      // shorter than this run read it to: truncated (or replaced) meanwhile, read from its start
      const fresh: FilePosition = { ...pos, path: file.path, dev: file.dev, ino: file.ino, size: file.size, offset: 0, lines: 0, complete: false };
      return { pos: fresh, how: 'replaced', offset: 0, lines: 0 };
    }
    const s = this.#startAt(file, fingerprint, sink, live, again === undefined ? from : undefined);
    return { ...s, offset: s.pos.offset, lines: s.pos.lines };
  }

  #startAt(file: InputFile, fingerprint: string, sink: IngestSink, live: boolean,
    from: FollowedFile['from']): { pos: FilePosition; how: FileHow } {
    const stored = sink.position(fingerprint);
    const fresh = (): FilePosition => ({ fingerprint, path: file.path, stream: file.stream, dev: file.dev, ino: file.ino, offset: 0, lines: 0, lastUs: null,
      size: file.kind === 'stream' ? null : file.size, complete: false, segment: this.#opts.segment ?? 0 });
    if (stored === undefined) {
      if (from === undefined || from.offset === 0) return { pos: fresh(), how: 'reading' };
      // the lines before `from` are passed over on purpose: recorded now, so a later start continues here
      const pos = { ...fresh(), offset: from.offset, lines: from.lines };
      this.#moved.add(pos);
      return { pos, how: 'continuing' };
    }
    const pos: FilePosition = { ...stored, path: file.path, stream: file.stream, dev: file.dev, ino: file.ino,
      size: file.kind === 'stream' ? null : file.size };
    // a file still being written is not done when it is read to its end: it is followed from there
    if (stored.complete || (!live && file.kind === 'file' && file.size === stored.offset)) return { pos, how: 'skipped' };
    // a plain file shorter than what was read of it was replaced (or truncated): start over
    if (file.kind === 'file' && file.size < stored.offset) return { pos: fresh(), how: 'replaced' };
    return { pos, how: stored.offset === 0 ? 'reading' : 'continuing' };
  }

  /** A group's files as they come: a list, or a followed log's open-ended sequence. */
  async *#files(group: Group): AsyncGenerator<FollowedFile | null> {
    for await (const f of group) yield f === null || 'file' in f ? f : { file: f };
  }

  async *#readGroup(group: Group, sink: IngestSink): AsyncGenerator<Item[]> {
    for await (const followed of this.#files(group)) {
      if (followed === null) { yield []; continue; } // a followed log with nothing new: an idle tick
      const { file, from, open } = followed;
      const live = open !== undefined;
      const label = file.path === '-' ? file.stream : file.path;
      if (file.error !== undefined) {
        this.stats.failedFiles.push(`${label}: ${file.error}`);
        sink.onFile?.(file, 'failed', file.error);
        continue;
      }
      let pos: FilePosition | undefined;
      let startOffset = 0;
      let startLines = 0;
      let skipTo = 0; // streams and .gz are read from their start; lines up to here were taken before
      if (file.kind !== 'stream') {
        if (file.fingerprint === undefined) { // no complete first line yet
          if (file.size > 0) { this.#counts.partial++; sink.onFile?.(file, 'incomplete'); }
          continue;
        }
        const s = this.#start(file, file.fingerprint, sink, live, from);
        pos = s.pos;
        startOffset = s.offset;
        startLines = s.lines;
        sink.onFile?.(file, s.how);
        if (s.how === 'skipped') { this.stats.skippedFiles++; continue; }
        if (s.how === 'continuing') this.stats.resumedFiles++;
        if (s.how === 'replaced') this.stats.replacedFiles++;
        if (file.kind === 'gz') skipTo = startOffset;
      }
      this.stats.files++;
      const src: { file: InputFile; pos: FilePosition | undefined; label: string; from: number; taken: number } =
        { file, pos, label, from: startLines, taken: startLines };
      this.#sources.push(src);
      const ctx: FrameContext = { zone: this.#opts.zone, yearFor: yearGuesser(file.mtime), only: this.#opts.format };
      let lineNo = startLines;
      const framer = new Framer(ctx, src, file.mtime.getTime() * 1000);
      const base = file.kind === 'file' ? startOffset : 0;
      let readTo = startOffset; // the end of the last line handed on
      let readLines = startLines;
      const bytes = live ? open(base) : openBytes(file, base);
      const idleMs = file.kind === 'stream' || live ? this.#opts.idleMs ?? this.#opts.commitMs ?? 1000 : undefined;
      try {
        for await (const b of lineBatches(bytes, { label: file.path === '-' ? 'standard input' : file.path, base,
          final: file.final, idleMs, counts: this.#counts })) {
          const out: Item[] = [];
          const { lines, ends } = b;
          let i = 0;
          if (src.pos === undefined && lines.length > 0) {
            // a stream is known by its first line, as a file is: the same lines fed again (a pipe
            // rerun, or a file's lines through a pipe) are skipped as far as an earlier run took them
            const fp = fingerprintOf(Buffer.concat([toBytes(lines[0]!), NEWLINE]))!;
            const s = this.#start(file, fp, sink);
            src.pos = s.pos;
            skipTo = s.how === 'skipped' || s.how === 'continuing' ? s.offset : 0;
            if (s.how === 'continuing') this.stats.resumedFiles++;
            lineNo = skipTo > 0 ? s.lines : 0;
            src.from = src.taken = lineNo;
            s.pos.complete = false;
          }
          if (skipTo > 0) {
            while (i < lines.length && ends[i]! <= skipTo) i++;
            // a .gz continued is one file "continued where the last run stopped"; a pipe has no name to say it by
            if (file.kind === 'stream') this.stats.alreadyRead += i;
          }
          const i0 = i;
          for (; i < lines.length; i++) {
            lineNo++;
            framer.line(lines[i]!, lineNo, ends[i]!, out);
          }
          this.stats.lines += lines.length - i0;
          // an empty batch from the reader is an idle tick: pass it on so commits and stops happen
          if (out.length > 0) { readTo = out[out.length - 1]!.end; readLines = out[out.length - 1]!.lineNo; }
          if (out.length > 0 || lines.length === 0) yield out;
        }
        if (framer.holding) {
          const rest: Item[] = [];
          framer.flush(rest);
          readTo = rest[rest.length - 1]!.end; readLines = rest[rest.length - 1]!.lineNo;
          yield rest;
        }
        if (src.pos !== undefined && file.final && file.kind !== 'stream') {
          src.pos.complete = true;
          this.#moved.add(src.pos);
        }
        if (src.pos !== undefined && file.kind !== 'stream') this.#read.set(src.pos.fingerprint, { pos: src.pos, offset: readTo, lines: readLines });
      } catch (e) {
        // a damaged .gz or an unreadable file: what it gave is kept, the rest of the inputs are read;
        // anything else (a time zone qtrace cannot name, which every later local time would need) stops the run
        if (!(e instanceof QtraceError) || e.code !== 'READ') throw e;
        this.stats.failedFiles.push(`${label}: ${e.message.replace(/^cannot read [^:]*: /, '')}`);
        sink.onFile?.(file, 'failed', e.message);
        if (framer.holding) { const rest: Item[] = []; framer.flush(rest); yield rest; }
      }
      this.stats.joined += framer.joined;
      const untimed = framer.untimed;
      const lastAt = framer.lastAt;
      const none = file.mtime.getTime() * 1000;
      if (untimed > 0) {
        this.stats.untimed += untimed;
        this.#notices.push({ host: this.#opts.host, at: lastAt ?? none, level: 'qtrace',
          text: `${untimed} lines of ${label} carry no time: each is dated by the line before it${lastAt === null ? ', or by the file\'s own time where none has one' : ''}` });
      }
    }
  }
}
