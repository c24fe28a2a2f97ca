// What the ingest takes as input, as an admin feeds it: process substitution, files that are no
// qmail log, qmail-send logged without timestamps, bytes that are not UTF-8.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { toBytes } from '../../src/text/escape.js';
import { BIN, qtrace } from '../helpers/cli.js';
import { REPO } from '../helpers/lab.js';

const SEND = join(REPO, 'samples', 'send', 'current');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-inputs-'));

describe('ingest inputs', () => {
  it('lines of other programs in a shared maillog are counted as not qmail, apart from lines not understood', () => {
    const dir = tmp();
    const f = join(dir, 'maillog');
    // a stock qmail line, Courier and Dovecot lines from public test logs, and one line nobody knows
    const other = readFileSync(join(REPO, 'test', 'public', 'fail2ban-ossec-courier-dovecot.log'), 'utf8').split('\n')
      .filter((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (pop3d|imapd|dovecot)(\[\d+\])?: /.test(l));
    expect(other.length).toBeGreaterThan(2);
    writeFileSync(f, ['Apr 23 21:59:30 dns2 qmail: 1271908770.123456 new msg 4711', ...other,
      'Apr 23 21:59:40 dns2 qmail: 1271908780.123456 end msg 4711', 'Apr 23 21:59:41 dns2 frobnicator: what is this'].join('\n') + '\n');
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, f]);
    expect(r.status, r.stderr).toBe(0);
    const courier = other.filter((l) => / (pop3d|imapd)(\[\d+\])?: /.test(l)).length;
    const dovecot = other.length - courier;
    expect(r.stderr).toContain('1 unknown line');
    expect(r.stderr).toContain(`${other.length} lines of other programs, not qmail (`);
    if (courier > 0) expect(r.stderr).toContain(`courier ${courier}`);
    if (dovecot > 0) expect(r.stderr).toContain(`dovecot ${dovecot}`);
    const d = openDb(db);
    expect(d.prepare('SELECT raw FROM unknown_lines').pluck().all()).toEqual(['Apr 23 21:59:41 dns2 frobnicator: what is this']);
    d.close();
  });

  it('reads a FIFO such as bash\'s <(zcat …) as a stream', () => {
    const db = join(tmp(), 'q.db');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ingest --db "${db}" --host vm <(cat "${SEND}")`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^qtrace: 679 lines, 70 messages/);
  });

  it('a file that is no qmail log: one line saying so, exit 2, its lines kept', () => {
    const dir = tmp();
    const f = join(dir, 'passwd');
    writeFileSync(f, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, f]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`qtrace: ${f}: this does not look like a qmail log (2 lines, none understood; kept as unknown lines in ${db})`]);
  });

  it('qmail-send logged without timestamps: dated by the file, said once, never 1970', () => {
    const dir = tmp();
    const f = join(dir, 'send.log');
    const text = readFileSync(SEND, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.slice(26)).join('\n') + '\n';
    writeFileSync(f, text);
    const mtime = new Date('2026-11-30T08:00:00Z');
    utimesSync(f, mtime, mtime);
    const db = join(dir, 'q.db');
    const r = qtrace(['ingest', '--db', db, '--host', 'vm', f]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/679 lines without a time/);
    const d = openDb(db, { readonly: true, mustExist: true });
    const first = d.prepare('SELECT min(first_us) AS lo, max(first_us) AS hi, count(*) AS n FROM messages').get() as { lo: number; hi: number; n: number };
    const notes = d.prepare("SELECT text FROM notices WHERE level = 'qtrace' AND text LIKE '%carry no time%'").pluck().all();
    d.close();
    expect(first.n).toBe(70);
    expect(first.lo).toBe(mtime.getTime() * 1000);
    expect(notes).toEqual([`679 lines of ${f} carry no time: each is dated by the line before it, or by the file's own time where none has one`]);
  });

  it('a sender with bytes that are not UTF-8 is stored exactly (and shown escaped)', () => {
    const dir = tmp();
    const f = join(dir, 'current');
    const lines = readFileSync(SEND, 'utf8').split('\n').slice(0, 8);
    const i = lines.findIndex((l) => l.includes('info msg'));
    const raw = Buffer.concat([Buffer.from(lines.slice(0, i).join('\n') + '\n'),
      Buffer.from(lines[i]!.replace('ok-sender1@', 'ok-\xff\xfesender1@'), 'latin1'), Buffer.from('\n' + lines.slice(i + 1).join('\n') + '\n')]);
    writeFileSync(f, raw);
    const db = join(dir, 'q.db');
    expect(qtrace(['ingest', '--db', db, '--host', 'vm', f]).status).toBe(0);
    const d = openDb(db, { readonly: true, mustExist: true });
    const sender = d.prepare('SELECT sender FROM v_messages').pluck().get() as string;
    d.close();
    expect(toBytes(sender).equals(Buffer.from('ok-\xff\xfesender1@r2.remote.test', 'latin1'))).toBe(true);
  });
});
