// npm run bench: ingest throughput and peak memory on a replayed volume log (≥ 1.5 M lines),
// beside a bare split2 line count of the same file. Each measurement runs in a fresh process.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LAB, REPO } from '../helpers/lab.js';
import { readVolume, writeReplay } from './make-log.js';

const dir = join(REPO, 'bench-data');
/** The flags bin/qtrace runs node with (its #! line). */
const NODE_FLAGS = ['--max-semi-space-size=8'];
mkdirSync(dir, { recursive: true });

interface Run { wall: number; rssMb: number; out: string }

function timed(args: string[]): Run {
  // /usr/bin/time is not everywhere; a tiny wrapper reports the child's peak RSS from Node itself.
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [...NODE_FLAGS, join(REPO, 'dist/test/bench/measure.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /maxrss_kb=(\d+)/.exec(out);
  return { wall, rssMb: m === null ? NaN : Number(m[1]) / 1024, out };
}

const volume = await readVolume(join(LAB, 'volume', 'logs', 'send'));
const results: string[] = [];
for (const copies of [1, 9]) {
  const file = join(dir, `send-x${copies}.log`);
  const lines = existsSync(file) ? NaN : await writeReplay(volume, copies, file);
  const size = statSync(file).size;
  const count = timed(['count', file]);
  const db = join(dir, `bench-x${copies}.db`);
  for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
  const ingest = timed(['ingest', db, file]);
  const n = Number(/lines=(\d+)/.exec(count.out)?.[1] ?? lines);
  results.push(
    `x${copies}: ${n.toLocaleString('en')} lines, ${(size / 1e6).toFixed(0)} MB\n` +
    `  split2 line count: ${count.wall.toFixed(2)} s, ${(n / count.wall / 1e3).toFixed(0)}k lines/s, peak RSS ${count.rssMb.toFixed(0)} MB\n` +
    `  qtrace ingest:     ${ingest.wall.toFixed(2)} s, ${(n / ingest.wall / 1e3).toFixed(0)}k lines/s, peak RSS ${ingest.rssMb.toFixed(0)} MB` +
    `  (${(ingest.wall / count.wall).toFixed(1)}× the line count)\n  ${ingest.out.trim().split('\n').filter((l) => l.startsWith('qtrace')).join('')}`);
  console.log(results[results.length - 1]);
}

// The smtpd side too: the volume batch's send + smtpd + smtpdr logs (gzipped multilog) in one run.
{
  const inputs = ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'volume', 'logs', d));
  const db = join(dir, 'bench-volume-all.db');
  for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
  const r = timed(['ingest', db, ...inputs]);
  const n = Number(/lines=(\d+)/.exec(r.out)?.[1]);
  console.log(`volume send+smtpd+smtpdr (.gz): ${n.toLocaleString('en')} lines in ${r.wall.toFixed(2)} s, ` +
    `${(n / r.wall / 1e3).toFixed(0)}k lines/s, peak RSS ${r.rssMb.toFixed(0)} MB\n  ${r.out.trim().split('\n').filter((l) => l.startsWith('qtrace')).join('')}`);
}
