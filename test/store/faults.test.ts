// Issue 7's cases, each as a user meets it: the store afterwards equals a clean one-shot ingest
// of the same lines, compared as a user sees it (timelines, recipients, attempts, links, sessions).

import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync,
  statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { decodeTai64n, encodeTai64n } from '../../parsers/timestamp.js';
import { openDb } from '../../src/store/db.js';
import { BIN, qtrace } from '../helpers/cli.js';
import { ingestPaths, LAB, REPO, tempDb } from '../helpers/lab.js';
import { storeView, viewDiff, type StoreView } from '../helpers/store-view.js';

const SEND = join(REPO, 'samples', 'send', 'current');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-faults-'));
const linesOf = (f: string): string[] => {
  const l = (f.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f)).toString('utf8').split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
};

function viewAt(path: string): StoreView {
  const db = openDb(path, { readonly: true, mustExist: true });
  try { return storeView(db); } finally { db.close(); }
}

async function oneShot(paths: string[]): Promise<StoreView> {
  const { db } = tempDb();
  await ingestPaths(db, paths);
  const v = storeView(db);
  db.close();
  return v;
}

/** A multilog line's text with its TAI64N stamp moved by `us`. */
function shift(line: string, us: number): string {
  const st = decodeTai64n(line.slice(1, 25))!;
  return `@${encodeTai64n(st.us + us, undefined)}${line.slice(25)}`;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('signals', () => {
  for (const [sig, reader] of [['SIGINT', 'inline'], ['SIGTERM', 'inline'], ['SIGINT', 'thread'], ['SIGTERM', 'thread']] as const) {
    it(`${sig} during a file ingest (${reader} reader) commits what was read, exits 0, and the rerun continues there (volume send)`, async () => {
      const dir = tmp();
      const send = join(LAB, 'volume', 'logs', 'send');
      const clean = await oneShot([send]);
      const total = readdirSync(send).filter((f) => f.startsWith('@') || f.startsWith('current'))
        .reduce((n, f) => n + linesOf(join(send, f)).length, 0);
      const db = join(dir, 'q.db');
      const env = { ...process.env, QTRACE_READER: reader };
      // --verbose logs each commit: the signal goes after the first of the run's four, so it lands
      // while lines are still being read (a WAL size came too late on a slow machine: the index
      // build at the end writes most of it).
      const c = spawn(process.execPath, [BIN, 'ingest', '--verbose', '--db', db, '--host', 'vm', send], { stdio: ['ignore', 'ignore', 'pipe'], env });
      let stderr = '';
      let sent = false;
      c.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /\bcommit\b/.test(stderr.replace(/last commit/g, ''))) { sent = true; c.kill(sig); }
      });
      const code = await new Promise<number | null>((r) => c.on('close', r));
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(new RegExp(`stopped by ${sig}`));
      const partial = viewAt(db).timelines.length;
      expect(partial).toBeLessThan(clean.timelines.length);
      const again = qtrace(['ingest', '--db', db, '--host', 'vm', send], { env: { QTRACE_READER: reader } });
      expect(again.status, again.stderr).toBe(0);
      // The stop may fall inside a file ("continued where…") or between two ("already read"):
      // either way the two runs together read each line once.
      expect(again.stderr).toMatch(/continued where the last run stopped|already read/);
      const linesRead = (s: string): number => Number(/qtrace: (\d+) lines/.exec(s)?.[1] ?? NaN);
      expect(linesRead(stderr) + linesRead(again.stderr)).toBe(total);
      expect(viewDiff(viewAt(db), clean)).toBe('');
    }, 60_000);
  }
});

describe('clocks', () => {
  it('time going back inside one file (excerpts pasted together): every line is taken where it stands', async () => {
    const lines = linesOf(SEND);
    const f = join(tmp(), 'pasted.log');
    writeFileSync(f, [...lines.slice(400), ...lines.slice(0, 400)].join('\n') + '\n');
    const { db } = tempDb();
    const r = await ingestPaths(db, [f]);
    expect(r.lines).toBe(lines.length);
    expect(r.duplicates).toBe(0);
    const newMsgs = lines.filter((l) => / new msg /.test(l)).length;
    const queued = db.prepare('SELECT count(*) FROM v_messages WHERE queued_us IS NOT NULL').pluck().get();
    expect(queued).toBe(newMsgs);
  });

  it('a clock set back 10 minutes mid-file: the same messages and outcomes, none dropped', async () => {
    const lines = linesOf(SEND);
    const f = join(tmp(), 'stepped.log');
    writeFileSync(f, [...lines.slice(0, 339), ...lines.slice(339).map((l) => shift(l, -600_000_000))].join('\n') + '\n');
    const outcomes = (v: StoreView): string[] => v.timelines.map((t) => {
      const x = t as { msg: number; from: string; recipients: Array<{ to: string; outcome: string; attempts: number }> };
      return JSON.stringify([x.msg, x.from, x.recipients.map((r) => [r.to, r.outcome, r.attempts])]);
    }).sort();
    const stepped = await oneShot([f]);
    const clean = await oneShot([SEND]);
    expect(stepped.timelines.length).toBe(clean.timelines.length);
    expect(outcomes(stepped)).toEqual(outcomes(clean));
  });

  it('the DST fall-back hour of a zone-less log read with --tz: both passes of 02:00–03:00 land where they happened', async () => {
    // the sample's lines, ten seconds apart from 2026-10-25 00:00 UTC (02:00 CEST) across the
    // fold, once with TAI64N stamps and once as tai64nlocal in Europe/Berlin
    const lines = linesOf(SEND);
    const t0 = Date.UTC(2026, 9, 25, 0, 0, 0) * 1000;
    const dir = tmp();
    const tai = lines.map((l, i) => `@${encodeTai64n(t0 + i * 10_000_000, undefined)}${l.slice(25)}`);
    const local = lines.map((l, i) => {
      const t = DateTime.fromMillis((t0 + i * 10_000_000) / 1000, { zone: 'Europe/Berlin' });
      return `${t.toFormat('yyyy-LL-dd HH:mm:ss.SSS')}000000${l.slice(25)}`;
    });
    expect(local.some((l) => l.startsWith('2026-10-25 02:59')) && tai.length).toBeTruthy();
    writeFileSync(join(dir, 'tai.log'), tai.join('\n') + '\n');
    writeFileSync(join(dir, 'local.log'), local.join('\n') + '\n');
    const a = await oneShot([join(dir, 'tai.log')]);
    const { db } = tempDb();
    const r = await ingestPaths(db, [join(dir, 'local.log')], { tz: 'Europe/Berlin' });
    expect(r.lines).toBe(lines.length);
    expect(viewDiff(storeView(db), a)).toBe('');
  });

  it('a line stamped in the future, or in the year 300 000, hides nothing and breaks no query', async () => {
    const lines = linesOf(SEND);
    const dir = tmp();
    const f = join(dir, 'future.log');
    const far = `@${encodeTai64n(9.4e18, 0)} warning: a damaged stamp`;
    const soon = `@${encodeTai64n(4102444800 * 1e6, 0)} local user's logger line`;
    writeFileSync(f, [...lines.slice(0, 100), far, soon, ...lines.slice(100)].join('\n') + '\n');
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', f]);
    expect(r.status, r.stderr).toBe(0);
    const v = viewAt(db);
    const clean = await oneShot([SEND]);
    expect(v.timelines).toEqual(clean.timelines);
    expect(qtrace(['messages', '--db', db]).status).toBe(0);
    expect(qtrace(['show', '--db', db, '1442657']).status).toBe(0);
    const kept = qtrace(['ingest', '--db', db, '--host', 'vm', f]);
    expect(kept.stderr).toMatch(/1 file already read/);
  });
});

describe('files as they are on a live server', () => {
  it('a cron run that catches current mid-line leaves the half line for the next run', async () => {
    const lines = linesOf(SEND);
    const dir = tmp();
    mkdirSync(join(dir, 'send'));
    const cur = join(dir, 'send', 'current');
    const half = lines[300]!.slice(0, 60); // a recipient cut short would still parse
    writeFileSync(cur, lines.slice(0, 300).join('\n') + '\n' + half);
    const db = join(dir, 'q.db');
    const a = qtrace(['ingest', '--db', db, '--host', 'vm', join(dir, 'send')]);
    expect(a.stderr).toMatch(/1 unfinished last line left for the next run/);
    appendFileSync(cur, lines[300]!.slice(60) + '\n' + lines.slice(301).join('\n') + '\n');
    const b = qtrace(['ingest', '--db', db, '--host', 'vm', join(dir, 'send')]);
    expect(b.stderr).toMatch(new RegExp(`^qtrace: ${lines.length - 300} lines`));
    expect(viewDiff(viewAt(db), await oneShot([SEND]))).toBe('');
  });

  it('multilog rotates current to @….s between runs: the rename is followed, nothing read twice', async () => {
    const lines = linesOf(SEND);
    const dir = tmp();
    const send = join(dir, 'send');
    mkdirSync(send);
    writeFileSync(join(send, 'current'), lines.slice(0, 250).join('\n') + '\n');
    const db = join(dir, 'q.db');
    qtrace(['ingest', '--db', db, '--host', 'vm', send]);
    appendFileSync(join(send, 'current'), lines.slice(250, 500).join('\n') + '\n');
    copyFileSync(join(send, 'current'), join(send, '@400000006b071fc500000000.s'));
    writeFileSync(join(send, 'current'), lines.slice(500).join('\n') + '\n');
    const b = qtrace(['ingest', '--db', db, '--host', 'vm', send]);
    expect(b.stderr).toMatch(new RegExp(`^qtrace: ${lines.length - 250} lines`));
    expect(viewDiff(viewAt(db), await oneShot([SEND]))).toBe('');
  });

  it('two runs cut anywhere, even inside a second of status lines, keep every concurrency peak', async () => {
    const lines = linesOf(SEND);
    const clean = await oneShot([SEND]);
    for (const at of [5, 77, 151, 262, 339, 480, 601]) {
      const dir = tmp();
      const f = join(dir, 'current');
      writeFileSync(f, lines.slice(0, at).join('\n') + '\n');
      const { db } = tempDb();
      await ingestPaths(db, [f]);
      writeFileSync(f, lines.join('\n') + '\n'); // the same file, grown
      await ingestPaths(db, [f]);
      expect(viewDiff(storeView(db), clean), `cut at ${at}`).toBe('');
      db.close();
    }
  });

  for (const reader of ['inline', 'thread']) it(`a truncated .gz in a multilog dir is named and skipped; the files after it, current included, are read (${reader} reader)`, async () => {
    const dir = tmp();
    const src = join(LAB, 'volume', 'logs', 'smtpdr');
    cpSync(src, join(dir, 'smtpdr'), { recursive: true });
    const rotated = readdirSync(join(dir, 'smtpdr')).filter((n) => n.startsWith('@')).sort();
    const bad = join(dir, 'smtpdr', rotated[2]!);
    truncateSync(bad, Math.floor(statSync(bad).size / 2));
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', join(dir, 'smtpdr')], { env: { QTRACE_READER: reader } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot read .*${rotated[2]!.replace(/\./g, '\\.')}: not valid gzip data \\(skipped, the rest was read\\)`));
    expect(r.stderr.trim().split('\n').length).toBe(1);
    const last = linesOf(join(src, 'current.gz')).filter((l) => / tcpserver: end /.test(l)).pop()!;
    const pid = / end (\d+) /.exec(last)![1]!;
    const d = openDb(db, { readonly: true, mustExist: true });
    expect(d.prepare('SELECT count(*) FROM sessions WHERE pid = ?').pluck().get(Number(pid))).toBeGreaterThan(0);
    d.close();
  });
});

describe('identity', () => {
  it('a file named twice in one command (its dir and itself) is read once', async () => {
    const send = join(LAB, 'volume', 'logs', 'send');
    const { db } = tempDb();
    const r = await ingestPaths(db, [join(send, 'current.gz'), send]);
    expect(viewDiff(storeView(db), await oneShot([send]))).toBe('');
    expect(r.files).toBe(readdirSync(send).filter((n) => n.endsWith('.gz')).length);
  }, 60_000);

  it('second-resolution stamps: ids qmail reuses within one second stay separate messages (d1 without splogger stamps)', async () => {
    const maillog = join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz');
    const dir = tmp();
    const plain = join(dir, 'maillog');
    writeFileSync(plain, linesOf(maillog).map((l) => l.replace(/^(\S+ +\S+ \S+ \S+ \S+: )\d{9,11}\.\d+ /, '$1')).join('\n') + '\n');
    const withStamps = await oneShot([maillog]);
    const without = await oneShot([plain]);
    const key = (v: StoreView): string[] => v.timelines.map((t) => {
      const x = t as { msg: number; from: string; qp: number; recipients: Array<{ to: string; outcome: string }> };
      return JSON.stringify([x.msg, x.qp, x.from, x.recipients.map((r) => [r.to, r.outcome])]);
    }).sort();
    expect(without.timelines.length).toBe(withStamps.timelines.length);
    expect(key(without)).toEqual(key(withStamps));
    const ids = without.timelines.map((t) => (t as { id: string }).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((k) => /#\d+$/.test(k))).toBe(true);
  });

  it('message ids beyond 2^53 (64-bit inodes) stay exact and apart, in the store and in views', async () => {
    const lines = linesOf(SEND).slice(0, 8); // status, then msg 1442657 from new to end
    const big = ['9007199254740993', '9007199254740992', '18446744073709551615'];
    const f = join(tmp(), 'big.log');
    writeFileSync(f, big.flatMap((id, i) => lines.map((l) => shift(l, i * 1000).replace(/msg 1442657/, `msg ${id}`))).join('\n') + '\n');
    const { db } = tempDb();
    await ingestPaths(db, [f]);
    const v = storeView(db);
    const ids = v.timelines.map((t) => (t as { msg: number | string }).msg);
    expect(ids.sort()).toEqual([...big].sort());
    expect(v.timelines.every((t) => (t as { ended: string | null }).ended !== null)).toBe(true);
    const again = await ingestPaths(db, [f]);
    expect(again.lines).toBe(0);
  });

  it('an id reused within milliseconds across two files of one stream, in one run: both messages, both ended', async () => {
    const lines = linesOf(SEND);
    const block = lines.slice(1, 8); // new msg 1442657 … end msg 1442657, status lines between
    expect(block[block.length - 1]).toMatch(/end msg 1442657$/);
    const dir = tmp();
    const a = join(dir, '@400000006b071fc400000000.s');
    const b = join(dir, 'second.log');
    writeFileSync(a, [lines[0]!, ...block].join('\n') + '\n');
    writeFileSync(b, block.map((l) => shift(l, 10_000)).join('\n') + '\n'); // 10 ms later, same texts
    const { db } = tempDb();
    const r = await ingestPaths(db, [a, b]);
    expect(r.duplicates).toBe(0);
    const rows = db.prepare('SELECT ended_us IS NOT NULL AS ended FROM v_messages WHERE msg = 1442657').all();
    expect(rows).toEqual([{ ended: 1 }, { ended: 1 }]);
  });
});

describe('links and writers', () => {
  it('smtpd logs in one run and send in a later one link as when read together (volume: 2,936 exact)', async () => {
    const logs = join(LAB, 'volume', 'logs');
    const together = tempDb();
    const t = await ingestPaths(together.db, [join(logs, 'send'), join(logs, 'smtpd'), join(logs, 'smtpdr')]);
    const apart = tempDb();
    await ingestPaths(apart.db, [join(logs, 'smtpd'), join(logs, 'smtpdr')]);
    const r = await ingestPaths(apart.db, [join(logs, 'send')]);
    expect(t.links.exact).toBe(2936);
    expect(r.links).toEqual(t.links);
    expect(viewDiff(storeView(apart.db), storeView(together.db))).toBe('');
  }, 120_000);

  it('the b1 batch, send before or after smtpd: the same exact and inferred links', async () => {
    const logs = join(LAB, 'b1-scenarios', 'logs');
    const together = await oneShot([join(logs, 'send'), join(logs, 'smtpd'), join(logs, 'smtpdr')]);
    const { db } = tempDb();
    await ingestPaths(db, [join(logs, 'send')]);
    await ingestPaths(db, [join(logs, 'smtpdr')]);
    await ingestPaths(db, [join(logs, 'smtpd')]);
    expect(viewDiff(storeView(db), together)).toBe('');
  });

  it('a live pipe links a session to its message while the pipe is still open', async () => {
    const send = linesOf(SEND);
    const smtpdr = linesOf(join(REPO, 'samples', 'smtpdr', 'current'));
    const merged = [...send, ...smtpdr].sort((x, y) => (x.slice(1, 25) < y.slice(1, 25) ? -1 : 1));
    const db = join(tmp(), 'q.db');
    const c = spawn(process.execPath, [BIN, 'ingest', '--db', db, '--host', 'vm', '--name', 'smtpdr'], { stdio: ['pipe', 'ignore', 'pipe'] });
    c.stdin.write(merged.join('\n') + '\n');
    let linked = 0;
    for (let i = 0; i < 200 && linked === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(db)) continue;
      try { // the store may still be being created
        const d = openDb(db, { readonly: true, mustExist: true });
        linked = d.prepare("SELECT count(*) FROM session_links WHERE link = 'exact'").pluck().get() as number;
        d.close();
      } catch { /* not yet */ }
    }
    c.stdin.end();
    await new Promise((r) => c.on('close', r));
    expect(linked).toBeGreaterThan(0);
  }, 30_000);

  it('a second ingest on a store in use exits 2 naming the pid; with --wait it waits and adds nothing twice', async () => {
    const send = join(LAB, 'volume', 'logs', 'send');
    const dir = tmp();
    const db = join(dir, 'q.db');
    const first = run(['ingest', '--db', db, '--host', 'vm', send]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => { if (existsSync(db + '.lock')) { clearInterval(poll); resolve(); } }, 2);
    });
    const second = qtrace(['ingest', '--db', db, '--host', 'vm', send]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/^qtrace: store in use by pid \d+/);
    const waiting = run(['ingest', '--wait', '--db', db, '--host', 'vm', send]);
    expect((await first).code).toBe(0);
    const w = await waiting;
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toMatch(/^qtrace: 0 lines/);
    expect(viewDiff(viewAt(db), await oneShot([send]))).toBe('');
  }, 60_000);

  it('a new store and its -wal and -shm are 0600; an existing store keeps its mode', () => {
    const dir = tmp();
    const db = join(dir, 'q.db');
    expect(qtrace(['ingest', '--db', db, '--host', 'vm', SEND]).status).toBe(0);
    const d = openDb(db, { readonly: true, mustExist: true }); // holds -wal and -shm open
    for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
    d.close();
    chmodSync(db, 0o640);
    expect(qtrace(['ingest', '--db', db, '--host', 'vm', SEND]).status).toBe(0);
    expect((statSync(db).mode & 0o777).toString(8)).toBe('640');
  });

  it('an unknown line keeps its first 4 KiB and its full length', async () => {
    const f = join(tmp(), 'junk.log');
    writeFileSync(f, `${linesOf(SEND)[0]}\n${'x'.repeat(10_000)}\n`);
    const { db } = tempDb();
    const r = await ingestPaths(db, [f]);
    expect(r.unknown).toBe(1);
    expect(db.prepare('SELECT length(raw) AS kept, length FROM unknown_lines').get()).toEqual({ kept: 4096, length: 10_000 });
  });

  it('junk is bounded: bytes that are not UTF-8 are kept as bytes, the store stays near the input\'s size', async () => {
    const f = join(tmp(), 'junk.bin');
    const junk = Buffer.alloc(2_000_000);
    let x = 12345;
    for (let i = 0; i < junk.length; i++) { x = (x * 1103515245 + 12345) >>> 0; junk[i] = x >>> 24; }
    writeFileSync(f, junk);
    const { db, path } = tempDb();
    const r = await ingestPaths(db, [f]);
    expect(r.unknown).toBe(r.lines);
    const kept = db.prepare("SELECT raw FROM unknown_lines WHERE typeof(raw) = 'blob' LIMIT 1").pluck().get() as Buffer;
    expect(Buffer.isBuffer(kept)).toBe(true);
    expect(junk.includes(kept)).toBe(true); // the exact bytes
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(statSync(path).size).toBeLessThan(2 * junk.length);
  });
});
