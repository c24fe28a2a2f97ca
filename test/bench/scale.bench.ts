// npm run bench:scale: how far one SQLite store goes. Grows one store through the real ingest path
// (`qtrace ingest`, a file of copies at a time) with the lab's volume send log replayed, one copy
// an hour (22,662 messages each: about 544,000 a day), and at each size times the questions users
// ask, as they ask them (bin/qtrace, a fresh process, median of three after a warm-up). Then fits
// each time against what it reads (log N, N, or a window) and extrapolates to 10 M and 100 M.
//
// SCALE_SIZES=250000,1000000,2000000 (messages; the default) sets the sizes. Everything it writes
// is under bench-data/scale/ (the store is kept for a look afterwards; the logs are not), with the
// measured points in points.json: SCALE_FIT_ONLY=1 prints the fit of those again without measuring.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LAB, REPO } from '../helpers/lab.js';
import { keySql } from '../../src/store/rows.js';
import { readVolume, writeReplay } from './make-log.js';
import { medianOf, qtrace } from './timing.js';

const dir = join(REPO, 'bench-data', 'scale');
mkdirSync(dir, { recursive: true });
interface Point {
  messages: number; copies: number; bytes: number; ingestS: number; ingestLines: number;
  times: Record<string, { wall: number; cpu: number }>;
}
const HOUR_US = 3600e6;
const volume = await readVolume(join(LAB, 'volume', 'logs', 'send'));
/** Messages in one copy of the log: one copy an hour. */
const PER_COPY = volume.filter((l) => / new msg \d+$/.test(l)).length;
const pointsFile = join(dir, 'points.json');
const fitOnly = process.env['SCALE_FIT_ONLY'] === '1';
const saved = fitOnly ? (JSON.parse(readFileSync(pointsFile, 'utf8')) as { commit: string; points: Point[] }) : undefined;
const points: Point[] = saved?.points ?? [];
const commit = saved?.commit ?? execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim() +
  (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' }).trim() === '' ? '' : ' with local changes');
const db = join(dir, 'scale.db');
if (!fitOnly) for (const x of ['', '-wal', '-shm', '.lock']) rmSync(db + x, { force: true });
const sizes = fitOnly ? [] : (process.env['SCALE_SIZES'] ?? '250000,1000000,2000000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const iso = (us: number): string => new Date(us / 1000).toISOString();

let copies = 0;
let ingestS = 0;
let ingestLines = 0;
for (const size of sizes) {
  const want = Math.ceil(size / PER_COPY);
  if (want > copies) {
    const log = join(dir, `copies-${copies}-${want}.log`);
    const lines = await writeReplay(volume, want - copies, log, { from: copies, periodUs: HOUR_US });
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', log], [0]);
    rmSync(log);
    ingestS += r.wall;
    ingestLines += lines;
    console.log(`copies ${copies}..${want - 1}: ${lines.toLocaleString('en')} lines ingested in ${r.wall.toFixed(1)} s ` +
      `(${(lines / r.wall / 1e3).toFixed(0)}k lines/s, peak RSS ${r.rssMb.toFixed(0)} MB)`);
    copies = want;
  }
  const s = new Database(db, { readonly: true });
  const messages = s.prepare('SELECT count(*) FROM messages').pluck().get() as number;
  const newest = s.prepare('SELECT max(first_us) FROM messages').pluck().get() as number;
  // a message from the middle of the store, and what names it: its key, id, qp and a recipient
  const mid = s.prepare(`SELECT ${keySql('m')} AS key, CAST(m.msg AS TEXT) AS msg, m.qp,
    (SELECT a.address FROM deliveries d JOIN addresses a ON a.id = d.recipient_id WHERE d.message_id = m.id LIMIT 1) AS rcpt
    FROM messages m WHERE m.qp IS NOT NULL ORDER BY m.id LIMIT 1 OFFSET ?`).get(Math.floor(messages / 2)) as
    { key: string; msg: string; qp: number; rcpt: string };
  const perId = s.prepare('SELECT count(*) FROM messages WHERE msg = ?').pluck().get(BigInt(mid.msg)) as number;
  s.close();
  const bytes = ['', '-wal'].reduce((n, x) => n + (existsSync(db + x) ? statSync(db + x).size : 0), 0);
  const q: Array<[string, string[], number[]?]> = [
    ['show KEY', ['show', '--db', db, mid.key]],
    ['show ID', ['show', '--db', db, mid.msg]],
    ['show --qp', ['show', '--db', db, '--qp', String(mid.qp)]],
    ['messages --since 1h (50 shown)', ['messages', '--db', db, '--since', iso(newest - HOUR_US), '--limit', '50']],
    ['messages --to ADDR (50 shown)', ['messages', '--db', db, '--to', mid.rcpt, '--limit', '50']],
    ['report, one day', ['report', '--db', db, '--since', iso(newest - 24 * HOUR_US), '--until', iso(newest + 1)]],
    ['check', ['check', '--db', db, '--now', iso(newest)], [0, 1, 2]],
  ];
  const times: Point['times'] = {};
  for (const [what, args, ok] of q) times[what] = medianOf(3, () => qtrace(args, ok));
  points.push({ messages, copies, bytes, ingestS, ingestLines, times });
  console.log(`\n${messages.toLocaleString('en')} messages (${copies} hourly copies, ${(copies / 24).toFixed(1)} days), ` +
    `store ${(bytes / 1e6).toFixed(0)} MB, ${(bytes / messages).toFixed(0)} B/message; the id shown has ${perId} incarnations; ` +
    'wall (CPU) seconds, median of 3:');
  for (const [what] of q) {
    const t = times[what]!;
    console.log(`  ${what.padEnd(40)} ${t.wall.toFixed(3)} (${t.cpu.toFixed(3)})`);
  }
  writeFileSync(pointsFile, JSON.stringify({ commit, points }, null, 1) + '\n');
}

// Each time against what it reads, fitted as a straight line t = a + b·x (least squares, on CPU
// seconds, which a shared machine disturbs less than the wall clock), then read at 10 M and 100 M:
//   log N       a lookup by key: B-tree depth
//   N           what grows with the store: every incarnation of a reused id or qp, every
//               message to an address
//   min(N, W)   a window of W messages (an hour for --since; a day's report; check's stuck-mail
//               look-back of queuelifetime + a day): flat once the store holds more than the window
const DAY = 24 * PER_COPY;
const MODELS: Record<string, [string, (n: number) => number]> = {
  'show KEY': ['log N', Math.log],
  'show ID': ['N', (n) => n],
  'show --qp': ['N', (n) => n],
  // an hour is one copy: messages_last reads that window, at any size
  'messages --since 1h (50 shown)': ['min(N, 1 hour)', (n) => Math.min(n, PER_COPY)],
  // deliveries_recipient finds the address's rows: the replay repeats them every copy
  'messages --to ADDR (50 shown)': ["N (the address's mail)", (n) => n],
  'report, one day': ['min(N, 1 day)', (n) => Math.min(n, DAY)],
  'check': ['min(N, 8 days)', (n) => Math.min(n, 8 * DAY)],
};
function fit(xs: number[], ys: number[]): { a: number; b: number; at: (x: number) => number } {
  const mx = xs.reduce((p, x) => p + x, 0) / xs.length;
  const my = ys.reduce((p, y) => p + y, 0) / ys.length;
  const sxx = xs.reduce((p, x) => p + (x - mx) ** 2, 0);
  const b = Math.max(0, sxx === 0 ? 0 : xs.reduce((p, x, i) => p + (x - mx) * (ys[i]! - my), 0) / sxx);
  const a = my - b * mx;
  return { a, b, at: (x) => a + b * x };
}

const N = points.map((p) => p.messages);
const f2 = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(0));
console.log(`\nFor docs/scale.md (commit ${commit}; seconds, median of 3, wall / CPU; fits on CPU):\n`);
console.log(`| | ${N.map((n) => `${(n / 1e6).toFixed(2)} M`).join(' | ')} | model | 10 M | 100 M |`);
console.log(`|---|${N.map(() => '---:').join('|')}|---|---:|---:|`);
const bfit = fit(N, points.map((p) => p.bytes));
console.log(`| store, MB | ${points.map((p) => (p.bytes / 1e6).toFixed(0)).join(' | ')} | N | ` +
  `${(bfit.at(1e7) / 1e9).toFixed(1)} GB | ${(bfit.at(1e8) / 1e9).toFixed(0)} GB |`);
console.log(`| bytes per message | ${points.map((p) => (p.bytes / p.messages).toFixed(0)).join(' | ')} | | | |`);
const rate = points.map((p, i) => {
  const prev = points[i - 1];
  return (p.ingestLines - (prev?.ingestLines ?? 0)) / (p.ingestS - (prev?.ingestS ?? 0));
});
console.log(`| ingest, k lines/s (that step) | ${rate.map((r) => (r / 1e3).toFixed(0)).join(' | ')} | | | |`);
for (const what of Object.keys(points[0]?.times ?? {})) {
  const ts = points.map((p) => p.times[what]!);
  const [model, x] = MODELS[what] ?? ['N', (n: number) => n];
  const g = fit(N.map(x), ts.map((t) => t.cpu));
  console.log(`| ${what} | ${ts.map((t) => `${f2(t.wall)} / ${f2(t.cpu)}`).join(' | ')} | ${model} | ${f2(g.at(x(1e7)))} | ${f2(g.at(x(1e8)))} |`);
}
