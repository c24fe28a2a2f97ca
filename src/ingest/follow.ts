// `qtrace follow`: each named log as an open-ended group of files for the pipeline. A multilog
// dir is listed (`@….s` in order, then `current`); `current` is read through its descriptor to
// its end and then followed until multilog renames it, and the dir is listed again. The pipeline
// decides, by fingerprint, what of each file is new (a rotated file read whole is skipped, one
// read in part continues), so files rotated while qtrace was down are read first, in order.
// A log the store has never read starts from the end of `current` (or its start, or --since).

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Framing } from '../../parsers/frame.js';
import { frameLine } from '../../parsers/line.js';
import type { ZoneResolver } from '../../parsers/timestamp.js';
import { fromBytes } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import type { Log } from '../util/log.js';
import { fileInput, RX_ROTATED, streamOf, type InputFile } from './inputs.js';
import type { FollowedFile } from './pipeline.js';
import { Tail, type TailEnd } from './tail.js';
import { yearGuesser } from './zone.js';

/** Where a log the store has never read begins. */
export type StartFrom =
  | { readonly kind: 'end' }
  | { readonly kind: 'start' }
  | { readonly kind: 'since'; readonly us: number; readonly zone: ZoneResolver; readonly format?: Framing | undefined };

export interface FollowTarget {
  readonly path: string;                 // the multilog dir, or the plain file
  readonly kind: 'multilog' | 'file';
  readonly stream: string;               // as `ingest` names it
}

export interface FollowOptions {
  readonly from: StartFrom;
  /** Whether the store has read a file of this log before (then nothing is passed over). */
  readonly knows: (t: FollowTarget) => boolean;
  readonly pollMs: number;
  readonly signal: AbortSignal;
  readonly log: Log;
}

const RX_CURRENT = /^current$/;

function isMultilogDir(names: readonly string[]): boolean {
  return names.some((n) => RX_CURRENT.test(n) || RX_ROTATED.test(n));
}

/** What the arguments name: multilog dirs (or a dir of them, or a `current`), or plain log files. */
export function followTargets(args: readonly string[]): FollowTarget[] {
  if (args.length === 0) throw new QtraceError('USAGE', 'name the multilog directories or log files to follow');
  const out: FollowTarget[] = [];
  for (const a of args) {
    const p = resolve(a);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new QtraceError('NO_INPUT', `cannot follow ${a}: no such file or directory`);
    }
    if (st.isDirectory()) {
      let names: string[];
      try { names = readdirSync(p); } catch (e) {
        throw new QtraceError('NO_INPUT', `cannot follow ${a}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read it'}`);
      }
      if (isMultilogDir(names)) { out.push({ path: p, kind: 'multilog', stream: basename(p) }); continue; }
      const subs = names.sort().filter((n) => {
        try { return statSync(join(p, n)).isDirectory() && isMultilogDir(readdirSync(join(p, n))); } catch { return false; }
      });
      if (subs.length === 0) {
        throw new QtraceError('NOT_MULTILOG', `cannot follow ${a}: not a multilog directory (no current or @….s files) and holds none`,
          'name multilog directories or log files');
      }
      for (const n of subs) out.push({ path: join(p, n), kind: 'multilog', stream: n });
    } else if (st.isFile()) {
      if (p.endsWith('.gz')) throw new QtraceError('USAGE', `cannot follow ${a}: a compressed file does not grow`, 'read it with qtrace ingest');
      // `follow …/current` means its multilog dir, so that rotation is followed
      if (basename(p) === 'current') out.push({ path: dirname(p), kind: 'multilog', stream: basename(dirname(p)) });
      else out.push({ path: p, kind: 'file', stream: streamOf(p) });
    } else {
      throw new QtraceError('NO_INPUT', `cannot follow ${a}: not a directory or a regular file`);
    }
  }
  return out;
}

/** Every line of a file's bytes in order: `visit(line, start, end)` returns true to stop. */
function scanLines(f: InputFile, fd: number | undefined, visit: (line: Buffer, start: number) => boolean):
  { end: number; lines: number; stopped: boolean } {
  let lines = 0;
  let end = 0; // after the last newline seen
  const each = (buf: Buffer, base: number, from: number): number => {
    let nl = buf.indexOf(10, from);
    while (nl >= 0) {
      if (visit(buf.subarray(from, nl), base + from)) return -1;
      lines++;
      end = base + nl + 1;
      from = nl + 1;
      nl = buf.indexOf(10, from);
    }
    return from;
  };
  if (f.gz) {
    const all = gunzipSync(readSyncAll(f.path));
    return { end, lines, stopped: each(all, 0, 0) < 0 };
  }
  const own = fd ?? openSync(f.path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let base = 0; // offset of carry[0]
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(own, chunk, 0, chunk.length, base + carry.length);
      if (n === 0) break;
      const buf = carry.length === 0 ? chunk.subarray(0, n) : Buffer.concat([carry, chunk.subarray(0, n)]);
      const rest = each(buf, base, 0);
      if (rest < 0) return { end, lines, stopped: true };
      carry = Buffer.from(buf.subarray(rest));
      base += rest;
    }
    return { end, lines, stopped: false };
  } finally {
    if (fd === undefined) closeSync(own);
  }
}

function readSyncAll(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    const b = Buffer.allocUnsafe(1 << 20);
    let at = 0;
    for (let n; (n = readSync(fd, b, 0, b.length, at)) > 0; at += n) parts.push(Buffer.from(b.subarray(0, n)));
    return Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}

/** Where a file of a log never read begins: after its last whole line (end), or at the first line at or after --since. */
export function startIn(f: InputFile, from: StartFrom, fd?: number): FollowedFile['from'] {
  if (from.kind === 'start') return undefined;
  if (from.kind === 'end') {
    const s = scanLines(f, fd, () => false);
    return { offset: s.end, lines: s.lines };
  }
  let at = 0;
  let before = 0;
  const ctx = { zone: from.zone, yearFor: yearGuesser(f.mtime), only: from.format };
  const s = scanLines(f, fd, (line, start) => {
    const us = frameLine(fromBytes(line), ctx).us;
    if (us !== undefined && us >= from.us) { at = start; return true; }
    before++;
    return false;
  });
  return s.stopped ? { offset: at, lines: before } : { offset: s.end, lines: s.lines };
}

type LiveResult = 'done' | 'waiting';

/** The followed logs: one group each for the pipeline, and SIGHUP's reopen for all of them. */
export class Follower {
  readonly #o: FollowOptions;
  readonly #tails = new Set<Tail>();
  readonly #sleepers = new Set<() => void>();

  constructor(o: FollowOptions) {
    this.#o = o;
    o.signal.addEventListener('abort', () => this.#wakeAll(), { once: true });
  }

  /** SIGHUP: every log is listed again (what is being read is read to its end first). */
  reopen(): void {
    for (const t of this.#tails) t.stop('reopened');
    this.#wakeAll();
  }

  group(t: FollowTarget): AsyncGenerator<FollowedFile | null> {
    return t.kind === 'multilog' ? this.#multilog(t) : this.#plain(t);
  }

  #wakeAll(): void {
    for (const w of [...this.#sleepers]) w();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const done = (): void => { clearTimeout(timer); this.#sleepers.delete(done); r(); };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  get #stopped(): boolean { return this.#o.signal.aborted; }

  /**
   * Where each file of a log never read begins, decided once, at the start (files that appear
   * later are new: read whole). Keyed by fingerprint, which survives the rename to @….s.
   */
  #plan(t: FollowTarget): Map<string, FollowedFile['from']> {
    const plan = new Map<string, FollowedFile['from']>();
    if (this.#o.from.kind === 'start' || this.#o.knows(t)) return plan;
    const paths = t.kind === 'file' ? [t.path] : readdirSync(t.path).filter((n) => RX_ROTATED.test(n) || RX_CURRENT.test(n)).map((n) => join(t.path, n));
    for (const p of paths) {
      try {
        const f = fileInput(p, t.stream);
        if (f.fingerprint !== undefined && f.kind !== 'stream') plan.set(f.fingerprint, startIn(f, this.#o.from));
      } catch { /* gone meanwhile: then it is not there to pass over */ }
    }
    return plan;
  }

  async *#multilog(t: FollowTarget): AsyncGenerator<FollowedFile | null> {
    const plan = this.#plan(t);
    const given = new Set<string>(); // rotated files handed on in this run
    const rotated = (names: readonly string[]): string[] => names.filter((x) => RX_ROTATED.test(x) && !given.has(x)).sort();
    let unreadable = false;
    while (!this.#stopped) {
      let names: string[];
      try {
        names = readdirSync(t.path);
        unreadable = false;
      } catch (e) {
        if (!unreadable) this.#o.log.error({ dir: t.path }, `cannot list ${t.path}: ${(e as NodeJS.ErrnoException).code ?? 'error'} (trying again)`);
        unreadable = true;
        yield null;
        await this.#sleep(this.#o.pollMs);
        continue;
      }
      const older = rotated(names);
      if (older.length > 0) {
        for (const n of older) {
          given.add(n);
          let f: InputFile;
          try { f = fileInput(join(t.path, n), t.stream); } catch { continue; } // removed by multilog meanwhile
          yield { file: f, from: f.fingerprint === undefined ? undefined : plan.get(f.fingerprint) };
          if (this.#stopped) return;
        }
        continue; // reading them took time: list again before current
      }
      // current is opened first and the dir listed after: a rotation in between shows as a new @….s
      const path = join(t.path, 'current');
      let fd: number | undefined;
      try { fd = openSync(path, 'r'); } catch { fd = undefined; }
      let again: string[] = [];
      try { again = rotated(readdirSync(t.path)); } catch { /* listed again at the top */ }
      if (fd !== undefined && again.length > 0) { closeSync(fd); continue; }
      const r = fd === undefined ? 'waiting' : yield* this.#live(path, t.stream, fd, plan);
      if (r === 'waiting') {
        yield null;
        await this.#sleep(this.#o.pollMs);
      }
    }
  }

  async *#plain(t: FollowTarget): AsyncGenerator<FollowedFile | null> {
    const plan = this.#plan(t);
    while (!this.#stopped) {
      let fd: number | undefined;
      try { fd = openSync(t.path, 'r'); } catch { fd = undefined; }
      const r = fd === undefined ? 'waiting' : yield* this.#live(t.path, t.stream, fd, plan);
      if (r === 'waiting') {
        yield null;
        await this.#sleep(this.#o.pollMs);
      }
    }
  }

  /** The file at `path`, followed through its descriptor until it is rotated away (or truncated, or a stop). */
  async *#live(path: string, stream: string, fd: number, plan: ReadonlyMap<string, FollowedFile['from']>):
    AsyncGenerator<FollowedFile | null, LiveResult> {
    let f: InputFile;
    try { f = fileInput(path, stream, fd); } catch { closeSync(fd); return 'waiting'; }
    if (f.fingerprint === undefined || f.kind !== 'file') { closeSync(fd); return 'waiting'; } // no whole first line yet
    let tail: Tail | undefined;
    let ended: { why: TailEnd; at: number; size: number } | undefined;
    const open = (offset: number): Tail => {
      tail = new Tail(fd, path, f, offset, {
        pollMs: this.#o.pollMs, signal: this.#o.signal,
        onEnd: (why, at, size) => { ended = { why, at, size }; this.#tails.delete(tail!); },
      });
      this.#tails.add(tail);
      return tail;
    };
    yield { file: f, from: plan.get(f.fingerprint), open };
    if (tail === undefined) { closeSync(fd); return 'waiting'; } // the pipeline had it whole already
    if (ended === undefined) tail.destroy(); // the pipeline stopped reading it
    else if (ended.why === 'truncated') {
      this.#o.log.warn({ file: path }, `${path} was truncated to ${ended.size} bytes after ${ended.at} had been read: ` +
        'what was written to it since the last read is lost; reading it again from its start');
    }
    return 'done';
  }
}
