// Builds the benchmark log: the lab's volume send log replayed N times, each copy's TAI64N stamps
// shifted past the previous one, with a qmail-send restart (`status: exiting`) between copies.

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

export async function writeReplay(lines: readonly string[], copies: number, out: string): Promise<number> {
  const first = decodeTai64n(lines[0]!.slice(1, 25))!.us;
  const last = decodeTai64n(lines[lines.length - 1]!.slice(1, 25))!.us;
  const span = last - first + 1_000_000;
  const ws = createWriteStream(out);
  let n = 0;
  for (let c = 0; c < copies; c++) {
    const shift = c * span;
    let buf = '';
    for (const l of lines) {
      const st = decodeTai64n(l.slice(1, 25))!;
      buf += '@' + encodeTai64n(st.us + shift) + l.slice(25) + '\n';
      n++;
      if (buf.length > 1 << 20) { if (!ws.write(buf)) await new Promise<void>((r) => ws.once('drain', () => r())); buf = ''; }
    }
    const endUs = last + shift + 500_000;
    buf += `@${encodeTai64n(endUs)} status: exiting\n@${encodeTai64n(endUs + 10)} status: local 0/10 remote 0/20\n`;
    n += 2;
    ws.write(buf);
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
