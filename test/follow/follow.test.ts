// `qtrace follow` as a user runs it, on real lab lines: where a first start begins (end of
// current, --from-start, --since), rotation while up and while down, truncation said, SIGHUP,
// SIGTERM and SIGINT exit 0, and a clear line for a path it cannot follow. The store is compared
// with a one-shot `ingest` of the same files, as a user sees it.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInputs, fingerprintOf } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { openDb } from '../../src/store/db.js';
import { BIN, qtrace } from '../helpers/cli.js';
import { haveLab, LAB, labText } from '../helpers/lab.js';
import { storeView, viewDiff } from '../helpers/store-view.js';

const B1 = join(LAB, 'b1-scenarios', 'logs');
const labLines = (dir: string): string[] => readFileSync(join(B1, dir, 'current'), 'utf8').split('\n').filter((l) => l !== '');

interface Run { c: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> }

function follow(db: string, args: string[]): Run {
  const c = spawn(process.execPath, [BIN, 'follow', '--print', 'none', '--db', db, '--host', 'vm', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return { c, done: new Promise((r) => c.on('close', (code, signal) => r({ code, signal, stderr }))) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (polling the store read-only) until `ok`; the test's own timeout bounds it. */
async function until(db: string, ok: (d: ReturnType<typeof openDb>) => boolean): Promise<void> {
  for (;;) {
    try {
      const d = openDb(db, { readonly: true, mustExist: true });
      try { if (ok(d)) return; } finally { d.close(); }
    } catch { /* not created yet */ }
    await sleep(20);
  }
}

/** The store holds every whole line of `file` (by its fingerprint). */
const holds = (file: string) => (d: ReturnType<typeof openDb>): boolean => {
  const bytes = readFileSync(file);
  const fp = fingerprintOf(bytes);
  if (fp === undefined) return false;
  return d.prepare('SELECT offset FROM positions WHERE fingerprint = ?').pluck().get(fp) === bytes.lastIndexOf(10) + 1;
};

async function stop(r: Run, sig: NodeJS.Signals = 'SIGTERM'): Promise<string> {
  r.c.kill(sig);
  const e = await r.done;
  expect(e.signal, e.stderr).toBe(null);
  expect(e.code, e.stderr).toBe(0);
  return e.stderr;
}

async function oneShotView(dirs: string[]) {
  const d = openDb(join(mkdtempSync(join(tmpdir(), 'qtrace-follow-once-')), 'q.db'));
  await ingestToStore(d, expandInputs(dirs, 'stdin'), { host: 'vm' });
  const v = storeView(d);
  d.close();
  return v;
}

function viewOf(db: string) {
  const d = openDb(db, { readonly: true, mustExist: true });
  const v = storeView(d);
  d.close();
  return v;
}

/** multilog's rotation: current → @<tai64n of its last line>.s, and a new current. */
function rotate(dir: string): void {
  const lines = readFileSync(join(dir, 'current'), 'utf8').trimEnd().split('\n');
  chmodSync(join(dir, 'current'), 0o744);
  renameSync(join(dir, 'current'), join(dir, `${lines[lines.length - 1]!.slice(0, 25)}.s`));
  writeFileSync(join(dir, 'current'), '');
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'qtrace-follow-'));
}

const put = (file: string, lines: readonly string[]): void => appendFileSync(file, lines.map((l) => l + '\n').join(''));

describe.skipIf(!haveLab())('qtrace follow', () => {
  const send = labLines('send');

  it('--from-start reads current whole, then what is appended; SIGTERM commits and exits 0; the store equals a one-shot ingest', async () => {
    const root = tmp();
    const dir = join(root, 'send');
    mkdirSync(dir);
    put(join(dir, 'current'), send.slice(0, 300));
    const db = join(root, 'q.db');
    const r = follow(db, ['--from-start', dir]);
    await until(db, holds(join(dir, 'current')));
    put(join(dir, 'current'), send.slice(300));
    await until(db, holds(join(dir, 'current')));
    const err = await stop(r);
    expect(err).toMatch(/follow read 679 lines.*stopped by SIGTERM/);
    expect(viewDiff(viewOf(db), await oneShotView([dir]))).toBe('');
  }, 60_000);

  it('a first start begins at the end of current (recorded, so the next start continues there); SIGINT exits 0 too', async () => {
    const root = tmp();
    const dir = join(root, 'send');
    mkdirSync(dir);
    const cur = join(dir, 'current');
    put(cur, send.slice(0, 400));
    const db = join(root, 'q.db');
    let r = follow(db, [dir]);
    await until(db, holds(cur)); // the passed-over part is recorded at the first commit
    put(cur, send.slice(400, 500));
    await until(db, holds(cur));
    await stop(r, 'SIGINT');
    put(cur, send.slice(500)); // while it is down
    r = follow(db, [dir]);
    await until(db, holds(cur));
    await stop(r);
    const d = openDb(db, { readonly: true, mustExist: true });
    const firstSeen = d.prepare('SELECT min(first_us) FROM messages').pluck().get() as number;
    const lines = d.prepare('SELECT lines FROM positions').pluck().all();
    d.close();
    // nothing before line 401 was read: the first message seen is at or after it
    const stamp401 = send[400]!.slice(1, 25);
    const us401 = (Number(BigInt(`0x${stamp401.slice(0, 16)}`) - 2n ** 62n - 10n) * 1e6) + Math.floor(parseInt(stamp401.slice(16), 16) / 1000);
    expect(firstSeen).toBeGreaterThanOrEqual(us401);
    expect(lines).toEqual([679]);
  }, 60_000);

  it('--since: a first start begins at the first line at or after the time, in rotated files and current', async () => {
    const root = tmp();
    const dir = join(root, 'send');
    mkdirSync(dir);
    put(join(dir, 'current'), send.slice(0, 200));
    rotate(dir);
    put(join(dir, 'current'), send.slice(200));
    const since = send[250]!;
    const s = since.slice(1, 25);
    const us = (Number(BigInt(`0x${s.slice(0, 16)}`) - 2n ** 62n - 10n) * 1e6) + Math.floor(parseInt(s.slice(16), 16) / 1000);
    const iso = new Date(Math.floor(us / 1000)).toISOString();
    const db = join(root, 'q.db');
    const r = follow(db, ['--since', iso, '--tz', 'UTC', dir]);
    await until(db, holds(join(dir, 'current')));
    await stop(r);
    const d = openDb(db, { readonly: true, mustExist: true });
    const rows = d.prepare('SELECT offset, lines, complete FROM positions ORDER BY lines').all() as Array<{ lines: number; complete: number }>;
    const first = d.prepare('SELECT min(first_us) FROM messages').pluck().get() as number;
    d.close();
    expect(rows.map((x) => x.lines)).toEqual([200, 479]); // the rotated file passed over whole, current read to its end
    expect(rows[0]!.complete).toBe(1);
    expect(first).toBeGreaterThanOrEqual(Math.floor(us / 1000) * 1000);
  }, 60_000);

  it('rotation while up (finished through the old descriptor) and while down (rotated files read first, in order): equal to a one-shot ingest', async () => {
    const root = tmp();
    const dirs = ['send', 'smtpd', 'smtpdr'].map((n) => join(root, n));
    const all = ['send', 'smtpd', 'smtpdr'].map(labLines);
    for (const d of dirs) mkdirSync(d);
    const part = (i: number, from: number, to: number): void => put(join(dirs[i]!, 'current'), all[i]!.slice(
      Math.floor(all[i]!.length * from), Math.floor(all[i]!.length * to)));
    for (let i = 0; i < 3; i++) part(i, 0, 0.2);
    const db = join(root, 'q.db');
    let r = follow(db, ['--from-start', ...dirs]);
    await until(db, (d) => dirs.every((x) => holds(join(x, 'current'))(d)));
    for (let i = 0; i < 3; i++) { part(i, 0.2, 0.3); rotate(dirs[i]!); part(i, 0.3, 0.4); } // up
    await until(db, (d) => dirs.every((x) => holds(join(x, 'current'))(d)));
    await stop(r);
    for (let i = 0; i < 3; i++) { part(i, 0.4, 0.5); rotate(dirs[i]!); part(i, 0.5, 0.7); rotate(dirs[i]!); part(i, 0.7, 0.8); } // down
    r = follow(db, dirs);
    await until(db, (d) => dirs.every((x) => holds(join(x, 'current'))(d)));
    for (let i = 0; i < 3; i++) { rotate(dirs[i]!); part(i, 0.8, 1); }
    await until(db, (d) => dirs.every((x) => holds(join(x, 'current'))(d)));
    await stop(r);
    const v = viewOf(db);
    expect(viewDiff(v, await oneShotView(dirs))).toBe('');
    expect(v.sessions.length).toBeGreaterThan(0);
    expect(v.timelines.some((t) => (t as { session: unknown }).session !== null)).toBe(true); // links made live
  }, 90_000);

  it('a truncated file is noticed and said, and read again from its start; SIGHUP lists the dirs again without doubling', async () => {
    const root = tmp();
    const dir = join(root, 'send');
    mkdirSync(dir);
    const cur = join(dir, 'current');
    put(cur, send.slice(0, 300));
    const db = join(root, 'q.db');
    const r = follow(db, ['--from-start', dir]);
    await until(db, holds(cur));
    r.c.kill('SIGHUP');
    put(cur, send.slice(300, 320));
    await until(db, holds(cur));
    writeFileSync(cur, send.slice(320, 330).map((l) => l + '\n').join('')); // truncated in place, new lines
    await until(db, holds(cur));
    const err = await stop(r);
    expect(err).toMatch(/current was truncated to \d+ bytes after \d+ had been read/);
    const d = openDb(db, { readonly: true, mustExist: true });
    const lines = d.prepare('SELECT lines FROM positions ORDER BY lines').pluck().all();
    d.close();
    expect(lines).toEqual([10, 320]); // the old content (by its fingerprint) and the new one
  }, 60_000);

  it('a plain syslog file renamed by logrotate is finished, then the new one is followed: equal to a one-shot ingest', async () => {
    const maillog = labText('d1-syslog-restart/logs/maillog.gz').split('\n').filter((l) => l !== '');
    const root = tmp();
    const file = join(root, 'maillog');
    put(file, maillog.slice(0, 1000));
    const db = join(root, 'q.db');
    const r = follow(db, ['--from-start', file]);
    await until(db, holds(file));
    put(file, maillog.slice(1000, 1500));
    renameSync(file, join(root, 'maillog.1')); // logrotate's create mode: the old file keeps its lines
    put(file, maillog.slice(1500));
    await until(db, holds(file));
    await stop(r);
    const d = openDb(db, { readonly: true, mustExist: true });
    const lines = d.prepare('SELECT lines FROM positions ORDER BY lines').pluck().all();
    d.close();
    expect(lines).toEqual([1500, maillog.length - 1500]);
    expect(viewDiff(viewOf(db), await oneShotView([join(root, 'maillog.1'), file]))).toBe('');
  }, 60_000);

  it('a path it cannot follow is one clear line and exit 2', () => {
    const root = tmp();
    const missing = qtrace(['follow', '--db', join(root, 'q.db'), join(root, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`qtrace: cannot follow ${join(root, 'nope')}: no such file or directory\n`);
    const dev = qtrace(['follow', '--db', join(root, 'q.db'), '/dev/null']);
    expect(dev.status).toBe(2);
    expect(dev.stderr).toBe('qtrace: cannot follow /dev/null: not a directory or a regular file\n');
    mkdirSync(join(root, 'empty'));
    const empty = qtrace(['follow', '--db', join(root, 'q.db'), join(root, 'empty')]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/^qtrace: cannot follow .*empty: not a multilog directory .*\n$/);
  });
});

describe('follow prints as the pipe mode does', () => {
  it('--print messages: a summary per message as lines come; --metrics serves Prometheus text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-follow-print-'));
    mkdirSync(join(dir, 'send'));
    writeFileSync(join(dir, 'send', 'current'), '');
    const db = join(dir, 'q.db');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const c = spawn(process.execPath, [BIN, 'follow', '--print', 'messages', '--json', '--metrics', `127.0.0.1:${port}`,
      '--db', db, '--host', 'vm', join(dir, 'send')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const lines = labLines('send');
    // started, at the end of an empty current (a first start begins at the end: so wait for it)
    for (let i = 0; i < 200 && !existsSync(db); i++) await sleep(50);
    await sleep(500);
    appendFileSync(join(dir, 'send', 'current'), lines.join('\n') + '\n');
    for (let i = 0; i < 300 && out.split('\n').filter((l) => l.includes('"type":"message"')).length < 70; i++) await sleep(50);
    const metrics = await new Promise<string>((resolve, reject) => {
      void import('node:http').then(({ get }) => get(`http://127.0.0.1:${port}/metrics`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve(body));
      }).on('error', reject));
    });
    c.kill('SIGTERM');
    await new Promise((r) => c.on('close', r));
    const summaries = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string });
    expect(summaries.every((r) => r.type === 'message')).toBe(true);
    expect(summaries.length).toBe(70); // b1's send log: 70 messages, each summarised once
    expect(metrics).toMatch(/^qtrace_messages_queued_total(\{[^}]*\})? 70$/m);
  }, 60_000);
});
