// The "not qmail" recogniser: other programs' lines of shared maillogs (real samples from
// test/public) are recognised by tag or by the head of their text; no line of qmail's family is.

import { describe, expect, it } from 'vitest';
import { frameLine } from '../../parsers/line.js';
import { recogniseNotQmail } from '../../parsers/not-qmail.js';
import { PLESK_FORMATS } from '../../parsers/plesk.js';
import { QMAIL_SCANNER_FORMATS } from '../../parsers/qmail-scanner.js';
import { SEND_FORMATS } from '../../parsers/qmail-send.js';
import { SMTPD_FORMATS } from '../../parsers/smtpd.js';
import { UTC_ZONE } from '../../parsers/timestamp.js';
import { VCHKPW_FORMATS } from '../../parsers/vchkpw.js';
import { publicText } from '../helpers/lab.js';
import { takers } from './addons/shapes.js';

const ctx = { zone: UTC_ZONE, yearFor: () => 2026 };

describe('real lines of other programs', () => {
  it('Courier and Dovecot (fail2ban and OSSEC test logs): syslog and multilog framings', () => {
    const got = publicText('fail2ban-ossec-courier-dovecot.log').split('\n').filter((l) => l !== '').map((l) => {
      const f = frameLine(l, ctx);
      const r = recogniseNotQmail(f.tag, f.text);
      expect(takers(f.text).filter((n) => n !== 'not-qmail'), l).toEqual([]);
      return `${f.tag ?? '-'}=${r?.program ?? 'NONE'}`;
    });
    expect(got).toEqual([
      'imapd=courier', 'pop3d=courier', 'imapd-ssl=courier', 'courierpop3login=courier',
      '-=dovecot', '-=dovecot', 'dovecot=dovecot', 'dovecot=dovecot', '-=dovecot', 'auth=dovecot',
      // `Dec 1 10:46:30` and `Jan 3 02:07:37`: days not space-padded, as the OSSEC page prints them
      'courierpop3login=courier', 'imaplogin=courier', 'pop3d-ssl=courier',
    ]);
  });

  it("Plesk's maillog: Courier pop3d is not qmail, Plesk's Postfix milter neither", () => {
    const pop3d = publicText('plesk-forum-2009-bare-lf-maillog.log').split('\n')[3] ?? '';
    const f = frameLine(pop3d, ctx);
    expect(f.tag).toBe('pop3d');
    expect(recogniseNotQmail(f.tag, f.text)).toEqual({ kind: 'not_qmail', program: 'courier' });
    expect(recogniseNotQmail(undefined, '/usr/lib64/plesk-9.0/psa-pc-remote[8641]: Message aborted.'))
      .toEqual({ kind: 'not_qmail', program: 'plesk-postfix' });
  });

  it('other MTAs, scanners and the syslog daemon', () => {
    const cases: Array<[string | undefined, string, string]> = [
      ['postfix/smtpd', 'connect from unknown[192.0.2.1]', 'postfix'],
      ['postfix-out/smtp', 'x', 'postfix'],
      ['spamd', 'spamd: result: . -1 - ALL_TRUSTED scantime=0.1', 'spamd'],
      ['clamd', 'SelfCheck: Database status OK.', 'clamd'],
      ['sm-mta', 'x', 'sendmail'],
      ['amavis', '(05136-09) Passed CLEAN', 'amavis'],
      ['fail2ban.actions', 'x', 'fail2ban'],
      ['qmail', 'last message repeated 3 times', 'syslog'],
      [undefined, '-- MARK --', 'syslog'],
      [undefined, 'spamd: connection from localhost [127.0.0.1]', 'spamd'],
    ];
    for (const [tag, text, program] of cases) expect(recogniseNotQmail(tag, text)?.program, `${tag} ${text}`).toBe(program);
  });
});

describe("qmail's family is never 'not qmail'", () => {
  it('no sample of any qmail-side shape', () => {
    const samples = [
      ...SEND_FORMATS.flatMap((f) => f.samples), ...SMTPD_FORMATS.flatMap((f) => f.samples),
      ...VCHKPW_FORMATS.flatMap((f) => f.samples), ...PLESK_FORMATS.flatMap((f) => f.format.samples),
      ...QMAIL_SCANNER_FORMATS.flatMap((f) => f.samples),
    ];
    expect(samples.length).toBeGreaterThan(80);
    for (const s of samples) expect(recogniseNotQmail(undefined, s), s).toBeUndefined();
  });

  it('qmail tags, with any text', () => {
    for (const tag of ['qmail', 'qmail-smtpd', 'qmail-send', 'smtpd', 'vpopmail', 'qmail-queue-handlers',
      'qmail-local-handlers', 'greylisting filter', 'qmail-scanner', 'simscan', 'spamdyke', 'tcpserver', 'rblsmtpd']) {
      expect(recogniseNotQmail(tag, 'status: local 0/10 remote 0/20'), tag).toBeUndefined();
    }
  });
});
