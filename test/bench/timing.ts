// Whole-process timing for the benches: wall seconds from here, CPU seconds (user + sys) and peak
// RSS from GNU time where it is installed (Debian's `time` package); medians of interleaved runs.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/lab.js';

export const BIN = join(REPO, 'bin', 'qtrace');
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export interface Run { wall: number; cpu: number; rssMb: number; status: number | null; stdout: string; stderr: string }

/** One run of `cmd args` to the end, its output kept (stdout may be large: a listing). */
export function run(cmd: string, args: readonly string[], okStatus: readonly number[] = [0, 1]): Run {
  const t0 = process.hrtime.bigint();
  const r = GNU_TIME === undefined
    ? spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 })
    : spawnSync(GNU_TIME, ['-f', '\ngnutime cpu=%U+%S rss=%M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status === null || !okStatus.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const m = /\ngnutime cpu=([\d.]+)\+([\d.]+) rss=(\d+)\s*$/.exec(r.stderr);
  return {
    wall, cpu: m === null ? NaN : Number(m[1]) + Number(m[2]), rssMb: m === null ? NaN : Number(m[3]) / 1024,
    status: r.status, stdout: r.stdout, stderr: m === null ? r.stderr : r.stderr.slice(0, m.index),
  };
}

export const qtrace = (args: readonly string[], ok?: readonly number[]): Run => run(BIN, args, ok);

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Median wall and CPU of `n` runs, after one warm-up (the page cache, not the process, is warmed). */
export function medianOf(n: number, f: () => Run): { wall: number; cpu: number } {
  f();
  const runs = Array.from({ length: n }, f);
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

/** A and B in turn, n times each after a warm-up of each: the machine's drift falls on both alike. */
export function interleaved(n: number, a: () => Run, b: () => Run): { a: { wall: number; cpu: number }; b: { wall: number; cpu: number } } {
  a(); b();
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < n; i++) { ra.push(a()); rb.push(b()); }
  const m = (rs: Run[]) => ({ wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)) });
  return { a: m(ra), b: m(rb) };
}
