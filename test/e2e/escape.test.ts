// Text from logs is written by strangers. Real lab lines (b1: the session and message of b1-021,
// and b1-019's RCPT TO) with ESC sequences planted where a client or a remote controls the bytes:
// the recordio HELO (an OSC title change and a clear-screen), a RCPT TO (ESC and a right-to-left
// override), the sender (in the SMTP dialogue and in qmail-send's `info msg`), the remote's reason
// (a DSR query, which makes a terminal type a reply into the shell) and a qmail-send alert. Every
// printer shows them as visible escapes (src/text/escape.ts); --json keeps the exact bytes. The
// expected lines are written out in full: byte for byte.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLabTree } from '../explain/helpers.js';
import { qtrace } from '../helpers/cli.js';
import { LAB } from '../helpers/lab.js';

const ESC = '\x1b';
const dir = mkdtempSync(join(tmpdir(), 'qtrace-escape-'));
const logs = join(dir, 'logs');
function edit(stream: string, f: (s: string) => string): void {
  mkdirSync(join(logs, stream), { recursive: true });
  const s = readFileSync(join(LAB, 'b1-scenarios', 'logs', stream, 'current'), 'latin1');
  const t = f(s);
  if (stream !== 'smtpd') expect(t, `${stream}: every edit applied`).not.toBe(s);
  writeFileSync(join(logs, stream, 'current'), Buffer.from(t, 'latin1'));
}
edit('smtpdr', (s) => s
  .replace('9284 < HELO client.lab.test', `9284 < HELO ${ESC}]2;pwned\x07${ESC}[2Jclient.lab.test`)
  .replace('9284 < MAIL FROM:<tammy-bounces@mx.example.test>', `9284 < MAIL FROM:<tammy${ESC}[5n-bounces@mx.example.test>`)
  // b1-019's RCPT TO, with ESC and a right-to-left override (UTF-8 E2 80 AE: the file is read as latin1 here)
  .replace('9275 < RCPT TO:<ok-b1-019@ok.remote.test>', `9275 < RCPT TO:<ok${ESC}[5n-b1-019\xe2\x80\xae@ok.remote.test>`));
edit('send', (s) => s
  .replace('info msg 1442684: bytes 442 from <tammy-bounces@mx.example.test>', `info msg 1442684: bytes 442 from <tammy${ESC}[5n-bounces@mx.example.test>`)
  .replaceAll('_451_lab_sink:_mailbox_temporarily_unavailable', `_451_${ESC}[5nlab_sink:_mailbox_temporarily_unavailable`)
  .replace(/(@400000006b071fc418b399cc) new msg 1442684\n/, `$1 new msg 1442684\n$1 alert: oh no! lost spawn connection! ${ESC}[5ndying...\n`));
edit('smtpd', (s) => s);
const db = join(dir, 'q.db');
const ingest = qtrace(['ingest', '--db', db, '--host', 'vm', ...['send', 'smtpd', 'smtpdr'].map((d) => join(logs, d))]);
const { tree } = buildLabTree();
afterAll(() => tree.cleanup());

/** stdout of a successful run, with no control character but the newline anywhere in it. */
function run(args: string[]): string {
  const r = qtrace([...args, '--db', db, '--tz', 'UTC']);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout, 'no control character reaches the terminal').not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  return r.stdout;
}
const lines = (s: string): string[] => s.split('\n');

const HELO = String.raw`\x1b]2;pwned\x07\x1b[2Jclient.lab.test`;
const FROM = String.raw`tammy\x1b[5n-bounces@mx.example.test`;
const REASON = String.raw`127.0.0.1 does not like recipient. / Remote host said: 451 \x1b[5nlab sink: mailbox temporarily unavailable / Giving up on 127.0.0.1.`;

describe('ESC planted in a HELO, a sender and a reason: every printer escapes it', () => {
  it('ingests the edited lab lines', () => {
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(ingest.stderr).toMatch(/1510 lines, 70 messages .*0 unknown lines/);
  });

  it('show --qp and show KEY', () => {
    const out = run(['show', '--qp', '9289']);
    expect(out).toBe(run(['show', 'vm:1795628986414423:1442684']));
    expect(lines(out)).toEqual(expect.arrayContaining([
      `  queued   2026-11-25 17:49:46.414423 +00:00  from <${FROM}>  442 bytes  qp 9289  uid 1002`,
      `  smtp     from 127.0.0.4:60145 (client4.lab.test)  pid 9284 on smtpdr  helo ${HELO}  [exact link]`,
      '    17:49:46.416  #26 remote temp-b1-021@ok.remote.test → deferral (6 ms)',
      `        ${REASON}`,
      `        ${REASON} / I'm not going to try again; this message has been in the queue too long.`,
    ]));
  });

  it('show --session and sessions -l', () => {
    const want = [
      'session pid 9284 on vm/smtpdr  vm:smtpdr:9284:1795628986386635',
      '  client   127.0.0.4:60145 (client4.lab.test)  → 127.0.0.1:2526',
      '  time     2026-11-25 17:49:46.386635 +00:00 … 2026-11-25 17:49:46.405962 +00:00  exit 0',
      `  HELO     ${HELO}`,
      `  MAIL FROM <${FROM}> → 250`,
      '    RCPT TO <temp-b1-021@ok.remote.test> → 250 ok',
      '    DATA (266 bytes) → queued, qp 9289',
      '  verdict  queued',
      '  queued   vm:1795628986414423:1442684  [exact link, qp 9289]',
      '',
    ].join('\n');
    expect(run(['show', '--session', '9284'])).toBe(want);
    expect(run(['sessions', '-l', '--ip', '127.0.0.4'])).toContain(want);
  });

  it('a RCPT TO with ESC and a bidi override: show --qp (the smtp lines) and show --session', () => {
    const rcpt = String.raw`ok\x1b[5n-b1-019\u{202e}@ok.remote.test`;
    expect(lines(run(['show', '--session', '9275']))).toContain(`    RCPT TO <${rcpt}> → 250 ok`);
    expect(lines(run(['show', '--qp', '9277']))).toContain(`           RCPT ${rcpt} → accepted`);
  });

  it('messages, messages -l', () => {
    expect(run(['messages', '--to', 'temp-b1-021@'])).toBe(`2026-11-25 17:49:46.414423 +00:00   1442684  <${FROM}> → temp-b1-021@ok.remote.test  ✗1  ` +
      String.raw`451 \x1b[5nlab sink: mailbox temporarily unavailable (given up: too long in the queue)` + '\n');
    expect(run(['messages', '-l', '--to', 'temp-b1-021@'])).toBe(run(['show', '--qp', '9289']));
  });

  it('notices', () => {
    expect(lines(run(['notices', '--level', 'alert']))).toEqual([
      String.raw`2026-11-25 17:49:46.414423 +00:00  vm  alert    oh no! lost spawn connection! \x1b[5ndying...`, '']);
  });

  it("explain's log evidence", () => {
    const r = qtrace(['explain', 'temp-b1-021@ok.remote.test', '--sysroot', tree.sys, '--db', db, '--tz', 'UTC']);
    expect(r.status, r.stderr).toBe(1); // exit 1: this mail would not be delivered (qmail-remote gets a 451)
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(lines(r.stdout)).toEqual(expect.arrayContaining([
      '      msg vm:1795628986414423:1442684  queued 2026-11-25 17:49:46.414423 +00:00  ✗ failed temp-b1-021@ok.remote.test',
      `          ${REASON} / I'm not going to try again; this message has been in the queue too long.`,
    ]));
  });

  it('--json keeps the exact bytes (JSON escapes them as \\u001b; parsing gives them back)', () => {
    const r = qtrace(['show', '--qp', '9289', '--json', '--db', db]);
    expect(r.stdout).not.toContain(ESC);
    const t = JSON.parse(r.stdout) as { from: string; session: { helo: string }; deliveries: Array<{ reason: string }> };
    expect(t.from).toBe(`tammy${ESC}[5n-bounces@mx.example.test`);
    expect(t.session.helo).toBe(`${ESC}]2;pwned\x07${ESC}[2Jclient.lab.test`);
    expect(t.deliveries[0]!.reason).toContain(`451 ${ESC}[5nlab sink`);
    const s = JSON.parse(qtrace(['show', '--session', '9284', '--json', '--db', db]).stdout) as { session: { helo: { arg: string } } };
    expect(s.session.helo.arg).toBe(`${ESC}]2;pwned\x07${ESC}[2Jclient.lab.test`);
  });

  it('an error message naming a stranger\'s bytes is escaped too', () => {
    const r = qtrace(['show', `x${ESC}[2J`, '--db', db]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(String.raw`qtrace: show: 'x\x1b[2J' is neither a message id (1442037) nor a key as printed (vm:1795629138167307:1442037) (or use --qp N, --session PID)` + '\n');
  });
});
