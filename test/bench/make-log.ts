// Builds the benchmark log: the lab's volume send log replayed N times, each copy's TAI64N stamps
// shifted past the previous one (or a period apart), with a qmail-send restart (`status: exiting`)
// between copies.

import { createReadStream, createWriteStream, existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { decodeTai64n, encodeTai64n } from '../../parsers/timestamp.js';
import { LAB } from '../helpers/lab.js';

export async function readVolume(dir: string): Promise<string[]> {
  const names = readdirSync(dir).filter((n) => n.startsWith('@') || n.startsWith('current')).sort((a, b) =>
    (a.startsWith('current') ? 1 : 0) - (b.startsWith('current') ? 1 : 0) || a.localeCompare(b));
  const lines: string[] = [];
  for (const n of names) {
    const rl = createInterface({ input: createReadStream(join(dir, n)).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const l of rl) lines.push(l);
  }
  return lines;
}

export interface ReplayOptions {
  /** the first copy's number (its stamps are shifted by that many periods) */
  readonly from?: number;
  /** µs from one copy's start to the next's; default: the log's own span plus a second (back to back) */
  readonly periodUs?: number;
}

export async function writeReplay(lines: readonly string[], copies: number, out: string, opts: ReplayOptions = {}): Promise<number> {
  const stamps = lines.map((l) => decodeTai64n(l.slice(1, 25))!.us);
  const first = stamps[0]!;
  const last = stamps[stamps.length - 1]!;
  const period = opts.periodUs ?? last - first + 1_000_000;
  const from = opts.from ?? 0;
  const ws = createWriteStream(out);
  let n = 0;
  for (let c = from; c < from + copies; c++) {
    const shift = c * period;
    let buf = '';
    for (let i = 0; i < lines.length; i++) {
      buf += '@' + encodeTai64n(stamps[i]! + shift) + lines[i]!.slice(25) + '\n';
      n++;
      if (buf.length > 1 << 20) { if (!ws.write(buf)) await new Promise<void>((r) => ws.once('drain', () => r())); buf = ''; }
    }
    const endUs = last + shift + 500_000;
    buf += `@${encodeTai64n(endUs)} status: exiting\n@${encodeTai64n(endUs + 10)} status: local 0/10 remote 0/20\n`;
    n += 2;
    if (!ws.write(buf)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((r) => ws.end(r));
  return n;
}

/** DIR/send-xN.log, the volume send log replayed N times: made from test/lab on first use, then kept. */
export async function replayLog(dir: string, copies: number): Promise<string> {
  const file = join(dir, `send-x${copies}.log`);
  if (existsSync(file)) return file;
  await writeReplay(await readVolume(join(LAB, 'volume', 'logs', 'send')), copies, file + '.tmp');
  renameSync(file + '.tmp', file);
  return file;
}
