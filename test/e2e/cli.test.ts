// The built CLI as an admin uses it: ingest, rerun, pipes, kills, errors, queries.

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { qtrace, qtraceAsync } from '../helpers/cli.js';
import { LAB, REPO } from '../helpers/lab.js';

const SEND = join(REPO, 'samples', 'send');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-cli-'));

function messagesJson(db: string): string[] {
  const r = qtrace(['messages', '--db', db, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

function oneLineError(r: { status: number | null; stderr: string }): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^qtrace: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('qtrace ingest', () => {
  it('ingests the shipped samples and says what it did', () => {
    const db = join(tmp(), 'q.db');
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', SEND]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^qtrace: 679 lines, 70 messages \(0 still queued\), 0 unknown lines in [\d.]+ s/);
    expect(messagesJson(db).length).toBe(70);
  });

  it('a rerun, and the same lines through a pipe, add nothing', () => {
    const db = join(tmp(), 'q.db');
    qtrace(['ingest', '--db', db, '--host', 'vm', SEND]);
    const before = messagesJson(db);
    const again = qtrace(['ingest', '--db', db, '--host', 'vm', SEND]);
    expect(again.stderr).toMatch(/^qtrace: 0 lines, .*1 file already read/);
    const piped = qtrace(['ingest', '--db', db, '--host', 'vm', '-'], { input: readFileSync(join(SEND, 'current')) });
    expect(piped.stderr).toMatch(/^qtrace: 0 lines, .*679 lines of a stream already read/);
    expect(messagesJson(db)).toEqual(before);
  });

  it('two halves in two runs give the same timelines as one run', () => {
    const dir = tmp();
    const lines = readFileSync(join(SEND, 'current'), 'utf8').split('\n');
    const cut = 300; // inside the life of several messages
    writeFileSync(join(dir, 'first'), lines.slice(0, cut).join('\n') + '\n');
    const whole = join(dir, 'whole.db');
    const split = join(dir, 'split.db');
    qtrace(['ingest', '--db', whole, '--host', 'vm', SEND]);
    const a = qtrace(['ingest', '--db', split, '--host', 'vm', join(dir, 'first')]);
    expect(a.stderr).toMatch(/still queued/);
    const b = qtrace(['ingest', '--db', split, '--host', 'vm', join(SEND, 'current')]);
    expect(b.stderr).toMatch(new RegExp(`^qtrace: ${lines.length - 1 - cut} lines, .*1 file continued where the last run stopped`));
    expect(messagesJson(split)).toEqual(messagesJson(whole));
  });

  it('SMTP sessions cut by a run boundary continue in the next run', () => {
    const dir = tmp();
    const smtpdr = join(REPO, 'samples', 'smtpdr', 'current');
    const lines = readFileSync(smtpdr, 'utf8').split('\n');
    mkdirSync(join(dir, 'smtpdr'));  // the same stream: its name is its multilog dir's
    writeFileSync(join(dir, 'smtpdr', 'current'), lines.slice(0, 400).join('\n') + '\n'); // inside a dialogue
    const whole = join(dir, 'whole.db');
    const split = join(dir, 'split.db');
    const sessions = (db: string) => qtrace(['sessions', '--db', db, '--json']).stdout.trim().split('\n')
      .map((l) => JSON.parse(l) as { id: string; session: { verdict: string; transactions: unknown[] }; messages: unknown[] })
      .map((v) => JSON.stringify([v.id, v.session.verdict, v.session.transactions, v.messages]));
    qtrace(['ingest', '--db', whole, '--host', 'vm', SEND, smtpdr]);
    qtrace(['ingest', '--db', split, '--host', 'vm', SEND, join(dir, 'smtpdr')]);
    const b = qtrace(['ingest', '--db', split, '--host', 'vm', smtpdr]);
    expect(b.stderr).toMatch(new RegExp(`^qtrace: ${lines.length - 1 - 400} lines, .*1 file continued where the last run stopped`));
    expect(sessions(split)).toEqual(sessions(whole));
  });

  it('a kill mid-ingest loses and duplicates nothing: the rerun ends where a clean run ends', async () => {
    const dir = tmp();
    const volume = join(LAB, 'volume', 'logs', 'send');
    const clean = join(dir, 'clean.db');
    expect(qtrace(['ingest', '--db', clean, '--host', 'vm', volume]).status).toBe(0);
    const killed = join(dir, 'killed.db');
    const child = qtraceAsync(['ingest', '--db', killed, '--host', 'vm', volume]);
    // wait for the first commits to reach the WAL, then kill without warning
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(killed + '-wal') && statSync(killed + '-wal').size > 1_000_000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
      child.on('exit', () => { clearInterval(poll); resolve(); });
    });
    await new Promise((r) => child.on('close', r));
    const partial = qtrace(['messages', '--db', killed, '--json']).stdout.trim().split('\n').length;
    const indexes = (): number => {
      const d = new Database(killed, { readonly: true });
      const n = d.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'index'
        AND name IN ('messages_msg', 'messages_qp', 'messages_last', 'deliveries_recipient')`).pluck().get() as number;
      d.close();
      return n;
    };
    expect(indexes()).toBe(0); // a first load defers them (the time index it keeps: the writer finds ids by it)…
    const rerun = qtrace(['ingest', '--db', killed, '--host', 'vm', volume]);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(partial).toBeLessThan(22_662);
    const a = messagesJson(killed);
    const b = messagesJson(clean);
    expect(a.length).toBe(22_662);
    expect(a).toEqual(b);
    expect(indexes()).toBe(4); // …and the next open builds them
  });

  it('bad input: one line, exit 2, no stack trace', () => {
    const dir = tmp();
    oneLineError(qtrace(['ingest', '--db', join(dir, 'q.db'), join(dir, 'nope.log')]));
    oneLineError(qtrace(['ingest', '--db', join(dir, 'q.db'), dir]));
    writeFileSync(join(dir, 'bad.gz'), 'not gzip at all');
    oneLineError(qtrace(['ingest', '--db', join(dir, 'q.db'), join(dir, 'bad.gz')]));
    writeFileSync(join(dir, 'corrupt.db'), 'this is not a database file, just text'.repeat(200));
    oneLineError(qtrace(['ingest', '--db', join(dir, 'corrupt.db'), SEND]));
    oneLineError(qtrace(['messages', '--db', join(dir, 'corrupt.db')]));
    oneLineError(qtrace(['messages', '--db', join(dir, 'missing.db')]));
    oneLineError(qtrace(['ingest', '--bogus']));
    oneLineError(qtrace(['ingest', '--db', join(dir, 'q.db'), '--tz', 'Mars/Olympus', SEND]));
    oneLineError(qtrace(['messages', '--db', join(dir, 'q.db'), '--since', 'last tuesday-ish']));
    oneLineError(qtrace(['no-such-command'])); // (no command with stdin a pipe is the live view)
  });

  it('live from a pipe: what came in is committed while the pipe stays open; TERM commits the rest and stops', async () => {
    const db = join(tmp(), 'q.db');
    const lines = readFileSync(join(SEND, 'current'), 'utf8').split('\n');
    const child = spawn(process.execPath, [join(REPO, 'bin', 'qtrace'), 'ingest', '--db', db, '--host', 'vm'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const count = (): number => {
      if (!existsSync(db)) return 0;
      const r = qtrace(['messages', '--db', db, '--json']);
      return r.status === 0 ? r.stdout.trim().split('\n').length : 0;
    };
    const until = async (ok: () => boolean): Promise<void> => { while (!ok()) await new Promise((r) => setTimeout(r, 100)); };
    child.stdin.write(lines.slice(0, 300).join('\n') + '\n');
    await until(() => count() > 0);                       // committed with the pipe still open
    const early = count();
    child.stdin.write(lines.slice(300).join('\n'));
    await until(() => count() === 70);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(early).toBeLessThan(70);
    expect(code).toBe(0);
    expect(err).toMatch(/679 lines, 70 messages .*stopped by SIGTERM/);
  });

  it('--verbose logs through pino-pretty what qtrace noticed: the qmail-send restarts of d1', () => {
    const db = join(tmp(), 'q.db');
    const r = qtrace(['ingest', '-v', '--db', db, join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/INFO.*reading .*maillog/);
    expect(r.stderr.match(/WARN.*qmail-send restarted \(status: exiting\)/g)?.length).toBe(3);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^qtrace: 3158 lines, 162 messages/);
  });

  it('damaged lines are counted and kept with their position, never fatal', () => {
    const dir = tmp();
    const f = join(dir, 'mixed.log');
    const good = readFileSync(join(SEND, 'current'), 'utf8').split('\n').slice(0, 20);
    writeFileSync(f, [good[0], '\x00\x01binary\xff junk', good[1], '@40000000zzzz broken stamp', ...good.slice(2), 'no newline at the end'].join('\n'));
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', f]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 unknown lines, 1 unfinished last line left for the next run/);
  });
});

describe('queries', () => {
  const db = join(tmp(), 'q.db');
  qtrace(['ingest', '--db', db, '--host', 'vm', SEND, join(REPO, 'samples', 'smtpd'), join(REPO, 'samples', 'smtpdr')]);

  it('show MSGID lists every incarnation, newest first; --at picks one; --qp finds by qp', () => {
    const all = qtrace(['show', '--db', db, '1442657', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { first_seen: string; qp: number });
    expect(all.length).toBeGreaterThan(3); // the lab reused this inode again and again
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.first_seen >= all[i]!.first_seen).toBe(true);
    const at = qtrace(['show', '--db', db, '1442657', '--at', all[2]!.first_seen, '--json']).stdout.trim().split('\n');
    expect(at.length).toBe(1);
    expect(JSON.parse(at[0]!).first_seen).toBe(all[2]!.first_seen);
    const byQp = qtrace(['show', '--db', db, '--qp', '9188']);
    expect(byQp.stdout).toMatch(/msg 1442657 on vm/);
    expect(byQp.stdout).toMatch(/✓ delivered local {2}tammy@mx.example.test/);
    const none = qtrace(['show', '--db', db, '424242']);
    expect(none.status).toBe(1);
  });

  it('the triple bounce and the forward read as such', () => {
    const out = qtrace(['show', '--db', db, '--qp', '9265']).stdout;
    expect(out).toMatch(/triple bounce/);
    expect(qtrace(['show', '--db', db, '--qp', '9368']).stdout).toMatch(/forwarded: copy qp 9372 → vm:/);
  });

  it('messages --to / --outcome filter; every --json line fits the published schema', () => {
    const failed = messagesJson(db).map((l) => JSON.parse(l) as { recipients: Array<{ outcome: string }> });
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'timeline.schema.json'), 'utf8')));
    for (const t of failed) expect(validate(t), JSON.stringify(validate.errors)).toBe(true);
    expect(failed.filter((t) => (t as unknown as { session: unknown }).session !== null).length).toBe(36); // 21 exact + 15 inferred
    // --to matches by parts (any case; a domain by its first labels); '*' is the only wildcard
    const toCarol = qtrace(['messages', '--db', db, '--to', 'VUSER-CAROL@virt', '--json']).stdout.trim().split('\n');
    expect(toCarol.length).toBe(1);
    expect(JSON.parse(toCarol[0]!).recipients[0].outcome).toBe('failed');
    expect(qtrace(['messages', '--db', db, '--to', '*carol@virt*', '--json']).stdout.trim().split('\n')).toEqual(toCarol);
    expect(qtrace(['messages', '--db', db, '--to', 'carol@virt']).status).toBe(1); // not a substring of vuser-carol@
    // the samples have tammy-bob@ but no bob@: `--to bob@` finds nothing, `--to tammy-bob@` exactly those
    const tammyBob = failed.filter((t) => t.recipients.some((r) => /^tammy-bob@/i.test((r as unknown as { to: string }).to)));
    expect(tammyBob.length).toBe(8);
    expect(qtrace(['messages', '--db', db, '--to', 'bob@']).status).toBe(1);
    expect(qtrace(['messages', '--db', db, '--to', 'tammy-bob@', '--json']).stdout.trim().split('\n').length).toBe(tammyBob.length);
    const f = qtrace(['messages', '--db', db, '--outcome', 'failed']).stdout.trim().split('\n');
    expect(f.length).toBe(failed.filter((t) => t.recipients.some((r) => r.outcome === 'failed')).length);
    expect(qtrace(['messages', '--db', db, '--to', 'nobody-at-all']).status).toBe(1);
  });
});
