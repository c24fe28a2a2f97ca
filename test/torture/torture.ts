// Kills and signals at random moments of `qtrace ingest` over the lab logs, then the store must
// equal a clean run's, as a user sees it; then the same for `qtrace follow` under a live writer
// (follow-torture.ts). `npm run torture [-- --trials N --follow M --seed S --only ingest|follow]`;
// the test suite runs a few trials of each (test/store/torture.test.ts, test/follow/torture.test.ts).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { openDb } from '../../src/store/db.js';
import { BIN } from '../helpers/cli.js';
import { FOLLOW_SCENARIOS, followTrial } from './follow-torture.js';
import { LAB } from '../helpers/lab.js';
import { storeView, viewDiff, type StoreView } from '../helpers/store-view.js';

export interface Scenario {
  readonly name: string;
  /** Successive ingest runs, each a list of inputs (older history may come after newer). */
  readonly runs: readonly (readonly string[])[];
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'b1: send, smtpd, smtpdr', runs: [[join(LAB, 'b1-scenarios', 'logs')]] },
  { name: 'd1: syslog copies and multilog dirs', runs: [[join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz'),
    join(LAB, 'd1-syslog-restart', 'logs', 'smtpd'), join(LAB, 'd1-syslog-restart', 'logs', 'smtpdr')]] },
  { name: 'volume send: current first, then the rotated files', runs: [[join(LAB, 'volume', 'logs', 'send', 'current.gz')],
    [join(LAB, 'volume', 'logs', 'send')]] },
  { name: 'volume smtpdr, then send', runs: [[join(LAB, 'volume', 'logs', 'smtpdr')], [join(LAB, 'volume', 'logs', 'send')]] },
];

const SIGNALS = ['SIGKILL', 'SIGINT', 'SIGTERM'] as const;
export type Sig = (typeof SIGNALS)[number];

export interface TrialResult {
  readonly scenario: string;
  readonly kills: Record<Sig, number>;
  readonly runs: number;
  readonly equal: boolean;
  readonly diff?: string;
}

/** A small, seedable PRNG (mulberry32): a failing trial can be run again. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cleanViews = new Map<string, { view: string; ms: number[] }>();

/** The store one clean run over all of the scenario's inputs gives (computed once), and how long each of its runs takes. */
export async function cleanView(s: Scenario): Promise<{ view: string; ms: number[] }> {
  const have = cleanViews.get(s.name);
  if (have !== undefined) return have;
  const dir = mkdtempSync(join(tmpdir(), 'qtrace-torture-clean-'));
  // how long each run takes, to aim the kills; the reference is one run over everything
  const ms: number[] = [];
  for (const r of s.runs) {
    const t = Date.now();
    const code = await ingest(join(dir, 'timing.db'), r, undefined, 0);
    if (code.signal !== null || code.code !== 0) throw new Error(`clean run failed: ${code.stderr}`);
    ms.push(Date.now() - t);
  }
  const one = await ingest(join(dir, 'q.db'), s.runs.flat(), undefined, 0);
  if (one.signal !== null || one.code !== 0) throw new Error(`one-shot run failed: ${one.stderr}`);
  const db = openDb(join(dir, 'q.db'), { readonly: true, mustExist: true });
  const view = JSON.stringify(storeView(db));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const out = { view, ms };
  cleanViews.set(s.name, out);
  return out;
}

function ingest(db: string, inputs: readonly string[], sig: Sig | undefined, afterMs: number):
  Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'ingest', '--wait', '--db', db, '--host', 'vm', ...inputs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = sig === undefined ? undefined : setTimeout(() => c.kill(sig), afterMs);
    c.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** One trial: each run of the scenario is killed at random moments until one finishes, then the store is compared. */
export async function trial(s: Scenario, random: () => number, maxKillsPerRun = 3): Promise<TrialResult> {
  const clean = await cleanView(s);
  const dir = mkdtempSync(join(tmpdir(), 'qtrace-torture-'));
  const db = join(dir, 'q.db');
  const kills: Record<Sig, number> = { SIGKILL: 0, SIGINT: 0, SIGTERM: 0 };
  let runs = 0;
  try {
    for (let i = 0; i < s.runs.length; i++) {
      for (let attempt = 0; ; attempt++) {
        const killing = attempt < maxKillsPerRun && random() < 0.75;
        const sig = killing ? SIGNALS[Math.floor(random() * SIGNALS.length)]! : undefined;
        // node's start-up takes ~150 ms: aim across the whole run, a little past its end
        const after = Math.floor(random() * (clean.ms[i]! * 1.1));
        const r = await ingest(db, s.runs[i]!, sig, after);
        runs++;
        const stopped = r.signal !== null || /stopped by SIG/.test(r.stderr);
        if (stopped && sig !== undefined) kills[sig]++;
        if (r.signal === null && r.code !== 0) throw new Error(`ingest failed (exit ${r.code}): ${r.stderr.trim()}`);
        if (!stopped) break;
      }
    }
    // a last run over everything adds nothing
    const d = openDb(db);
    await ingestToStore(d, expandInputs(s.runs.flat(), 'stdin'), { host: 'vm' });
    const v = storeView(d);
    d.close();
    const equal = JSON.stringify(v) === clean.view;
    if (equal) rmSync(dir, { recursive: true, force: true });
    return { scenario: s.name, kills, runs, equal,
      ...(equal ? {} : { diff: `store ${db} (${JSON.stringify(kills)}) differs from a clean run:\n${viewDiff(v, JSON.parse(clean.view) as StoreView)}` }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const trials = only === 'follow' ? 0 : opt('trials', 200);
  const follows = only === 'ingest' ? 0 : opt('follow', 40);
  const seed = opt('seed', Date.now() % 1_000_000);
  const parallel = opt('parallel', 2);
  const random = rng(seed);
  const t0 = Date.now();
  process.stdout.write(`qtrace torture: ${trials} ingest trials, ${follows} follow trials, seed ${seed}\n`);
  let bad = 0;
  if (trials > 0) bad += await ingestTrials(trials, parallel, random);
  if (follows > 0) bad += await followTrials(follows, parallel, random);
  process.stdout.write(`${trials + follows - bad} passed, ${bad} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  process.exitCode = bad === 0 ? 0 : 1;
}

/** Runs job(0 … n−1), `parallel` at a time. */
async function pool(n: number, parallel: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { for (let i = next++; i < n; i = next++) await job(i); };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function ingestTrials(trials: number, parallel: number, random: () => number): Promise<number> {
  for (const s of SCENARIOS) await cleanView(s);
  const totals: Record<string, { trials: number; kills: Record<Sig, number>; runs: number; bad: number }> = {};
  let bad = 0;
  await pool(trials, parallel, async (n) => {
      const s = SCENARIOS[n % SCENARIOS.length]!;
      const r = await trial(s, random);
      const t = (totals[s.name] ??= { trials: 0, kills: { SIGKILL: 0, SIGINT: 0, SIGTERM: 0 }, runs: 0, bad: 0 });
      t.trials++; t.runs += r.runs;
      for (const k of SIGNALS) t.kills[k] += r.kills[k];
      if (!r.equal) { t.bad++; bad++; process.stdout.write(`  trial ${n}: ${r.diff}\n`); }
  });
  for (const [name, t] of Object.entries(totals)) {
    process.stdout.write(`  ingest ${name}: ${t.trials} trials, ${t.runs} ingest runs, killed ${t.kills.SIGKILL}× SIGKILL, ` +
      `${t.kills.SIGINT}× SIGINT, ${t.kills.SIGTERM}× SIGTERM; ${t.trials - t.bad} equal to a clean run, ${t.bad} not\n`);
  }
  return bad;
}

async function followTrials(trials: number, parallel: number, random: () => number): Promise<number> {
  const totals: Record<string, { trials: number; starts: number; kills: Record<Sig, number>; rotations: number; down: number; lines: number; bad: number }> = {};
  const latency: number[] = [];
  const stops: number[] = [];
  let bad = 0;
  await pool(trials, parallel, async (n) => {
      const s = FOLLOW_SCENARIOS[n % FOLLOW_SCENARIOS.length]!;
      const r = await followTrial(s, random);
      const t = (totals[s.name] ??= { trials: 0, starts: 0, kills: { SIGKILL: 0, SIGINT: 0, SIGTERM: 0 }, rotations: 0, down: 0, lines: 0, bad: 0 });
      t.trials++; t.starts += r.starts; t.rotations += r.rotations; t.down += r.rotationsWhileDown; t.lines += r.lines;
      for (const k of SIGNALS) t.kills[k] += r.kills[k];
      latency.push(...r.latencyMs);
      stops.push(...r.stopMs);
      if (!r.equal) { t.bad++; bad++; process.stdout.write(`  follow trial ${n}: ${r.diff}\n`); }
  });
  for (const [name, t] of Object.entries(totals)) {
    process.stdout.write(`  follow ${name}: ${t.trials} trials, ${t.starts} starts, killed ${t.kills.SIGKILL}× SIGKILL, ` +
      `${t.kills.SIGINT}× SIGINT, ${t.kills.SIGTERM}× SIGTERM; ${t.rotations} rotations (${t.down} while down), ${t.lines} lines; ` +
      `${t.trials - t.bad} equal to a one-shot ingest, ${t.bad} not\n`);
  }
  const q = (xs: number[], p: number): string => (xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN).toFixed(0);
  latency.sort((a, b) => a - b);
  stops.sort((a, b) => a - b);
  process.stdout.write(`  follow: a line appended to a quiet, caught-up log is committed in median ${q(latency, 0.5)} ms, ` +
    `p95 ${q(latency, 0.95)} ms, max ${q(latency, 1)} ms (${latency.length} samples, half of them right after a rotation)\n`);
  process.stdout.write(`  follow: SIGTERM/SIGINT to exit 0 (last commit included): median ${q(stops, 0.5)} ms, ` +
    `p95 ${q(stops, 0.95)} ms, max ${q(stops, 1)} ms (${stops.length} stops; node itself takes part of it)\n`);
  return bad;
}

if (process.argv[1] !== undefined && /torture\.js$/.test(process.argv[1])) void main();
