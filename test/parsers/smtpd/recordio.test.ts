import { describe, expect, it } from 'vitest';
import { parseRecordio, parseSmtpCommand, parseSmtpReply, smtpAddress } from '../../../parsers/recordio.js';

describe('recordio lines', () => {
  it('a complete line from multilog: raw CR before the trailing space is stripped', () => {
    expect(parseRecordio('9186 < HELO client.lab.test\r ')).toEqual(
      { kind: 'rec_in', pid: 9186, text: 'HELO client.lab.test', partial: false, cr: '\r' });
    expect(parseRecordio('9186 > 250 ok 1795628986 qp 9188\r ')).toEqual(
      { kind: 'rec_out', pid: 9186, text: '250 ok 1795628986 qp 9188', partial: false, cr: '\r' });
  });

  it('the syslog copy: the CR is "?" (splogger), 8-bit bytes are "?" too', () => {
    expect(parseRecordio('23196 > 250 ok 1795629956 qp 23198? ')).toEqual(
      { kind: 'rec_out', pid: 23196, text: '250 ok 1795629956 qp 23198', partial: false, cr: '?' });
    expect(parseRecordio('23287 < MAIL FROM:<j??rg@r2.remote.test>? ')).toMatchObject(
      { text: 'MAIL FROM:<j??rg@r2.remote.test>', cr: '?' });
  });

  it('partial pieces end with "+" and are returned raw (CR included)', () => {
    expect(parseRecordio('9228 < Lab message b1-009: program |/bin/true + maild+')).toEqual(
      { kind: 'rec_in', pid: 9228, text: 'Lab message b1-009: program |/bin/true + maild', partial: true, cr: '' });
    expect(parseRecordio('9330 < Lab message b1-027: DNS SERVFAIL (temporary)\r+')).toEqual(
      { kind: 'rec_in', pid: 9330, text: 'Lab message b1-027: DNS SERVFAIL (temporary)\r', partial: true, cr: '' });
    expect(parseRecordio('23792 < .?+')).toMatchObject({ text: '.?', partial: true });
  });

  it('an empty line, a line without CR (bare LF), and a raw 8-bit line', () => {
    expect(parseRecordio('9330 <  ')).toEqual({ kind: 'rec_in', pid: 9330, text: '', partial: false, cr: '' });
    expect(parseRecordio('9186 < \r ')).toEqual({ kind: 'rec_in', pid: 9186, text: '', partial: false, cr: '\r' });
    expect(parseRecordio('1 < bare lf ')).toMatchObject({ text: 'bare lf', cr: '' });
    expect(parseRecordio('9510 < MAIL FROM:<jörg@r2.remote.test>\r ')).toMatchObject({ text: 'MAIL FROM:<jörg@r2.remote.test>' });
  });

  it('EOF in both directions; a client that sends "[EOF]" is a line', () => {
    expect(parseRecordio('9186 > [EOF]')).toEqual({ kind: 'rec_eof', pid: 9186, dir: 'out' });
    expect(parseRecordio('9194 < [EOF]')).toEqual({ kind: 'rec_eof', pid: 9194, dir: 'in' });
    expect(parseRecordio('9194 < [EOF]\r ')).toMatchObject({ kind: 'rec_in', text: '[EOF]' });
  });

  it('not its shape → undefined', () => {
    for (const t of ['9186 > no trailing space', '9186 = x ', '9186  < x ', 'x186 < a ', '9186 <', '9186 < [EOF] x', '']) {
      expect(parseRecordio(t), JSON.stringify(t)).toBeUndefined();
    }
  });
});

describe('parseSmtpReply', () => {
  it('250 ok T qp Q carries the qp and the acceptance time', () => {
    expect(parseSmtpReply('250 ok 1795628986 qp 9188')).toEqual(
      { code: 250, more: false, text: 'ok 1795628986 qp 9188', qp: 9188, time: 1795628986 });
    expect(parseSmtpReply('250 ok 1276913544 qp 13750')).toMatchObject({ qp: 13750 });
  });

  it('multi-line replies', () => {
    expect(parseSmtpReply('250-mx.example.test')).toEqual({ code: 250, more: true, text: 'mx.example.test' });
    expect(parseSmtpReply('250-PIPELINING')).toMatchObject({ more: true });
    expect(parseSmtpReply('250 8BITMIME')).toEqual({ code: 250, more: false, text: '8BITMIME' });
    expect(parseSmtpReply('250')).toEqual({ code: 250, more: false, text: '' });
  });

  it('refusals are classified', () => {
    const cases: readonly (readonly [string, string])[] = [
      ["553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", 'rcpthosts'],
      ['553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)', 'badmailfrom'],
      ['552 sorry, that message size exceeds my databytes limit (#5.3.4)', 'databytes'],
      ['554 too many hops, this message is looping (#5.4.6)', 'loop'],
      ['451 qqt failure (#4.3.0)', 'qqt'],
      ['451 timeout (#4.4.2)', 'timeout'],
      ['451 See https://cr.yp.to/docs/smtplf.html.', 'bare_lf'],
      ['451 See http://pobox.com/~djb/docs/smtplf.html.', 'bare_lf'],
      ['555 syntax error (#5.5.4)', 'syntax'],
      ['503 MAIL first (#5.5.1)', 'mail_first'],
      ['503 RCPT first (#5.5.1)', 'rcpt_first'],
      ['502 unimplemented (#5.5.1)', 'unimplemented'],
      ['550 5.1.1 sorry, no mailbox here by that name (chkuser)', 'chkuser'],
      ["550 5.1.8 sorry, can't find a valid MX for sender domain (chkuser)", 'chkuser'],
      ['554 mail server permanently rejected message (#5.3.0)', 'queue'],
      ['451 qq write error or disk full (#4.3.0)', 'queue'],
      ['421 out of memory (#4.3.0)', 'resources'],
      ['421 unable to read controls (#4.3.0)', 'resources'],
      ['535 authentication failed (#5.7.1)', 'auth'],
      ['553 Blocked by lab policy: 127.0.0.2 is listed', 'other'],
    ];
    for (const [line, reason] of cases) expect(parseSmtpReply(line)?.reason, line).toBe(reason);
  });

  it('2xx/3xx carry no reason; non-replies → undefined', () => {
    expect(parseSmtpReply('354 go ahead')).toEqual({ code: 354, more: false, text: 'go ahead' });
    expect(parseSmtpReply('221 mx.example.test')).toEqual({ code: 221, more: false, text: 'mx.example.test' });
    for (const t of ['', 'ok', '25', '2500 x', '650 x', 'HELO x', '250_ok']) expect(parseSmtpReply(t), t).toBeUndefined();
  });
});

describe('parseSmtpCommand', () => {
  it('the verbs qmail-smtpd knows, case-insensitive', () => {
    expect(parseSmtpCommand('HELO client.lab.test')).toEqual({ verb: 'HELO', word: 'HELO', arg: 'client.lab.test' });
    expect(parseSmtpCommand('ehlo two.lab.test')).toMatchObject({ verb: 'EHLO', arg: 'two.lab.test' });
    for (const v of ['DATA', 'RSET', 'QUIT', 'NOOP', 'HELP', 'STARTTLS']) expect(parseSmtpCommand(v)).toEqual({ verb: v, word: v, arg: '' });
    expect(parseSmtpCommand('VRFY tammy')).toEqual({ verb: 'VRFY', word: 'VRFY', arg: 'tammy' });
    expect(parseSmtpCommand('AUTH LOGIN')).toEqual({ verb: 'AUTH', word: 'AUTH', arg: 'LOGIN' });
    expect(parseSmtpCommand('FOO bar')).toEqual({ verb: 'OTHER', word: 'FOO', arg: 'bar' });
    expect(parseSmtpCommand('')).toEqual({ verb: 'OTHER', word: '', arg: '' });
  });

  it('MAIL FROM / RCPT TO addresses as addrparse() sees them', () => {
    expect(parseSmtpCommand('MAIL FROM:<ok-sender1@r2.remote.test>')).toEqual(
      { verb: 'MAIL', word: 'MAIL', arg: 'FROM:<ok-sender1@r2.remote.test>', addr: 'ok-sender1@r2.remote.test' });
    expect(parseSmtpCommand('MAIL FROM:<>')).toMatchObject({ addr: '' });
    expect(parseSmtpCommand('RCPT TO:<tammy@mx.example.test>')).toMatchObject({ verb: 'RCPT', addr: 'tammy@mx.example.test' });
    // the public denbaguse transcript: lower case, no angle brackets
    expect(parseSmtpCommand('mail from: test@testaja.com')).toMatchObject({ verb: 'MAIL', addr: 'test@testaja.com' });
    expect(parseSmtpCommand('RCPT TO: postmaster@testaja.lg')).toMatchObject({ verb: 'RCPT', addr: 'postmaster@testaja.lg' });
    // b1-045: quotes are removed; the source route is dropped; ESMTP parameters are not part of it
    expect(parseSmtpCommand('MAIL FROM:<"odd user"@r2.remote.test>')).toMatchObject({ addr: 'odd user@r2.remote.test' });
    expect(smtpAddress('TO:<@a.example,@b.example:joe@c.example>')).toBe('joe@c.example');
    expect(smtpAddress('FROM:<a@b.example> SIZE=100')).toBe('a@b.example');
    expect(smtpAddress('FROM:<#@[]>')).toBe('#@[]');
  });
});
