// Bytes → batches of lines with the byte offset after each one. split2 would hand us decoded
// strings and lose both the positions the store resumes from and the exact bytes of lines that
// are not UTF-8, so the splitting is done here, on Buffers, one indexOf per line.

import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { fromBytes } from '../text/escape.js';
import { QtraceError } from '../util/errors.js';
import type { InputFile } from './inputs.js';

/** Longest line kept: the rest of a longer one is counted and dropped (qmail-send caps reports at 10 000 bytes). */
export const MAX_LINE = 64 * 1024;
/** Lines per batch: small, so that little of it is alive when the GC runs. */
const BATCH = 256;
const RX_HIGH = /[\x80-\xff]/;

export interface LineBatch {
  readonly lines: string[];
  readonly ends: number[];     // ends[i]: the offset just after line i's newline
}

export interface ReadCounts {
  cut: number;                 // lines longer than MAX_LINE (kept cut)
  cutBytes: number;            // bytes dropped from them
  partial: number;             // a last line without its newline, left for the next run
}

/** The bytes of an input from `start` (decompressed for .gz, which is read from its beginning). */
export function openBytes(f: InputFile, start: number, stdin: Readable = process.stdin): Readable {
  if (f.path === '-') return stdin;
  const raw = createReadStream(f.path, f.kind === 'file' ? { start, highWaterMark: 1 << 16 } : { highWaterMark: 1 << 16 });
  if (!f.gz) return raw;
  const bytes = raw.pipe(createGunzip());
  raw.on('error', (e) => bytes.destroy(e));
  return bytes;
}

export interface LineOptions {
  readonly label: string;
  readonly base: number;       // offset of the first byte the stream gives
  readonly final: boolean;     // a last line without newline is complete
  readonly idleMs?: number | undefined; // yield an empty batch when nothing came for this long
  readonly counts: ReadCounts;
}

/**
 * Batches of lines as they come. With `idleMs`, an empty batch is yielded whenever no line came
 * for that long: a live pipe (`tail -F … |`) still reaches its commit points and its stop checks.
 */
export async function* lineBatches(bytes: Readable, o: LineOptions): AsyncGenerator<LineBatch> {
  let ended = false;
  let idle = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => { const w = wake; wake = undefined; w?.(); };
  bytes.on('readable', poke);
  bytes.on('end', () => { ended = true; poke(); });
  bytes.on('error', (e: Error) => { failure = e; poke(); });
  let pos = o.base;                    // offset of the next byte the stream gives
  let carry: Buffer | undefined;       // the unfinished line so far (at most MAX_LINE bytes of it)
  let over = 0;                        // bytes of it dropped beyond MAX_LINE
  let lines: string[] = [];
  let ends: number[] = [];
  const take = (line: Buffer, end: number): void => {
    if (over > 0) { o.counts.cut++; o.counts.cutBytes += over; over = 0; }
    lines.push(fromBytes(line));
    ends.push(end);
  };
  // the common case, a whole line inside one chunk: decoded straight from it (no Buffer view per
  // line); only a line with bytes above 127 takes the careful path (a chunk all ASCII, as a
  // qmail-send log nearly always is, is checked once instead of line by line)
  const takeIn = (chunk: Buffer, ascii: boolean, from: number, to: number, end: number): void => {
    const s = chunk.toString('latin1', from, to);
    lines.push(ascii || !RX_HIGH.test(s) ? s : fromBytes(chunk.subarray(from, to)));
    ends.push(end);
  };
  const keep = (part: Buffer): void => {
    const room = MAX_LINE - (carry?.length ?? 0);
    if (part.length > room) { over += part.length - room; part = part.subarray(0, room); }
    if (part.length === 0) return;
    carry = carry === undefined ? Buffer.from(part) : Buffer.concat([carry, part]);
  };
  for (;;) {
    let chunk: Buffer | null;
    while ((chunk = bytes.read() as Buffer | null) !== null) {
      const at = pos;
      pos += chunk.length;
      let from = 0;
      const ascii = isAscii(chunk);
      let nl = chunk.indexOf(10);
      while (nl >= 0) {
        if (carry === undefined && over === 0 && nl - from <= MAX_LINE) {
          takeIn(chunk, ascii, from, nl, at + nl + 1);
          from = nl + 1;
          nl = chunk.indexOf(10, from);
          continue;
        }
        let line = chunk.subarray(from, nl);
        if (carry !== undefined || over > 0) {
          keep(line);
          line = carry ?? Buffer.alloc(0);
          carry = undefined;
        } else if (line.length > MAX_LINE) {
          over = line.length - MAX_LINE;
          line = line.subarray(0, MAX_LINE);
        }
        take(line, at + nl + 1);
        from = nl + 1;
        nl = chunk.indexOf(10, from);
      }
      if (from < chunk.length) keep(chunk.subarray(from));
      if (lines.length >= BATCH) { yield { lines, ends }; lines = []; ends = []; }
    }
    if (lines.length > 0) {
      yield { lines, ends };
      lines = []; ends = [];
      continue; // events that fired while we were suspended are gone: read again before waiting
    }
    if (failure !== undefined) {
      const code = (failure as NodeJS.ErrnoException).code;
      throw new QtraceError('READ', `cannot read ${o.label}: ${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'not valid gzip data' : failure.message}`);
    }
    if (ended) {
      if (carry !== undefined || over > 0) {
        if (o.final) {
          take(carry ?? Buffer.alloc(0), pos);
          yield { lines, ends };
        } else o.counts.partial++;
      }
      return;
    }
    if (idle) {
      idle = false;
      yield { lines: [], ends: [] };
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((r) => {
      wake = r;
      if (o.idleMs !== undefined) timer = setTimeout(() => { idle = true; poke(); }, o.idleMs);
    });
    if (timer !== undefined) clearTimeout(timer);
  }
}
