// What a person reads at 3 a.m. (issue 10), through the built CLI on real lab lines: one clear line
// and exit 2 for every bad flag or store, help wrapped at word boundaries, dates on attempts,
// every printed key and time accepted back, the messages list, the session list's columns.
// Where lab lines are edited, the edit is said next to it.

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Database from 'better-sqlite3';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbOption, tzOption } from '../../src/cli/common.js';
import { parseUserTime } from '../../src/cli/time.js';
import { LEGEND } from '../../src/print/pretty.js';
import { BIN, qtrace } from '../helpers/cli.js';
import { LAB, REPO } from '../helpers/lab.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-faces-'));
const B1 = join(LAB, 'b1-scenarios', 'logs');
const SAMPLES = ['send', 'smtpd', 'smtpdr'].map((d) => join(REPO, 'samples', d));

function store(inputs: string[], ...more: string[]): string {
  const db = join(tmp(), 'q.db');
  const r = qtrace(['ingest', '--db', db, '--host', 'vm', ...more, ...inputs]);
  expect(r.status, r.stderr).toBe(0);
  return db;
}

/** A multilog dir holding `lines` as its current file. */
function logDir(lines: string[]): string {
  const d = join(tmp(), 'send');
  mkdirSync(d);
  writeFileSync(join(d, 'current'), Buffer.from(lines.join('\n') + '\n', 'latin1'));
  return d;
}

const b1 = (stream: string): string[] => readFileSync(join(B1, stream, 'current'), 'latin1').split('\n').filter((l) => l !== '');

/** TAI64N label moved by `sec` seconds. */
function shift(line: string, sec: number): string {
  const s = BigInt('0x' + line.slice(1, 17)) + BigInt(sec);
  return '@' + s.toString(16).padStart(16, '0') + line.slice(17);
}

function usage(args: string[], want: RegExp | string): void {
  const r = qtrace(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n');
  expect(lines.length, `one line for ${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(lines[1]).toBe('');
  if (typeof want === 'string') expect(lines[0]).toBe(want);
  else expect(lines[0]).toMatch(want);
  expect(r.stdout).toBe('');
}

const samples = store(SAMPLES);

describe('bad flags: one clear line on stderr, exit 2', () => {
  it('numbers, zones, choices, times, ids', () => {
    usage(['messages', '--db', samples, '--limit', 'abc'], "qtrace: --limit wants a whole number, not 'abc'");
    usage(['messages', '--db', samples, '--limit', '-3'], "qtrace: --limit wants a whole number, not '-3'");
    usage(['sessions', '--db', samples, '--limit', '2.5'], "qtrace: --limit wants a whole number, not '2.5'");
    usage(['show', '--db', samples, '--qp', 'abc'], "qtrace: --qp wants a whole number, not 'abc'");
    usage(['show', '--db', samples, '--session', '12x'], "qtrace: --session wants a whole number, not '12x'");
    usage(['messages', '--db', samples, '--tz', 'Mars/Olympus'],
      "qtrace: --tz: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin or UTC)");
    usage(['ingest', '--db', join(tmp(), 'q.db'), '--tz', 'Mars/Olympus', SAMPLES[0]!], /^qtrace: --tz: unknown time zone 'Mars\/Olympus'/);
    usage(['messages', '--db', samples, '--outcome', 'bogus'], "qtrace: --outcome is one of delivered, failed, deferred, pending; not 'bogus'");
    usage(['notices', '--db', samples, '--level', 'loud'], "qtrace: --level is one of alert, warning, qtrace; not 'loud'");
    usage(['messages', '--db', samples, '--since', 'last tuesday'], /^qtrace: cannot read time 'last tuesday' \(use a time as qtrace prints it/);
    usage(['show', '--db', samples, 'abc'], /^qtrace: show: 'abc' is neither a message id/);
    usage(['messages', '--db', samples, '--frobnicate'], 'qtrace: Unknown argument: frobnicate (see qtrace --help)');
    usage(['ingest', '--db', join(tmp(), 'q.db'), '--format', 'nope', SAMPLES[0]!], /^qtrace: Invalid values: Argument: format, Given: "nope", Choices: "auto", .*\(see qtrace --help\)$/);
  });

  it('--db: a missing directory, a missing store, a directory, a file that is not SQLite, another program\'s SQLite', () => {
    usage(['ingest', '--db', '/nonexist/x.db', SAMPLES[0]!],
      'qtrace: cannot use database /nonexist/x.db: the directory /nonexist does not exist (create it, or pass another --db)');
    usage(['messages', '--db', '/nonexist/x.db'], /^qtrace: cannot use database \/nonexist\/x\.db: the directory \/nonexist does not exist/);
    const d = tmp();
    usage(['messages', '--db', join(d, 'none.db')], `qtrace: no database at ${join(d, 'none.db')} (run \`qtrace ingest --db PATH LOGS\` first, or pass --db)`);
    usage(['messages', '--db', d], `qtrace: cannot use database ${d}: it is a directory`);
    writeFileSync(join(d, 'notes.db'), 'these are my notes, not a database\n'.repeat(200));
    usage(['ingest', '--db', join(d, 'notes.db'), SAMPLES[0]!], `qtrace: ${join(d, 'notes.db')} is not an SQLite database (nor a qtrace store) (pass another --db)`);
    const other = join(d, 'app.db');
    const o = new Database(other);
    o.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'ann\')');
    o.close();
    usage(['ingest', '--db', other, SAMPLES[0]!],
      `qtrace: ${other} is an SQLite database but not a qtrace store (tables: customers); qtrace will not add its tables to it (pass another --db)`);
    usage(['messages', '--db', other], /is an SQLite database but not a qtrace store/);
    const after = new Database(other, { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['customers']);
    expect(after.pragma('user_version', { simple: true })).toBe(0);
    after.close();
  });

  // Root reads anything: as root, the checks run as `nobody` through runuser (util-linux), and skip
  // where that cannot run qtrace (no runuser, or a checkout nobody may read).
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const runuser = root && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, '--version']).status === 0;
  const asUser = (args: string[]): SpawnSyncReturns<string> => (root
    ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    : qtrace(args));
  it.skipIf(root && !runuser)('--db without permission says so plainly (as root: needs runuser, the user nobody, a checkout it can read)', () => {
    const d = tmp();
    chmodSync(d, 0o755);
    const db = join(d, 'q.db');
    copyFileSync(samples, db);
    chmodSync(db, 0o000);                   // (root's own file: nobody can neither read nor write it)
    const ro = join(d, 'ro');               // a directory nobody may write to, with a readable store in it
    mkdirSync(ro);
    copyFileSync(samples, join(ro, 'q.db'));
    chmodSync(join(ro, 'q.db'), 0o444);
    chmodSync(ro, 0o555);
    const one = (args: string[], want: string): void => {
      const r = asUser(args);
      expect([r.status, r.stderr, r.stdout]).toEqual([2, want + '\n', '']);
    };
    one(['messages', '--db', db], `qtrace: cannot read database ${db}: permission denied`);
    one(['ingest', '--db', db, SAMPLES[0]!], `qtrace: cannot write database ${db}: permission denied`);
    one(['ingest', '--db', join(ro, 'new.db'), SAMPLES[0]!], `qtrace: cannot create database ${join(ro, 'new.db')}: permission denied (cannot write to ${ro})`);
    const rodb = join(ro, 'q.db');          // readable, but SQLite cannot create its -shm file beside it
    one(['messages', '--db', rodb], `qtrace: cannot open database ${rodb}: permission denied (SQLite must write ${rodb}-wal and -shm beside it, in ${ro})`);
    chmodSync(ro, 0o755);
  });
});

describe('help', () => {
  const norm = (s: string): string => s.replace(/\s+/g, ' ');
  it('every command: lines of at most 80 columns, wrapped between words', () => {
    for (const cmd of ['', 'ingest', 'show', 'messages', 'sessions', 'notices', 'explain']) {
      const r = qtrace([...(cmd === '' ? [] : [cmd]), '--help']);
      expect(r.status, cmd).toBe(0);
      for (const l of r.stdout.split('\n')) expect([...l].length, `${cmd}: ${l}`).toBeLessThanOrEqual(80);
      if (cmd !== '' && cmd !== 'explain') {
        expect(norm(r.stdout), cmd).toContain(norm(dbOption.describe));
        expect(norm(r.stdout), cmd).toContain(norm(tzOption.describe));
      }
    }
    const m = norm(qtrace(['messages', '--help']).stdout);
    expect(m).toContain("a recipient is this: bob@ (local part bob, any domain), bob@example.com, @example.com; '*' is a wildcard ('*bob*')");
    expect(m).toContain(norm(LEGEND));
    expect(norm(qtrace(['show', '--help']).stdout)).toContain(norm(LEGEND));
  });

  it('--version from any directory', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { cwd: tmpdir(), encoding: 'utf8' });
    expect(r.stdout).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version + '\n');
  });
});

describe('show: dates, keys and times that can be pasted back', () => {
  // b1-021's lines only (msg 1442684, qp 9289), its last two attempts moved two days later: a long queue.
  const lines = b1('send').filter((l) => / (msg|delivery) 1442684\b|^[^ ]+ (starting )?delivery (26|96|100)[: ]/.test(l));
  const moved = lines.map((l) => (/delivery (96|100)[: ]|end msg|bounce msg/.test(l) ? shift(l, 2 * 86400) : l));
  const db = store([logDir(moved)]);

  it('an attempt carries its date whenever it is not the date of the line before, in --tz', () => {
    expect(moved.length).toBe(10);
    const out = qtrace(['show', '--db', db, '1442684', '--tz', 'UTC']).stdout.split('\n');
    expect(out).toContain('    17:49:46.416  #26 remote temp-b1-021@ok.remote.test → deferral (6 ms)');
    expect(out).toContain('    2026-11-27 17:50:18.905  #96 remote temp-b1-021@ok.remote.test → deferral (3 ms)');
    expect(out).toContain('    17:51:51.978  #100 remote temp-b1-021@ok.remote.test → failure (10 ms)');
    expect(out).toContain('  ended    2026-11-27 17:51:51.996623 +00:00  after 48.0 h in the queue');
    // in Tokyo (+09:00) the queue began on the 26th: the first attempt shares the header's date
    const tokyo = qtrace(['show', '--db', db, '1442684', '--tz', 'Asia/Tokyo']).stdout.split('\n');
    expect(tokyo).toContain('  queued   2026-11-26 02:49:46.414423 +09:00  from <tammy-bounces@mx.example.test>  442 bytes  qp 9289  uid 1002');
    expect(tokyo).toContain('    02:49:46.416  #26 remote temp-b1-021@ok.remote.test → deferral (6 ms)');
    expect(tokyo).toContain('    2026-11-28 02:50:18.905  #96 remote temp-b1-021@ok.remote.test → deferral (3 ms)');
  });

  it('printed keys are accepted by show: the message, its bounce link, a session', () => {
    const out = qtrace(['show', '--db', samples, '--qp', '9289']).stdout;
    const key = /^msg 1442684 on vm {2}(\S+)$/m.exec(out)![1]!;
    expect(key).toBe('vm:1795628986414423:1442684');
    const bounce = /bounce message qp 10348 → (\S+)$/m.exec(out)![1]!;
    const byKey = qtrace(['show', '--db', samples, key]);
    expect(byKey.status).toBe(0);
    expect(byKey.stdout).toBe(out);
    const b = qtrace(['show', '--db', samples, bounce]).stdout;
    expect(b).toMatch(new RegExp(`^ {2}bounce of ${key}$`, 'm'));
    expect(qtrace(['show', '--db', samples, `${key}#2`]).status).toBe(1); // the key form with a #n suffix is read, and not found
    const s = qtrace(['show', '--db', samples, '--session', '9284']).stdout;
    const skey = /^session pid 9284 on vm\/smtpdr {2}(\S+)$/m.exec(s)![1]!;
    expect(qtrace(['show', '--db', samples, skey]).stdout).toBe(s);
    const none = qtrace(['show', '--db', samples, 'vm:1:2']);
    expect([none.status, none.stderr]).toEqual([1, 'qtrace: no message or session with key vm:1:2 in the database\n']);
  });

  it('printed times are accepted by --at, --since and --until, to the microsecond', () => {
    const out = qtrace(['show', '--db', samples, '--qp', '9289', '--tz', 'Europe/Berlin']).stdout;
    const printed = /^ {2}queued {3}(.+ \+01:00) {2}from/m.exec(out)![1]!;
    expect(printed).toBe('2026-11-25 18:49:46.414423 +01:00');
    expect(parseUserTime(printed, undefined)).toBe(1795628986414423);
    expect(parseUserTime('2026-11-25T17:49:46.414423Z', undefined)).toBe(1795628986414423);        // --json's
    expect(parseUserTime('2026-11-25 18:49:46.416', 'Europe/Berlin')).toBe(1795628986416000);     // an attempt's
    const at = qtrace(['show', '--db', samples, '1442684', '--at', printed, '--json']).stdout.trim().split('\n');
    expect(at.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['vm:1795628986414423:1442684']);
    const ids = (args: string[]): string[] => qtrace(['messages', '--db', samples, '--json', ...args]).stdout.trim().split('\n')
      .filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids(['--since', printed, '--until', '2026-11-25 18:49:46.414424 +01:00'])).toContain('vm:1795628986414423:1442684');
    expect(ids(['--until', printed])).not.toContain('vm:1795628986414423:1442684');
  });

  it('an id used many times: the incarnations listed newest first with their keys, then each', () => {
    const json = qtrace(['show', '--db', samples, '1442657', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(json.length).toBe(7);
    const out = qtrace(['show', '--db', samples, '1442657', '--tz', 'UTC']).stdout.split('\n');
    expect(out[0]).toBe('msg 1442657: 7 messages in the database, newest first (`qtrace show KEY` or --at TIME shows one):');
    expect(out.slice(1, 8).map((l) => /^ {2}(\S+) {2}/.exec(l)![1])).toEqual(json.map((t) => t.id));
    expect(out[1]).toBe('  vm:1795628986496877:1442657  2026-11-25 17:49:46.496877 +00:00  <tammy-bounces@mx.example.test> → x-b1-028@greet.remote.test  ✗');
    for (const t of json) expect(qtrace(['show', '--db', samples, t.id, '--json']).stdout.trim()).toBe(JSON.stringify(JSON.parse(qtrace(['show', '--db', samples, t.id, '--json']).stdout)));
  });

  it('--at that matches several says which it chose and why; --at between lives says it took the nearest', () => {
    // the same send log read again as a second host: msg 1442684 is alive on vm and vm2 at once
    const d = tmp();
    const db = join(d, 'q.db');
    mkdirSync(join(d, 'copy'));
    // another file (its first line differs), the same lines: a file is known by its first line
    writeFileSync(join(d, 'copy', 'current'), '@400000006b071fc300000000 status: local 0/10 remote 0/20\n' +
      readFileSync(join(REPO, 'samples', 'send', 'current'), 'utf8'));
    expect(qtrace(['ingest', '--db', db, '--host', 'vm', SAMPLES[0]!]).status).toBe(0);
    expect(qtrace(['ingest', '--db', db, '--host', 'vm2', join(d, 'copy')]).status).toBe(0);
    const r = qtrace(['show', '--db', db, '1442684', '--at', '2026-11-25 17:50:00 +00:00']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('qtrace: --at 2026-11-25 17:50:00 +00:00: 2 of the 2 with msg 1442684 were alive then ' +
      '(vm2:1795628986414423:1442684, vm:1795628986414423:1442684); showing the newest, vm2:1795628986414423:1442684\n');
    expect(r.stdout).toMatch(/^msg 1442684 on vm2 /);
    expect(qtrace(['show', '--db', db, '1442684', '--host', 'vm', '--at', '2026-11-25 17:50:00 +00:00']).stderr).toBe('');
    const n = qtrace(['show', '--db', samples, '1442657', '--at', '2026-11-25 17:49:46.250 +00:00', '--tz', 'UTC']);
    expect(n.stderr).toBe('qtrace: --at 2026-11-25 17:49:46.250 +00:00: none of the 7 with msg 1442657 was alive then; ' +
      'showing the one that began nearest, vm:1795628986260657:1442657 (began 2026-11-25 17:49:46.260657 +00:00)\n');
  });
});

describe('show --session: a pid used by several sessions', () => {
  it('lists them newest first with their keys, then each (the smtpd log read again as a second host)', () => {
    const d = tmp();
    const db = join(d, 'q.db');
    mkdirSync(join(d, 'smtpd'));
    writeFileSync(join(d, 'smtpd', 'current'), '@400000006b071fc300000000 tcpserver: status: 0/40\n' +
      readFileSync(join(REPO, 'samples', 'smtpd', 'current'), 'utf8'));
    expect(qtrace(['ingest', '--db', db, '--host', 'vm', SAMPLES[1]!]).status).toBe(0);
    expect(qtrace(['ingest', '--db', db, '--host', 'vm2', join(d, 'smtpd')]).status).toBe(0);
    const out = qtrace(['show', '--db', db, '--session', '9463']).stdout.split('\n');
    expect(out.slice(0, 3)).toEqual([
      'pid 9463: 2 sessions in the database, newest first (`qtrace show KEY` or --at TIME shows one):',
      '  vm2:smtpd:9463:1795628986658660     9463  127.0.0.2:53067       smtpd   rblsmtpd 553                                   client2.lab.test',
      '  vm:smtpd:9463:1795628986658660     9463  127.0.0.2:53067       smtpd   rblsmtpd 553                                   client2.lab.test',
    ]);
    expect(qtrace(['show', '--db', db, 'vm:smtpd:9463:1795628986658660']).stdout).toMatch(/^session pid 9463 on vm\/smtpd /);
  });
});

describe('messages', () => {
  const json = (args: string[]): Array<{ id: string; from: string | null; bounce_of: string | null; first_seen: string }> =>
    qtrace(['messages', '--db', samples, '--json', ...args]).stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

  it('newest first; --limit N with a line saying how many more', () => {
    const all = json([]);
    expect(all.length).toBe(70);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.first_seen >= all[i]!.first_seen).toBe(true);
    const r = qtrace(['messages', '--db', samples, '--limit', '3']);
    expect(r.stdout.trim().split('\n').length).toBe(3);
    expect(r.stderr).toBe('qtrace: 67 more (older) not shown; --limit 0 shows all, --since narrows\n');
    expect(qtrace(['messages', '--db', samples, '--limit', '0']).stdout.trim().split('\n').length).toBe(70);
    expect(qtrace(['messages', '--db', samples, '--limit', '70']).stderr).toBe('');
  });

  const haveScript = spawnSync('script', ['-qec', 'true', '/dev/null']).status === 0;
  it.skipIf(!haveScript)('on a terminal: 50 lines and how many more (needs util-linux script for a pty)', () => {
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} messages --db ${samples}`, '/dev/null'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const out = r.stdout.split('\r\n').filter((l) => l !== '');
    expect(out.length).toBe(51);
    expect(out[50]).toBe('qtrace: 20 more (older) not shown; --limit 0 shows all, --since narrows');
    expect(out[0]).toMatch(/^2026-11-25 17:51:52\.009100 \+00:00 {3}1442036 /); // the newest
  });

  it('--bounces: bounce messages only (null or #@[] sender)', () => {
    const bounces = json(['--bounces']);
    expect(bounces.length).toBe(24);
    for (const t of bounces) expect(['', '#@[]']).toContain(t.from);
    const all = json([]);
    expect(all.filter((t) => t.from === '' || t.from === '#@[]').length).toBe(bounces.length);
    for (const t of all.filter((x) => x.bounce_of !== null)) expect(bounces.map((b) => b.id)).toContain(t.id);
  });

  it('--unattempted: still queued with no delivery attempt; the list and show say "queued"', () => {
    // b1's send log cut right after b1-021's `info msg` (its first attempt never logged)
    const lines = b1('send');
    const cut = lines.findIndex((l) => l.includes('info msg 1442684:'));
    const db = store([logDir(lines.slice(0, cut + 1))]);
    const r = qtrace(['messages', '--db', db, '--unattempted', '--tz', 'UTC']);
    expect(r.stdout).toBe('2026-11-25 17:49:46.414423 +00:00   1442684  <tammy-bounces@mx.example.test> → no attempt yet    queued\n');
    expect(qtrace(['show', '--db', db, '--qp', '9289']).stdout)
      .toContain('\n  recipients  none yet: queued, no delivery attempt in these logs\n');
    expect(qtrace(['messages', '--db', samples, '--unattempted']).status).toBe(1);
  });
});

describe('sessions: columns, empty and long host names, a deny with no end', () => {
  // b1's recordio log with tcpserver's remote host of pid 9284 emptied (no PTR record) and that of
  // 9275 made 70 characters long, and the `end` of the tcprules-denied 9455 left out
  const long = 'a-very-long-reverse-dns-name.of.some.dynamic.pool.provider.example.net';
  const smtpdr = b1('smtpdr').map((l) => l
    .replace('tcpserver: ok 9284 0:127.0.0.1:2526 client4.lab.test:127.0.0.4::60145', 'tcpserver: ok 9284 0:127.0.0.1:2526 :127.0.0.4::60145')
    .replace(/tcpserver: ok 9275 0:127\.0\.0\.1:2526 client4\.lab\.test:/, `tcpserver: ok 9275 0:127.0.0.1:2526 ${long}:`))
    .filter((l) => !l.endsWith('tcpserver: end 9455 status 25600'));
  const d = tmp();
  mkdirSync(join(d, 'smtpdr'));
  writeFileSync(join(d, 'smtpdr', 'current'), Buffer.from(smtpdr.join('\n') + '\n', 'latin1'));
  const db = store([join(B1, 'send'), join(B1, 'smtpd'), join(d, 'smtpdr')]);

  it('the edits are there', () => {
    expect(smtpdr.join('\n')).toContain(long);
    expect(smtpdr.length).toBe(b1('smtpdr').length - 1);
  });

  it('every column starts where it does on the other lines; the host name comes last', () => {
    const out = qtrace(['sessions', '--db', db, '--tz', 'UTC']).stdout.trim().split('\n');
    expect(out.length).toBe(51);
    const col = (l: string, re: RegExp): number => re.exec(l)!.index;
    const verdictAt = col(out[0]!, / smtpdr? /) + 9;
    for (const l of out) {
      expect(col(l, / smtpdr? /), l).toBe(col(out[0]!, / smtpdr? /));
      expect(l.slice(verdictAt - 1, verdictAt + 1), l).toMatch(/^ \S/); // the verdict column
      expect(l.slice(verdictAt + 35, verdictAt + 36), l).toMatch(/^( |\d|$)/); // then the message count
    }
    expect(out.find((l) => l.includes(' 9275 '))!.endsWith(`1 message   ${long}`)).toBe(true);
    expect(out.find((l) => l.includes(' 9284 '))).toBe('2026-11-25 17:49:46.386635 +00:00     9284  127.0.0.4:60145       smtpdr  queued                             1 message');
  });

  it('an empty host prints nothing; a deny is not "still open"', () => {
    const s = qtrace(['show', '--db', db, '--session', '9284']).stdout;
    expect(s).toContain('\n  client   127.0.0.4:60145  → 127.0.0.1:2526\n');
    const deny = qtrace(['show', '--db', db, '--session', '9455', '--tz', 'UTC']).stdout;
    expect(deny).toBe([
      'session pid 9455 on vm/smtpdr  vm:smtpdr:9455:1795628986648383',
      '  client   127.0.0.5:48323 (client5.lab.test)  → 127.0.0.1:2526',
      '  time     2026-11-25 17:49:46.648383 +00:00',
      '  denied by tcprules',
      '  verdict  tcprules deny  (refused)',
      ''].join('\n'));
  });
});

describe('notices', () => {
  const d1 = store([join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')]);
  it('the restarts qtrace noticed, filtered by time, host and level', () => {
    expect(qtrace(['notices', '--db', d1, '--tz', 'UTC']).stdout).toBe([
      '2026-11-25 18:06:00.224181 +00:00  vm  qtrace   qmail-send restarted (status: exiting)',
      '2026-11-25 18:06:12.284133 +00:00  vm  qtrace   qmail-send restarted (status: exiting)',
      '2026-11-25 18:08:23.812017 +00:00  vm  qtrace   qmail-send restarted (status: exiting)', ''].join('\n'));
    expect(qtrace(['notices', '--db', d1, '--since', '2026-11-25 18:06:12.284133 +00:00', '--until', '2026-11-25 18:08 +00:00']).stdout.split('\n').length).toBe(2);
    expect(qtrace(['notices', '--db', d1, '--host', 'elsewhere']).status).toBe(1);
    expect(qtrace(['notices', '--db', d1, '--level', 'alert,warning']).status).toBe(1);
    const j = qtrace(['notices', '--db', d1, '--json', '--level', 'qtrace']).stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'notice.schema.json'), 'utf8')));
    for (const n of j) expect(validate(n), JSON.stringify(validate.errors)).toBe(true);
    expect(j[0]).toEqual({ at: '2026-11-25T18:06:00.224181Z', host: 'vm', level: 'qtrace', text: 'qmail-send restarted (status: exiting)' });
  });

  it('qmail-send alert: and warning: lines (b1 lines with two added at real stamps)', () => {
    const lines = b1('send');
    const i = lines.findIndex((l) => l.includes('new msg 1442684'));
    const stamp = lines[i]!.slice(0, 25);
    const edited = [...lines.slice(0, i + 1), `${stamp} alert: oh no! lost spawn connection! dying...`,
      `${stamp} warning: unable to stat mess/5/706430`, ...lines.slice(i + 1)];
    const db = store([logDir(edited)]);
    expect(qtrace(['notices', '--db', db, '--level', 'alert,warning', '--tz', 'UTC']).stdout).toBe([
      '2026-11-25 17:49:46.414423 +00:00  vm  alert    oh no! lost spawn connection! dying...',
      '2026-11-25 17:49:46.414423 +00:00  vm  warning  unable to stat mess/5/706430', ''].join('\n'));
  });
});
