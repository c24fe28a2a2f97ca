// Issue 12's add-ons end to end, through the CLI: each record lands where it belongs. Real lines:
// the public Plesk and vpopmail samples (test/public/PROVENANCE.md), and, where a link needs the
// other side in the same log, a lab line beside a real add-on line whose pid/IP/time were adjusted
// to meet it (each case says what was changed).

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { qtrace } from '../helpers/cli.js';
import { LAB, PUBLIC, REPO } from '../helpers/lab.js';

function dir(): string { return mkdtempSync(join(tmpdir(), 'qtrace-addons-')); }

function ok(r: { status: number | null; stderr: string }): void {
  expect(r.stderr.includes('Error') || r.stderr.includes('    at '), r.stderr).toBe(false);
  expect(r.status, r.stderr).toBe(0);
}

function sql(db: string, q: string): Array<Record<string, unknown>> {
  const r = qtrace(['sql', '--db', db, '--json', q]);
  ok(r);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('Plesk queue handlers', () => {
  it("a REJECT is a refused message with its handler's name, its to= and the filter lines of its second", () => {
    const d = dir();
    const db = join(d, 'q.db');
    ok(qtrace(['ingest', '--db', db, '--host', 'pub', '--tz', 'UTC', join(PUBLIC, 'reliablepenguin-2012-plesk10-greylist-maillog.log')]));
    const ref = sql(db, 'SELECT host, qp, handler, verdict, sender, recipients FROM v_refusals');
    expect(ref).toEqual([{ host: 'cloud1', qp: 25914, handler: 'grey', verdict: 'REJECT', sender: null, recipients: '["test@technicorp.net"]' }]);
    // the greylisting filter's two lines belong to the handler line that follows them in their second
    const lines = sql(db, "SELECT kind, verdict, filters FROM v_handler_lines WHERE qp = 25914 ORDER BY at_us, kind");
    expect(lines.map((l) => l['kind'])).toEqual(['plesk_stderr', 'plesk_to', 'plesk_verdict']);
    const withFilters = lines.find((l) => l['filters'] !== null)!;
    expect(withFilters['kind']).toBe('plesk_stderr');
    expect((JSON.parse(withFilters['filters'] as string) as Array<{ program: string; pid: number }>).map((f) => [f.program, f.pid]))
      .toEqual([['greylisting filter', 25916], ['greylisting filter', 25916]]);
    expect(sql(db, 'SELECT count(*) AS n FROM v_handler_lines WHERE stage IS NULL')).toEqual([{ n: 0 }]);
    const list = qtrace(['messages', '--db', db, '--refused', '--tz', 'UTC']);
    ok(list);
    expect(list.stdout).toBe("2026-03-16 09:06:42.000000 +00:00  ✗ REJECT by handler 'grey'  cloud1 qp 25914 to test@technicorp.net\n");
    const rep = qtrace(['report', '--db', db, '--format', 'json']);
    ok(rep);
    expect((JSON.parse(rep.stdout) as { addons: { refusals: unknown } }).addons.refusals).toEqual([{ key: 'REJECT by grey', count: 1, bytes: 0 }]);
  });

  it("the queue handler's lines are on the message whose `info msg … qp` is their pid", () => {
    // d1's message 1442624 (lab maillog, splogger under syslog), qp 23198; before it the real
    // `qmail-queue-handlers[25914]: to=test@technicorp.net` line of the reliablepenguin sample with
    // its pid set to 23198, its host and stamp to the lab's second. A second handler line with the
    // same pid 2 minutes earlier must NOT link (pids wrap: forward and within seconds only).
    const d = dir();
    const db = join(d, 'q.db');
    const log = join(d, 'maillog');
    writeFileSync(log, [
      'Nov 25 18:03:50 vm qmail-queue-handlers[23198]: to=old@technicorp.net',
      'Nov 25 18:05:56 vm qmail-queue-handlers[23198]: to=test@technicorp.net',
      'Nov 25 18:05:56 vm qmail: 1795629956.275599 new msg 1442624',
      'Nov 25 18:05:56 vm qmail: 1795629956.275607 info msg 1442624: bytes 402 from <tammy-bounces@mx.example.test> qp 23198 uid 1002',
      'Nov 25 18:05:56 vm qmail: 1795629956.276345 starting delivery 1: msg 1442624 to remote once-d1b-1@ok.remote.test',
      'Nov 25 18:05:56 vm qmail: 1795629956.280682 delivery 1: deferral: 127.0.0.1_does_not_like_recipient./Remote_host_said:_451_lab_sink:_try_again_later_(first_attempt)/Giving_up_on_127.0.0.1./',
      '',
    ].join('\n'));
    ok(qtrace(['ingest', '--db', db, '--host', 'vm', '--tz', 'UTC', log]));
    expect(sql(db, 'SELECT count(*) AS n FROM v_handler_lines')).toEqual([{ n: 2 }]);
    const show = qtrace(['show', '--db', db, '--tz', 'UTC', '1442624']);
    ok(show);
    expect(show.stdout).toContain('plesk handlers (exact: qp = pid)');
    expect(show.stdout).toContain('qmail-queue-handlers[23198]  to=test@technicorp.net');
    expect(show.stdout).not.toContain('old@technicorp.net');
  });

  it('a remote handler run is on the delivery of its to= address open then, not on another', () => {
    // d1's message 1442957, first incarnation (lab maillog): remote delivery 111 to
    // ok-d1b-106@ok.remote.test, .479539 to .481633. Beside it the plesk11 blog's real
    // qmail-remote-handlers[17991] run (started, from=, to=) with its to= set to that recipient and
    // its [17990] run (to=you@gmail.com) as it was, both stamped inside the delivery as rsyslog's
    // RFC 3339 (the blog shows them without stamps).
    const d = dir();
    const db = join(d, 'q.db');
    const log = join(d, 'maillog');
    writeFileSync(log, [
      'Nov 25 18:06:09 vm qmail: 1795629969.478358 new msg 1442957',
      'Nov 25 18:06:09 vm qmail: 1795629969.478558 info msg 1442957: bytes 402 from <tammy-bounces@mx.example.test> qp 23881 uid 1002',
      'Nov 25 18:06:09 vm qmail: 1795629969.479539 starting delivery 111: msg 1442957 to remote ok-d1b-106@ok.remote.test',
      '2026-11-25T18:06:09.480000+00:00 vm qmail-remote-handlers[17990]: Handlers Filter before-remote for qmail started ...',
      '2026-11-25T18:06:09.480100+00:00 vm qmail-remote-handlers[17991]: Handlers Filter before-remote for qmail started ...',
      '2026-11-25T18:06:09.480200+00:00 vm qmail-remote-handlers[17991]: from=anonymous@yourserver.com',
      '2026-11-25T18:06:09.480300+00:00 vm qmail-remote-handlers[17991]: to=ok-d1b-106@ok.remote.test',
      '2026-11-25T18:06:09.480400+00:00 vm qmail-remote-handlers[17990]: from=anonymous@yourserver.com',
      '2026-11-25T18:06:09.480500+00:00 vm qmail-remote-handlers[17990]: to=you@gmail.com',
      'Nov 25 18:06:09 vm qmail: 1795629969.481633 delivery 111: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok_lab_sink_accepted_171/',
      'Nov 25 18:06:09 vm qmail: 1795629969.487181 end msg 1442957',
      '',
    ].join('\n'));
    ok(qtrace(['ingest', '--db', db, '--host', 'vm', '--tz', 'UTC', log]));
    const show = qtrace(['show', '--db', db, '--tz', 'UTC', '1442957']);
    ok(show);
    const part = show.stdout.slice(show.stdout.indexOf('plesk handlers of delivery 111'));
    expect(part).toContain('plesk handlers of delivery 111 to ok-d1b-106@ok.remote.test (inferred: to= and time)');
    expect(part.trim().split('\n').slice(1).map((l) => l.trim().replace(/^\S+ {2}/, ''))).toEqual([
      'qmail-remote-handlers[17991]  handlers before-remote started',
      'qmail-remote-handlers[17991]  from=anonymous@yourserver.com',
      'qmail-remote-handlers[17991]  to=ok-d1b-106@ok.remote.test',
    ]);
    expect(show.stdout).not.toContain('you@gmail.com');
  });
});

describe('vchkpw', () => {
  it('the 26 OSSEC lines: 25 auth events (one line is damaged as published), listed and counted, most failures first', () => {
    const d = dir();
    const db = join(d, 'q.db');
    ok(qtrace(['ingest', '--db', db, '--host', 'pub', '--tz', 'UTC', join(PUBLIC, 'ossec-docs-vpopmail-2005-2007.log')]));
    const r = qtrace(['auth', '--db', db, '--json']);
    ok(r);
    const doc = JSON.parse(r.stdout) as { summary: { events: number; failed: number; byIp: Array<{ key: string; failed: number }> }; events: Array<{ outcome: string; session: string | null }> };
    const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'auth.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020.default({ strict: true, allErrors: true });
    addFormats.default(ajv);
    const valid = ajv.compile(schema);
    expect(valid(doc), JSON.stringify(valid.errors)).toBe(true);
    expect(doc.summary.events).toBe(25);
    expect(doc.events).toHaveLength(25);
    expect(doc.summary.failed).toBe(doc.events.filter((e) => e.outcome !== 'success').length);
    expect(doc.summary.byIp[0]).toMatchObject({ key: '208.210.222.68', failed: 4 });
    // no SMTP session in these logs: every event stands alone
    expect(doc.events.every((e) => e.session === null)).toBe(true);
    const failed = qtrace(['auth', '--db', db, '--failed', '--ip', '208.210.222.68', '--no-summary', '--tz', 'UTC']);
    ok(failed);
    expect(failed.stdout.trim().split('\n')).toHaveLength(4);
    expect(failed.stdout).not.toContain('65825.1118321790');   // the logged password is never kept
  });

  it('a failed SMTP AUTH is on the SMTP session open from its IP; other services and other IPs stand alone', () => {
    // The lab's b1 smtpd session 9189 (127.0.0.1, 17:49:46.262472–.266856, multilog) and the real
    // OSSEC line `vpopmail[65827]: vchkpw-smtp: password fail (pass: '…') myuserid@xxx.com:208.210.222.68`
    // with its IP set to 127.0.0.1, its host to the lab's, its stamp to 17:49:46.264 written as
    // rsyslog's RFC 3339 (a second-only stamp would fall before the session began). Beside it the
    // same line from another IP, and a real vchkpw-pop3 line from 127.0.0.1 (not an SMTP service).
    const d = dir();
    const db = join(d, 'q.db');
    const smtpd = join(d, 'smtpd');
    mkdirSync(smtpd);
    writeFileSync(join(smtpd, 'current'), readFileSync(join(LAB, 'b1-scenarios', 'logs', 'smtpd', 'current'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
    const syslog = join(d, 'maillog');
    writeFileSync(syslog, [
      "2026-11-25T17:49:46.263000+00:00 vm vpopmail[65826]: vchkpw-pop3: vpopmail user not found postmaster@:127.0.0.1",
      "2026-11-25T17:49:46.264000+00:00 vm vpopmail[65827]: vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.xxx.com>') myuserid@xxx.com:127.0.0.1",
      "2026-11-25T17:49:46.265000+00:00 vm vpopmail[65828]: vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.xxx.com>') myuserid@xxx.com:208.210.222.68",
      '',
    ].join('\n'));
    ok(qtrace(['ingest', '--db', db, '--host', 'vm', smtpd, syslog]));
    const rows = sql(db, 'SELECT service, ip, outcome, session FROM v_auth_events ORDER BY at_us');
    const key = sql(db, 'SELECT id FROM v_sessions')[0]!['id'] as string;
    expect(key).toMatch(/^vm:smtpd:9189:1795628986262472$/);
    expect(rows).toEqual([
      { service: 'pop3', ip: '127.0.0.1', outcome: 'unknown_user', session: null },
      { service: 'smtp', ip: '127.0.0.1', outcome: 'fail', session: key },
      { service: 'smtp', ip: '208.210.222.68', outcome: 'fail', session: null },
    ]);
    const show = qtrace(['show', '--db', db, '--tz', 'UTC', key]);
    ok(show);
    expect(show.stdout).toContain('auth (vchkpw, inferred: same IP, session open)');
    expect(show.stdout).toMatch(/17:49:46\.264 {2}✗ fail smtp myuserid@xxx\.com/);
    expect(show.stdout).not.toContain('208.210.222.68');
    // the store before the add-ons: the session is the same as without the vchkpw lines
    const alone = join(d, 'alone.db');
    ok(qtrace(['ingest', '--db', alone, '--host', 'vm', smtpd]));
    expect(sql(alone, 'SELECT key, verdict, detail FROM sessions')).toEqual(sql(db, 'SELECT key, verdict, detail FROM sessions'));
  });
});

describe('the live view of the add-ons', () => {
  it('--json records of vchkpw and Plesk lines name their stage and fit schemas/live-record.schema.json', () => {
    const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'live-record.schema.json'), 'utf8')));
    const input = ['reliablepenguin-2012-plesk10-greylist-maillog.log', 'ossec-docs-vpopmail-syslog.log']
      .map((f) => readFileSync(join(PUBLIC, f), 'utf8')).join('');
    const r = qtrace(['--db', join(dir(), 'q.db'), '--host', 'pub', '--tz', 'UTC', '--json'], { input });
    ok(r);
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; source?: string });
    const sources = new Set(recs.filter((x) => x.type === 'event').map((x) => x.source));
    expect(sources.has('plesk')).toBe(true);
    expect(sources.has('vchkpw')).toBe(true);
    expect(input).toContain("(pass: '<65825.1118321790@mail.xxx.com>')");
    expect(r.stdout).not.toContain('65825.1118321790'); // the password tried never leaves qtrace
    for (const x of recs) expect(validate(x), JSON.stringify(validate.errors)).toBe(true);
  });
});
