// npm run bench (second part): report times on a store of the replayed volume log (×10: 226,620
// messages), beside the time it took to ingest that log and qmailanalog's figure.
// Each command runs as a user runs it (bin/qtrace, a fresh process); the median of three is shown.
//
// qmailanalog: set QMAILANALOG=DIR (a dir holding matchup and zoverall built from its public C
// sources) to time `matchup | zoverall` on the same log here; else the lab's measurement (×1 log,
// lab VM) from volume/qmailanalog/matchup-time-v.txt is shown.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LAB, REPO } from '../helpers/lab.js';
import { replayLog } from './make-log.js';

const dir = join(REPO, 'bench-data');
mkdirSync(dir, { recursive: true });
const COPIES = 10;
const log = await replayLog(dir, COPIES);
const db = join(dir, `report-x${COPIES}.db`);
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });

const BIN = join(REPO, 'bin', 'qtrace');
// CPU seconds (user + sys) as well as wall time, where GNU time is there: on a shared machine
// the wall clock says more about the neighbours than about qtrace.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
interface T { s: number; cpu: number }
function time(args: string[]): T {
  const t0 = process.hrtime.bigint();
  const r = GNU_TIME === undefined
    ? spawnSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 })
    : spawnSync(GNU_TIME, ['-f', 'cpu=%U+%S', BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status === null || (r.status > 1 && args[0] !== 'check')) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  const c = /cpu=([\d.]+)\+([\d.]+)/.exec(r.stderr); // check exits 0–2 by design
  return { s, cpu: c === null ? NaN : Number(c[1]) + Number(c[2]) };
}
function median(args: string[], runs = 3): T {
  const t = Array.from({ length: runs }, () => time(args)).sort((a, b) => a.s - b.s);
  return t[Math.floor(runs / 2)]!;
}

const ingest = time(['ingest', '--db', db, '--host', 'vm', log]);
const store = new Database(db, { readonly: true });
const messages = store.prepare('SELECT count(*) FROM messages').pluck().get() as number;
const [lo, hi] = store.prepare('SELECT min(first_us), max(first_us) FROM messages').raw().get() as [number, number];
store.close();
const iso = (us: number): string => new Date(us / 1000).toISOString();
// one of the copies: a window the size of the lab's volume run
const win = ['--since', iso(lo + ((hi - lo) * 4) / COPIES), '--until', iso(lo + ((hi - lo) * 5) / COPIES)];
const lines = Number(readFileSync(log, 'utf8').split('\n').length - 1);

const rows: Array<[string, T]> = [
  ['report (text, whole store)', median(['report', '--db', db])],
  ['report --format json', median(['report', '--db', db, '--format', 'json'])],
  ['report --format html', median(['report', '--db', db, '--format', 'html'])],
  ['report (text, one copy\'s window)', median(['report', '--db', db, ...win])],
  ['report --format matchup', median(['report', '--db', db, '--format', 'matchup'])],
  ['report --format zoverall', median(['report', '--db', db, '--format', 'zoverall'])],
  ['check', median(['check', '--db', db, '--now', iso(hi)])],
];

console.log(`\nreport on the ×${COPIES} replay: ${messages.toLocaleString('en')} messages, ${lines.toLocaleString('en')} lines, ` +
  `${(statSync(log).size / 1e6).toFixed(0)} MB (store ${(statSync(db).size / 1e6).toFixed(0)} MB)`);
const fmt = (t: T): string => `${t.s.toFixed(2)} s wall, ${Number.isNaN(t.cpu) ? '?' : t.cpu.toFixed(2)} s CPU`;
console.log(`  qtrace ingest of that log:           ${fmt(ingest)}`);
for (const [what, t] of rows) {
  console.log(`  ${(what + ':').padEnd(36)} ${fmt(t)}  (${((100 * t.s) / ingest.s).toFixed(0)} % of the ingest's wall time)`);
}

const qa = process.env['QMAILANALOG'];
if (qa !== undefined && existsSync(join(qa, 'matchup'))) {
  // multilog's @tai64n → "sec.usec", as the lab fed matchup (tai2dec)
  const dec = join(dir, `send-x${COPIES}.dec`);
  if (!existsSync(dec)) {
    const { decodeTai64n } = await import('../../parsers/timestamp.js');
    const out: string[] = [];
    for (const l of readFileSync(log, 'utf8').split('\n')) {
      if (l === '') continue;
      const us = decodeTai64n(l.slice(1, 25))!.us;
      out.push(`${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}${l.slice(25)}`);
    }
    (await import('node:fs')).writeFileSync(dec, out.join('\n') + '\n');
  }
  const pipeline = `"${qa}/matchup" < "${dec}" 5>/dev/null | sh "${qa}/zoverall" > /dev/null`;
  const t0 = process.hrtime.bigint();
  const r = GNU_TIME === undefined ? spawnSync('sh', ['-c', pipeline], { encoding: 'utf8' })
    : spawnSync(GNU_TIME, ['-f', 'cpu=%U+%S', 'sh', '-c', pipeline], { encoding: 'utf8' }); // sh waits for both: their CPU is counted
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = /cpu=([\d.]+)\+([\d.]+)/.exec(r.stderr ?? '');
  console.log(`  qmailanalog matchup | zoverall:      ${fmt({ s, cpu: c === null ? NaN : Number(c[1]) + Number(c[2]) })} (built here; exit ${r.status})`);
} else {
  const t = readFileSync(join(LAB, 'volume', 'qmailanalog', 'matchup-time-v.txt'), 'utf8');
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(t)?.[1] ?? '?';
  console.log(`  qmailanalog matchup (lab VM, the ×1 log of 179,410 lines): ${wall} wall; not built here (set QMAILANALOG=DIR)`);
}
