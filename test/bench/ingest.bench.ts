// npm run bench: issue 11's measures side by side, with a bare split2 line count of the same file
// as the reference. Input: the lab's volume send log replayed ×1 and ×10 (stamps shifted, a
// qmail-send restart between copies; ×10 = 1,794,120 lines, 123 MB), built from test/lab on the
// first run. Each measurement runs in a fresh process. The count, the ingest (its reading on a
// thread of its own), the ingest all on one thread, that thread's pipeline with no store and its
// parsing alone run in turn, three rounds (BENCH_ROUNDS): each figure is a median, and each ratio to the count the
// median of its rounds' ratios, so that the machine's drift falls on both sides alike.

import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LAB, REPO } from '../helpers/lab.js';
import { replayLog } from './make-log.js';
import { interleaved, median, medianOf, qtrace, run, type Run } from './timing.js';

const dir = join(REPO, 'bench-data');
mkdirSync(dir, { recursive: true });
/** The flags bin/qtrace runs node with: read from its #! line, so that the two cannot drift apart. */
const NODE_FLAGS = /^#!\S+ -S node (.*)$/m.exec(readFileSync(join(REPO, 'bin', 'qtrace'), 'utf8'))?.[1]?.split(' ') ?? [];
const MEASURE = join(REPO, 'dist/test/bench/measure.js');

/** A run of measure.js (`count FILE` or `ingest DB FILE`): wall from here, peak RSS as Node saw it. */
function measured(args: string[]): Run & { lines: number } {
  const r = run(process.execPath, [...NODE_FLAGS, MEASURE, ...args], [0]);
  const rss = /maxrss_kb=(\d+)/.exec(r.stdout);
  return { ...r, rssMb: rss === null ? r.rssMb : Number(rss[1]) / 1024, lines: Number(/lines=(\d+)/.exec(r.stdout)?.[1]) };
}

const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));

/** Medians of a measure's rounds, and of its ratios to the count of the same round. */
interface Measure { wall: number; cpu: number; rssMb: number; ratio: number; cpuRatio: number; stdout: string }
function rounds(runs: readonly Run[], counts: readonly Run[]): Measure {
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), rssMb: median(runs.map((r) => r.rssMb)),
    ratio: median(runs.map((r, i) => r.wall / counts[i]!.wall)), cpuRatio: median(runs.map((r, i) => r.cpu / counts[i]!.cpu)),
    stdout: runs[0]!.stdout };
}

interface Copy { lines: number; mb: number; count: Measure; ingest: Measure; inline: Measure; pipeline: Measure; parse: Measure; db: string }
const copies = new Map<number, Copy>();
for (const n of [1, 10]) {
  const file = await replayLog(dir, n);
  const db = join(dir, `bench-x${n}.db`);
  const counts: Run[] = [], ingests: Run[] = [], inlines: Run[] = [], pipelines: Run[] = [], parses: Run[] = [];
  let lines = 0;
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    const c = measured(['count', file]);
    lines = c.lines;
    counts.push(c);
    ingests.push(measured(['ingest', db, file]));
    for (const s of ['', '-wal', '-shm']) rmSync(`${db}.inline${s}`, { force: true });
    inlines.push(measured(['ingest-inline', `${db}.inline`, file]));
    pipelines.push(measured(['pipeline', file]));
    parses.push(measured(['parse', file]));
  }
  const count = rounds(counts, counts);
  const ingest = rounds(ingests, counts);
  const inline = rounds(inlines, counts);
  const pipeline = rounds(pipelines, counts);
  const parse = rounds(parses, counts);
  for (const s of ['', '-wal', '-shm']) rmSync(`${db}.inline${s}`, { force: true });
  copies.set(n, { lines, mb: statSync(file).size / 1e6, count, ingest, inline, pipeline, parse, db });
  console.log(`×${n}: ${lines.toLocaleString('en')} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB; ` +
    ingest.stdout.split('\n').filter((l) => l.startsWith('qtrace')).join(''));
}

const x1 = copies.get(1)!;
const x10 = copies.get(10)!;
const store = new Database(x10.db, { readonly: true });
const messages = store.prepare('SELECT count(*) FROM messages').pluck().get() as number;
const newest = store.prepare('SELECT max(first_us) FROM messages').pluck().get() as number;
// a message id from the middle of the store (qmail reuses ids: each has an incarnation in every copy, or more)
const id = store.prepare('SELECT CAST(msg AS TEXT) FROM messages ORDER BY id LIMIT 1 OFFSET ?').pluck().get(Math.floor(messages / 2)) as string;
const incarnations = store.prepare('SELECT count(*) FROM messages WHERE msg = ?').pluck().get(BigInt(id)) as number;
store.close();
const storeBytes = ['', '-wal'].reduce((s, x) => s + (existsSync(x10.db + x) ? statSync(x10.db + x).size : 0), 0);

// `show ID` against a bare node start, in turn; `messages --since 1h` as on a terminal (50 shown,
// and the count of the rest), the hour before the store's newest message (the replay's clock)
const show = interleaved(3, () => qtrace(['show', '--db', x10.db, id]), () => run(process.execPath, ['-e', '0']));
const since = new Date(newest / 1000 - 3600_000).toISOString();
const recent = medianOf(3, () => qtrace(['messages', '--db', x10.db, '--since', since, '--limit', '50']));

type Row = [measure: string, value: string, reference: string, ratio: number | undefined, target: string, met: boolean | undefined];
const s = (x: number): string => `${x.toFixed(2)} s`;
const mb = (x: number): string => `${x.toFixed(0)} MB`;
const kls = (lines: number, t: number): string => `${(lines / t / 1e3).toFixed(0)}k lines/s`;
const ingestRatio = x10.ingest.ratio;
const rssFlat = x10.ingest.rssMb / x1.ingest.rssMb;
const perMessage = storeBytes / messages;
const rows: Row[] = [
  [`split2 line count ×10`, `${s(x10.count.wall)} (${kls(x10.lines, x10.count.wall)})`, '(the reference)', undefined, '', undefined],
  [`ingest ×10 (${(x10.lines / 1e6).toFixed(2)} M lines)`, `${s(x10.ingest.wall)} (${kls(x10.lines, x10.ingest.wall)})`,
    `count ${s(x10.count.wall)}`, ingestRatio, '≤ 5× (then ≈ 1.6×)', ingestRatio <= 5],
  ['  the same in CPU seconds', s(x10.ingest.cpu), `count ${s(x10.count.cpu)}`, x10.ingest.cpuRatio, '', undefined],
  ['  all on one thread (QTRACE_READER=inline)', s(x10.inline.wall), `count ${s(x10.count.wall)}`, x10.inline.ratio, '', undefined],
  ['  one thread, with no store', s(x10.pipeline.wall), `count ${s(x10.count.wall)}`, x10.pipeline.ratio, '', undefined],
  ['  …and with no correlator', s(x10.parse.wall), `count ${s(x10.count.wall)}`, x10.parse.ratio, '', undefined],
  [`ingest ×1`, `${s(x1.ingest.wall)} (${kls(x1.lines, x1.ingest.wall)})`, `count ${s(x1.count.wall)}`, x1.ingest.ratio, '', undefined],
  ['  all on one thread', s(x1.inline.wall), `count ${s(x1.count.wall)}`, x1.inline.ratio, '', undefined],
  ['peak RSS, ingest ×10', mb(x10.ingest.rssMb), `×1: ${mb(x1.ingest.rssMb)}`, rssFlat, '≤ 150 MB, flat (≤ 1.1× ×1)',
    x10.ingest.rssMb <= 150 && rssFlat <= 1.1],
  ['  all on one thread', mb(x10.inline.rssMb), `×1: ${mb(x1.inline.rssMb)}`, x10.inline.rssMb / x1.inline.rssMb, '', undefined],
  [`show ID (${id}: ${incarnations} incarnations)`, s(show.a.wall), `node -e 0 ${s(show.b.wall)}`, show.a.wall / show.b.wall, '≤ 2×',
    show.a.wall / show.b.wall <= 2],
  ['  the same in CPU seconds', s(show.a.cpu), `node -e 0 ${s(show.b.cpu)}`, show.a.cpu / show.b.cpu, '', undefined],
  ['messages --since 1h (50 shown)', s(recent.wall), '', undefined, '< 0.5 s', recent.wall < 0.5],
  ['store per message', `${perMessage.toFixed(0)} B`, `${mb(storeBytes / 1e6)} / ${messages.toLocaleString('en')}`, undefined,
    '≤ 250 B', perMessage <= 250],
];

const header: Row = ['measure', 'value', 'reference', undefined, 'target', undefined];
const cells = (r: Row): string[] => [r[0], r[1], r[2], r === header ? 'ratio' : r[3] === undefined ? '' : `${r[3].toFixed(2)}×`, r[4],
  r === header ? 'met' : r[5] === undefined ? '' : r[5] ? 'met' : 'not met'];
const table = [header, ...rows].map(cells);
const widths = table[0]!.map((_, i) => Math.max(...table.map((c) => c[i]!.length)));
console.log(`\nissue 11 on the ×10 replay (${messages.toLocaleString('en')} messages); wall seconds unless said, this machine; ` +
  `medians of ${ROUNDS} rounds`);
for (const [i, c] of table.entries()) {
  console.log('  ' + c.map((x, j) => (j === 3 ? x.padStart(widths[j]!) : x.padEnd(widths[j]!))).join('  ').trimEnd());
  if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
}

// The smtpd side too: the volume batch's send + smtpd + smtpdr logs (gzipped multilog) in one run.
{
  const inputs = ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'volume', 'logs', d));
  const db = join(dir, 'bench-volume-all.db');
  for (const x of ['', '-wal', '-shm']) rmSync(db + x, { force: true });
  const r = measured(['ingest', db, ...inputs]);
  console.log(`\nvolume send+smtpd+smtpdr (.gz): ${r.lines.toLocaleString('en')} lines in ${s(r.wall)}, ` +
    `${kls(r.lines, r.wall)}, peak RSS ${mb(r.rssMb)}\n  ${r.stdout.trim().split('\n').filter((l) => l.startsWith('qtrace')).join('')}`);
}
