// npm run bench (second part): how long a line that arrives on a live pipe takes to be printed
// and to be visible in the store, when no further line comes. Real lab lines are written one at
// a time into `qtrace --json`'s stdin, with pauses that fall at every phase of its commit tick;
// each line's record is awaited on stdout, and each `new msg` is awaited in the store by a second
// (read-only) connection, as `qtrace show` would see it.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { frameLine } from '../../parsers/line.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';
import { BIN } from '../helpers/cli.js';
import { LAB } from '../helpers/lab.js';

const N = 60;
const lines = readFileSync(join(LAB, 'b1-scenarios', 'logs', 'send', 'current'), 'utf8').split('\n').filter((l) => l !== '').slice(0, N);
const dbPath = join(mkdtempSync(join(tmpdir(), 'qtrace-latency-')), 'q.db');
const child = spawn(process.execPath, [BIN, '--db', dbPath, '--host', 'vm', '--json'], { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
let records = 0;
let wake: (() => void) | undefined;
child.stdout.setEncoding('utf8').on('data', (d: string) => {
  out += d;
  let i: number;
  while ((i = out.indexOf('\n')) >= 0) { out = out.slice(i + 1); records++; }
  wake?.();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let db: Database.Database | undefined;

const printed: number[] = [];
const stored: number[] = [];
for (let k = 0; k < lines.length; k++) {
  const line = lines[k]!;
  const before = records;
  const t0 = process.hrtime.bigint();
  child.stdin.write(line + '\n');
  const newMsg = / new msg (\d+)$/.exec(line);
  const at = frameLine(line, { zone: UTC_ZONE, yearFor: () => 2026 }).us; // ids are reused: match the incarnation
  const storedP = (async () => {
    if (newMsg === null) return;
    for (;;) {
      db ??= new Database(dbPath, { readonly: true, fileMustExist: true });
      const hit = db.prepare('SELECT 1 FROM messages WHERE msg = ? AND first_us = ?').get(Number(newMsg[1]), at) !== undefined;
      if (hit) { if (k > 0) stored.push(Number(process.hrtime.bigint() - t0) / 1e6); return; }
      await sleep(1);
    }
  })();
  // a summary may follow the event: wait for at least the event's own record
  while (records <= before) await new Promise<void>((r) => { wake = r; });
  const shown = Number(process.hrtime.bigint() - t0) / 1e6;
  await storedP;
  if (k > 0) printed.push(shown); // the first line waits for node to start: not counted
  await sleep(150 + ((k * 37) % 300)); // 150–450 ms: every phase of the 100 ms tick
}
child.stdin.end();
await new Promise((r) => child.on('close', r));
db?.close();

const stat = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms (n=${s.length})`;
};
console.log(`live latency, one line into a quiet pipe (target ≤ 200 ms):\n  printed:            ${stat(printed)}\n  visible in the store: ${stat(stored)}`);
