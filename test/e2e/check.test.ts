// `qtrace check` on crafted stores: the Nagios exit codes (0 OK, 1 WARNING, 2 CRITICAL,
// 3 UNKNOWN), the status line and its perfdata. "Now" is given (--now): the logs are replays.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qtrace } from '../helpers/cli.js';
import { LAB } from '../helpers/lab.js';

function store(files: Record<string, string>, labInputs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'qtrace-check-'));
  const db = join(dir, 'q.db');
  const paths = Object.entries(files).map(([name, text]) => { writeFileSync(join(dir, name), text); return join(dir, name); });
  const r = qtrace(['ingest', '--db', db, '--host', 'vm', ...labInputs, ...paths]);
  expect(r.status, r.stderr).toBe(0);
  return db;
}

// qmail-send's shapes with unix-decimal stamps (2026-11-25 17:33:20 UTC on): a message that never
// gets through, qmail-send warnings and an alert.
const T0 = 1795628000;
const STUCK = [
  `${T0}.000000 new msg 500`,
  `${T0}.000100 info msg 500: bytes 300 from <a@b.test> qp 100 uid 1002`,
  `${T0}.000200 starting delivery 1: msg 500 to remote x@slow.test`,
  `${T0}.100000 delivery 1: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/`,
  `${T0 + 60}.000000 warning: unable to stat mess/5/706430`,
  `${T0 + 61}.000000 warning: unable to stat mess/5/706430`,
  `${T0 + 62}.000000 alert: oh no! lost spawn connection! dying...`,
].join('\n') + '\n';

const status = (out: string): string => out.split(' - ')[0]!;

describe('qtrace check', () => {
  const b1 = store({}, [join(LAB, 'b1-scenarios', 'logs', 'send'), join(LAB, 'b1-scenarios', 'logs', 'smtpd')]);
  const now = ['--now', '2026-11-25T17:52:00Z', '--window', '10m'];

  it('OK (0) with room to spare; one line with perfdata', () => {
    const r = qtrace(['check', '--db', b1, ...now, '--failure-rate', '50,60', '--deferral-rate', '50,60']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^QTRACE OK - [^\n|]+ \| stuck=0;1;20;0; failure_rate=[\d.]+%;50;60;0; deferral_rate=[\d.]+%;50;60;0; newest_line_age=[\d.]+s;600;1800;0; alerts=0;1;1;0; rejections_per_min=[\d.]+;30;120;0; 'age send@vm'=[\d.]+s;600;1800;0; 'age smtpd@vm'=[\d.]+s;600;1800;0;\n$/);
    expect(r.stdout.split('\n')).toHaveLength(2);
  });

  it('WARNING (1) and CRITICAL (2) on the failure rate of the lab\'s b1 (26 failed of 111 attempts)', () => {
    const w = qtrace(['check', '--db', b1, ...now]);
    expect([w.status, status(w.stdout)]).toEqual([1, 'QTRACE WARNING']);
    expect(w.stdout).toMatch(/^QTRACE WARNING - failures 23\.4% \(warning at 10%\)/);
    const c = qtrace(['check', '--db', b1, ...now, '--failure-rate', '5,20']);
    expect([c.status, status(c.stdout)]).toEqual([2, 'QTRACE CRITICAL']);
    // too few attempts in the window: the rate is not judged
    const few = qtrace(['check', '--db', b1, ...now, '--min-attempts', '1000', '--deferral-rate', '50,60']);
    expect(few.status).toBe(0);
    expect(few.stdout).toContain('failure_rate=U%;');
  });

  it('CRITICAL (2) when the newest line is old: qmail-send dead or qtrace behind', () => {
    const r = qtrace(['check', '--db', b1, '--now', '2026-11-25T19:00:00Z', '--failure-rate', '50,60']);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^QTRACE CRITICAL - newest line of \S+ \d+s old \(critical at 1800s\)/);
  });

  it('stuck mail: WARNING at 1 message; an alert in the window is CRITICAL', () => {
    const db = store({ 'send.log': STUCK });
    const base = ['check', '--db', db, '--stale', '1d,2d'];
    const w = qtrace([...base, '--now', '2026-11-25T20:00:00Z']);
    expect(w.status, w.stdout).toBe(1);
    expect(w.stdout).toMatch(/^QTRACE WARNING - 1 queued over 60m \(warning at 1\)/);
    expect(w.stdout).toContain('alerts=0;');
    const c = qtrace([...base, '--now', '2026-11-25T20:00:00Z', '--window', '3h']);
    expect(c.status, c.stdout).toBe(2);
    expect(c.stdout).toContain('1 alerts (critical at 1)');
    // and the report lists it, with when it bounces, and the notices verbatim with counts
    const rep = qtrace(['report', '--db', db, '--tz', 'UTC', '--queuelifetime', '2d', '--now', '2026-11-25T20:00:00Z']);
    expect(rep.stdout).toMatch(/Stuck messages[^\n]*\n-+\n {2}msg 500 \(vm:\d+:500\) from <a@b\.test>, queued 2026-11-25 17:33:20\.000000 \+00:00, 2h26m ago; bounces 2026-11-27 17:33:20\.000000 \+00:00\n {4}waiting: x@slow\.test\n {4}last: Sorry, I wasn't able to establish an SMTP connection\. \(#4\.4\.1\)\n/);
    expect(rep.stdout).toMatch(/qmail-send warnings and alerts\n-+\n {2}count {2}level {4}text\n {6}1 {2}alert {4}oh no! lost spawn connection! dying\.\.\.\n {6}2 {2}warning {2}unable to stat mess\/5\/706430\n/);
  });

  it('UNKNOWN (3): no database, nothing read yet, a bad threshold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-check-'));
    const none = qtrace(['check', '--db', join(dir, 'missing.db')]);
    expect([none.status, none.stdout]).toEqual([3, `QTRACE UNKNOWN - no database at ${join(dir, 'missing.db')}\n`]);
    const empty = store({ 'empty.log': '' });
    const e = qtrace(['check', '--db', empty]);
    expect([e.status, e.stdout]).toEqual([3, 'QTRACE UNKNOWN - no log stream has been read into the store\n']);
    const bad = qtrace(['check', '--db', b1, '--stuck', '5']);
    expect([bad.status, bad.stdout]).toEqual([3, "QTRACE UNKNOWN - --stuck wants WARN,CRIT, not '5'\n"]);
    const inverted = qtrace(['check', '--db', b1, '--stuck', '9,5']);
    expect(inverted.status).toBe(3);
    expect(inverted.stdout).toMatch(/must not be above the critical one/);
  });
});
