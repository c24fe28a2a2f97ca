// Bytes → batches of lines. split2 keeps only the trailing partial line; we drain what it has
// synchronously, so the per-line cost is one array push, not one promise.

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import split2 from 'split2';
import { QtraceError } from '../util/errors.js';
import type { InputFile } from './inputs.js';

/** Longest line kept whole; a longer one is cut (qmail-send caps reports at 10 000 bytes). */
export const MAX_LINE = 1 << 20;
const BATCH = 4096;

export function openInput(f: InputFile, stdin: Readable = process.stdin): Readable {
  const raw: Readable = f.path === '-' ? stdin : createReadStream(f.path, { highWaterMark: 1 << 16 });
  const bytes = f.gz ? raw.pipe(createGunzip()) : raw;
  if (f.gz) raw.on('error', (e) => bytes.destroy(e));
  // A CR before the newline (CRLF copies) is dropped by the framing stage.
  const lines = bytes.pipe(split2('\n', { maxLength: MAX_LINE, skipOverflow: true } as split2.Options));
  bytes.on('error', (e) => lines.destroy(e));
  return lines;
}

/**
 * Batches of lines as they come. With `idleMs`, an empty batch is yielded whenever no line came
 * for that long: a live pipe (`tail -F … |`) still reaches its commit points and its stop checks.
 */
export async function* lineBatches(lines: Readable, label: string, idleMs?: number): AsyncGenerator<string[]> {
  let ended = false;
  let idle = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => { const w = wake; wake = undefined; w?.(); };
  lines.on('readable', poke);
  lines.on('end', () => { ended = true; poke(); });
  lines.on('error', (e: Error) => { failure = e; poke(); });
  for (;;) {
    let batch: string[] = [];
    let l: string | null;
    while ((l = lines.read() as string | null) !== null) {
      batch.push(l);
      if (batch.length >= BATCH) { yield batch; batch = []; }
    }
    if (batch.length > 0) {
      yield batch;
      continue; // events that fired while we were suspended are gone: read again before waiting
    }
    if (failure !== undefined) {
      const code = (failure as NodeJS.ErrnoException).code;
      throw new QtraceError('READ', `cannot read ${label}: ${code === 'Z_DATA_ERROR' ? 'not valid gzip data' : failure.message}`);
    }
    if (ended) return;
    if (idle) {
      idle = false;
      yield [];
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((r) => {
      wake = r;
      if (idleMs !== undefined) timer = setTimeout(() => { idle = true; poke(); }, idleMs);
    });
    if (timer !== undefined) clearTimeout(timer);
  }
}
