// `qtrace follow` under a writer that appends real lab lines slowly and rotates like multilog
// (current renamed to @<tai64n>.s, a new current; also while qtrace is down), with `follow`
// killed (mostly kill -9) at random moments and started again. Afterwards the store must equal a
// one-shot `ingest` of the same files, as a user sees it: nothing lost, nothing doubled. Then a
// few lines are written to the caught-up follower and the time until each is committed is taken.
// `npm run torture` runs many trials (torture.ts); the test suite a few (test/follow/torture.test.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expandInputs, fingerprintOf } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { openDb, type Db } from '../../src/store/db.js';
import { BIN } from '../helpers/cli.js';
import { LAB } from '../helpers/lab.js';
import { storeView, viewDiff } from '../helpers/store-view.js';

export interface FollowScenario {
  readonly name: string;
  readonly dirs: readonly string[];   // lab multilog dirs whose lines are replayed
}

export const FOLLOW_SCENARIOS: readonly FollowScenario[] = [
  { name: 'b1 send + smtpd + smtpdr', dirs: ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'b1-scenarios', 'logs', d)) },
  { name: 'd2 send + smtpd + smtpdr', dirs: ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'd2-local-time', 'logs', d)) },
];

export interface FollowTrial {
  readonly scenario: string;
  readonly starts: number;
  readonly kills: { SIGKILL: number; SIGTERM: number; SIGINT: number };
  readonly rotations: number;
  readonly rotationsWhileDown: number;
  readonly lines: number;
  readonly equal: boolean;
  readonly diff?: string;
  readonly latencyMs: number[];        // append → committed, follower caught up and quiet
  readonly stopMs: number[];           // SIGTERM/SIGINT → the process has exited (after its last commit)
}

interface Line { dir: number; text: string }

/** Every line of the scenario's dirs, merged by their TAI64N stamps as the loggers wrote them. */
function scenarioLines(s: FollowScenario): Line[] {
  const all: Line[] = [];
  s.dirs.forEach((d, dir) => {
    const files = readdirSync(d).filter((n) => /^@.*\.s$|^current$/.test(n)).sort((a, b) => (a === 'current' ? 1 : b === 'current' ? -1 : a < b ? -1 : 1));
    for (const f of files) for (const text of readFileSync(join(d, f), 'utf8').split('\n')) if (text !== '') all.push({ dir, text });
  });
  return all.sort((a, b) => (a.text.slice(0, 25) < b.text.slice(0, 25) ? -1 : a.text.slice(0, 25) > b.text.slice(0, 25) ? 1 : 0));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** multilog's rotation: the full current becomes @<tai64n>.s (mode 0744 first), a new current follows. */
function rotate(dir: string, label: string): void {
  let name = `${label}.s`;
  for (let i = 1; existsSync(join(dir, name)); i++) name = `${label.slice(0, 17)}${(parseInt(label.slice(17), 16) + i).toString(16).padStart(8, '0')}.s`;
  chmodSync(join(dir, 'current'), 0o744);
  renameSync(join(dir, 'current'), join(dir, name));
  writeFileSync(join(dir, 'current'), '', { mode: 0o644 });
}

// QTRACE_TORTURE_LOG=1 keeps each follower's --verbose log beside a failing store
const LOGS = process.env['QTRACE_TORTURE_LOG'] === '1';

function follow(db: string, dirs: readonly string[], n: number): ChildProcess {
  const c = spawn(process.execPath, [BIN, 'follow', '--print', 'none', '--from-start', '--db', db, '--host', 'vm',
    ...(LOGS ? ['-v'] : []), ...dirs], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (LOGS) c.stderr!.pipe(createWriteStream(`${db}.follow-${n}.log`));
  return c;
}

function exited(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  c.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((r) => c.on('close', (code, signal) => r({ code, signal, stderr })));
}

/** Whether the store has taken every whole line of every file in the dirs. */
function caughtUp(db: Db, dirs: readonly string[]): boolean {
  const get = db.prepare('SELECT offset FROM positions WHERE fingerprint = ?').pluck();
  for (const d of dirs) {
    for (const n of readdirSync(d)) {
      const bytes = readFileSync(join(d, n));
      if (bytes.length === 0) continue;
      const fp = fingerprintOf(bytes);
      const whole = bytes.lastIndexOf(10) + 1;
      if (fp === undefined) continue;
      const off = get.get(fp) as number | undefined;
      if (off !== whole) return false;
    }
  }
  return true;
}

async function until(ok: () => boolean, stepMs = 5, maxMs = 60_000): Promise<boolean> {
  const t = Date.now();
  while (Date.now() - t < maxMs) {
    try { if (ok()) return true; } catch { /* the store is being created */ }
    await sleep(stepMs);
  }
  return false;
}

export interface TrialOptions {
  readonly killMinMs?: number;    // a follower lives this long at least…
  readonly killMaxMs?: number;    // …and at most, before it is killed
  readonly maxKills?: number;     // then it is left to run to the end
  readonly pace?: number;         // mean ms between bursts of lines
}

/** One trial: the writer replays the scenario while follow is killed and restarted, then the stores are compared. */
export async function followTrial(s: FollowScenario, random: () => number, o: TrialOptions = {}): Promise<FollowTrial> {
  const lines = scenarioLines(s);
  const probes = 4;                          // the last lines measure the commit latency
  const body = lines.slice(0, lines.length - probes);
  const root = mkdtempSync(join(tmpdir(), 'qtrace-follow-torture-'));
  const dirs = s.dirs.map((d) => join(root, 'logs', basename(d)));
  for (const d of dirs) { mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'current'), ''); }
  const db = join(root, 'q.db');
  const kills = { SIGKILL: 0, SIGTERM: 0, SIGINT: 0 };
  let starts = 0;
  const stopMs: number[] = [];
  let rotations = 0;
  let rotationsWhileDown = 0;
  let up = false;
  let writing = true;
  let abandoned = false;
  const lastLabel = new Map<number, string>();
  const sinceRotation = dirs.map(() => 0);
  const rotateAfter = dirs.map(() => 20 + Math.floor(random() * 150));
  // the writer: bursts of lines, pauses, lines written in two halves, rotations
  const writer = (async () => {
    for (let i = 0; i < body.length && !abandoned;) {
      const burst = 1 + Math.floor(random() * 12);
      for (let k = 0; k < burst && i < body.length; k++, i++) {
        const l = body[i]!;
        const file = join(dirs[l.dir]!, 'current');
        if (random() < 0.03) {
          const cut = 1 + Math.floor(random() * (l.text.length - 1));
          appendFileSync(file, l.text.slice(0, cut));
          await sleep(Math.floor(random() * 150));
          appendFileSync(file, l.text.slice(cut) + '\n');
        } else appendFileSync(file, l.text + '\n');
        lastLabel.set(l.dir, l.text.slice(0, 25));
        if (++sinceRotation[l.dir]! >= rotateAfter[l.dir]!) {
          rotate(dirs[l.dir]!, lastLabel.get(l.dir)!);
          rotations++;
          if (!up) rotationsWhileDown++;
          sinceRotation[l.dir] = 0;
          rotateAfter[l.dir] = 20 + Math.floor(random() * 150);
        }
      }
      const pace = o.pace ?? 12;
      await sleep(random() < 0.05 ? 250 + Math.floor(random() * 300) : Math.floor(random() * 2 * pace));
    }
    writing = false;
  })();
  try {
    const minMs = o.killMinMs ?? 100;
    const maxMs = o.killMaxMs ?? 1500;
    const maxKills = o.maxKills ?? Infinity;
    let killed = 0;
    while (writing && killed < maxKills) {
      const c = follow(db, dirs, starts);
      const done = exited(c);
      up = true;
      starts++;
      await Promise.race([sleep(minMs + Math.floor(random() * (maxMs - minMs))), done]);
      const r = random();
      const sig = r < 0.8 ? 'SIGKILL' : r < 0.9 ? 'SIGTERM' : 'SIGINT';
      const k0 = Date.now();
      c.kill(sig);
      const e = await done;
      if (sig !== 'SIGKILL' && e.signal === null) stopMs.push(Date.now() - k0);
      up = false;
      if (e.signal === null && e.code !== 0) throw new Error(`follow failed (exit ${e.code}): ${e.stderr.trim()}`);
      if (sig !== 'SIGKILL' && e.code !== 0 && e.signal !== sig) throw new Error(`follow did not exit 0 on ${sig}: ${e.code} ${e.signal}`);
      kills[sig]++;
      killed++;
      await sleep(Math.floor(random() * 600)); // down for a while: the writer goes on, rotations included
    }
    // the last follower sees the writer finish, catches up, and takes the probe lines one at a time
    const c = follow(db, dirs, starts);
    const done = exited(c);
    starts++;
    up = true;
    await writer;
    const view = (): Db => openDb(db, { readonly: true, mustExist: true });
    if (!(await until(() => { const d = view(); try { return caughtUp(d, dirs); } finally { d.close(); } }, 20))) {
      c.kill('SIGKILL');
      throw new Error(`follow did not catch up: ${(await done).stderr}`);
    }
    const latencyMs: number[] = [];
    const reader = view();
    const get = reader.prepare('SELECT offset FROM positions WHERE fingerprint = ?').pluck();
    for (let p = 0; p < probes; p++) {
      const l = lines[body.length + p]!;
      const dir = dirs[l.dir]!;
      if (p % 2 === 1) { rotate(dir, lastLabel.get(l.dir) ?? l.text.slice(0, 25)); rotations++; await sleep(50); }
      await sleep(300); // quiet: the follower waits for the file to change
      const file = join(dir, 'current');
      const t0 = process.hrtime.bigint();
      appendFileSync(file, l.text + '\n');
      lastLabel.set(l.dir, l.text.slice(0, 25));
      const bytes = readFileSync(file);
      const fp = fingerprintOf(bytes)!;
      const ok = await until(() => get.get(fp) === bytes.length, 1, 10_000);
      if (ok) latencyMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    reader.close();
    const k0 = Date.now();
    c.kill('SIGTERM');
    const e = await done;
    stopMs.push(Date.now() - k0);
    if (e.code !== 0) throw new Error(`follow did not exit 0 on SIGTERM: ${e.code} ${e.signal} ${e.stderr}`);
    // the same files, read once
    const oneShot = openDb(join(root, 'once.db'));
    await ingestToStore(oneShot, expandInputs(dirs, 'stdin'), { host: 'vm' });
    const want = storeView(oneShot);
    oneShot.close();
    const d = openDb(db, { readonly: true, mustExist: true });
    const got = storeView(d);
    d.close();
    const equal = JSON.stringify(got) === JSON.stringify(want);
    const written = dirs.flatMap((dir) => readdirSync(dir).map((n) => readFileSync(join(dir, n), 'utf8').split('\n').length - 1)).reduce((a, b) => a + b, 0);
    const out: FollowTrial = { scenario: s.name, starts, kills, rotations, rotationsWhileDown, lines: written, equal, latencyMs, stopMs,
      ...(equal ? {} : { diff: `store ${db} differs from a one-shot ingest of ${join(root, 'logs')}:\n${viewDiff(got, want)}` }) };
    if (equal) rmSync(root, { recursive: true, force: true });
    return out;
  } catch (e) {
    abandoned = true;
    await writer.catch(() => undefined);
    throw e;
  }
}
