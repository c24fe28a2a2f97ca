// Add-on lines. Real samples come from test/public (PROVENANCE.md); the others are
// written from the add-ons' format strings (see parsers/smtpd-patches.ts).

import { describe, expect, it } from 'vitest';
import { parseSmtpdPatch } from '../../../parsers/smtpd-patches.js';
import { parseSmtpdText } from '../../../parsers/smtpd.js';
import { publicText } from '../../helpers/lab.js';


/** The blog's syslog lines: `Mmm dd HH:MM:SS host qmail: UNIX.USEC TEXT`, with the blog's artefacts
 *  (a wrapped CHKUSER line, trailing blanks, a glued second line) undone the way a reader would. */
function denbaguseTexts(): string[] {
  const raw = publicText('denbaguse-blog-splogger-syslog-2010.log').replace(/ remote\n</g, ' remote <');
  const out: string[] = [];
  for (const line of raw.split('\n')) {
    for (const piece of line.split(/(?=[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d )/)) {
      const m = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ qmail: \d+\.\d{6} (?<text>.*?)\s*$/.exec(piece);
      if (m?.groups?.['text'] !== undefined) out.push(m.groups['text']);
    }
  }
  return out;
}

describe('chkuser', () => {
  it('2.0 colon form (public: denbaguse blog, wrapped line joined)', () => {
    const line = denbaguseTexts().find((t) => t.startsWith('CHKUSER'));
    expect(line).toBeDefined();
    expect(parseSmtpdText(line ?? '')).toEqual({
      kind: 'chkuser', style: 'v2.0', title: 'accepted any rcpt', accepted: true,
      sender: 'test@testaja.com', auth: 'postmaster@testaja.lg', identify: '',
      helo: '', remoteHost: 'unknown', remoteIp: '127.0.0.1', rcpt: 'postmaster@testaja.lg',
      description: 'accepted any recipient for any rcpt domain', stage: 'rcpt', threshold: false,
    });
  });

  it('2.0.9+ form (chkuser_commonlog)', () => {
    expect(parseSmtpdPatch('CHKUSER rejected rcpt: from <a@example.org|remoteinfo/auth:|chkuser-identify:> remote <helo:mx.example.org|remotehostname:mx.example.org|remotehostip:192.0.2.10> rcpt <nobody@example.net> : not existing recipient'))
      .toEqual({
        kind: 'chkuser', style: 'v2.0.9', title: 'rejected rcpt', accepted: false, sender: 'a@example.org', auth: '',
        identify: '', helo: 'mx.example.org', remoteHost: 'mx.example.org', remoteIp: '192.0.2.10', rcpt: 'nobody@example.net',
        description: 'not existing recipient', stage: 'rcpt', threshold: false,
      });
    expect(parseSmtpdPatch('CHKUSER relaying rcpt: from <a@b|remoteinfo/auth:joe|chkuser-identify:> remote <helo:h|remotehostname:|remotehostip:2001:db8::1> rcpt <x@y> : client allowed to relay'))
      .toMatchObject({ accepted: true, auth: 'joe', remoteIp: '2001:db8::1' });
  });
});

describe('the "qmail-smtpd: pid P" logging patch (public: denbaguse blog)', () => {
  it('RCPT TO line', () => {
    const line = denbaguseTexts().find((t) => t.startsWith('qmail-smtpd: pid'));
    expect(parseSmtpdText(line ?? '')).toEqual({
      kind: 'smtpd_pidlog', pid: 13748, text: 'RCPT TO: <postmaster@testaja.lg>', verb: 'RCPT', addr: 'postmaster@testaja.lg',
    });
    expect(parseSmtpdText('qmail-smtpd: pid 13748 MAIL FROM: <a@b>')).toMatchObject({ verb: 'MAIL', addr: 'a@b' });
    expect(parseSmtpdText('qmail-smtpd: pid 13748 something else')).toMatchObject({ verb: null, addr: null });
  });

  it('the blog\'s other lines are qmail-send lines, not smtpd shapes', () => {
    const others = denbaguseTexts().filter((t) => !t.startsWith('CHKUSER') && !t.startsWith('qmail-smtpd'));
    expect(others.length).toBeGreaterThan(4);
    for (const t of others) expect(parseSmtpdText(t), t).toBeUndefined();
  });
});

describe('simscan (public: denbaguse blog)', () => {
  const lines = publicText('denbaguse-blog-smtp-and-headers-2010.txt').split('\n').filter((l) => l.startsWith('simscan'));

  it('the result line: [PPID] = qmail-smtpd pid', () => {
    const line = lines.find((l) => l.startsWith('simscan:['));
    expect(parseSmtpdText(line ?? '')).toEqual({
      kind: 'simscan', ppid: 25608, result: 'CLEAN', action: 'accept', score: 0, required: 0, elapsed: 3.3011, subject: '',
      ip: '(null)', sender: 'root@mail.denbaguse.ta', rcpts: ['postmaster@testaja.lg'],
    });
  });

  it('every debug line parses', () => {
    expect(lines.length).toBe(10);
    for (const l of lines) expect(parseSmtpdText(l)?.kind, l).toMatch(/^simscan/);
    expect(parseSmtpdText('simscan: qmail-queue exited 0')).toEqual({ kind: 'simscan_debug', ppid: null, text: 'qmail-queue exited 0' });
  });

  it('a spam verdict with a subject containing colons', () => {
    expect(parseSmtpdPatch('simscan:[4711]:SPAM REJECT (9.10/5.00):1.2s:Re: hello: there:192.0.2.9:a@b:c@d,e@f')).toMatchObject({
      result: 'SPAM REJECT', score: 9.1, required: 5, subject: 'Re: hello: there', ip: '192.0.2.9', sender: 'a@b', rcpts: ['c@d', 'e@f'],
    });
  });
});

describe('spamdyke', () => {
  it('stderr form with pid, 5.x reason', () => {
    expect(parseSmtpdText('spamdyke[29207]: DENIED_RDNS_MISSING from: a@b to: c@d origin_ip: 203.0.113.66 origin_rdns: (unknown) auth: (unknown) encryption: (none) reason: (empty)'))
      .toEqual({
        kind: 'spamdyke', pid: 29207, result: 'DENIED_RDNS_MISSING', allowed: false, from: 'a@b', to: 'c@d',
        originIp: '203.0.113.66', originRdns: '(unknown)', auth: '(unknown)', encryption: '(none)', reason: '(empty)',
      });
  });

  it('syslog form (tag removed by the framing), 4.x without reason', () => {
    expect(parseSmtpdText('ALLOWED from: a@b to: c@d origin_ip: 192.0.2.1 origin_rdns: mx.example auth: (unknown) encryption: TLS'))
      .toMatchObject({ kind: 'spamdyke', pid: null, allowed: true, reason: null, encryption: 'TLS' });
    expect(parseSmtpdText('TLS_ENCRYPTED from: (unknown) to: (unknown) origin_ip: 0.0.0.0 origin_rdns: (unknown) auth: (unknown) encryption: TLS_PASSTHROUGH'))
      .toMatchObject({ kind: 'spamdyke', result: 'TLS_ENCRYPTED', allowed: false });
  });
});

describe('s/qmail smtpdlog', () => {
  it('generic, AUTH and info forms', () => {
    expect(parseSmtpdText('qmail-smtpd: pid 4711 Reject::RCPT::Failed_Rcptto P:ESMTP S:192.0.2.66:unknown H:spam.example F:x@spam.example T:nobody@example.net'))
      .toEqual({
        kind: 'sqmail', pid: 4711, action: 'Reject', type: 'RCPT', condition: 'Failed_Rcptto', proto: 'ESMTP', ip: '192.0.2.66',
        host: 'unknown', helo: 'spam.example', from: 'x@spam.example', rcpt: 'nobody@example.net', info: null, detail: null,
      });
    expect(parseSmtpdText("qmail-smtpd: pid 4713 Accept::AUTH::login P:ESMTPA S:192.0.2.20:client.example.org H:client.example.org F: T: ?~ 'alice'"))
      .toMatchObject({ type: 'AUTH', condition: 'login', from: '', rcpt: '', info: 'alice' });
    expect(parseSmtpdText("qmail-smtpd: pid 9 Reject::ORIG::Bad_Mailfrom P:ESMTP S:2001:db8::9:mx.example H:h F:a@b T:c@d 'pattern'"))
      .toMatchObject({ ip: '2001:db8::9', host: 'mx.example', info: 'pattern' });
    expect(parseSmtpdText('qmail-smtpd: pid 9 Reject::AUTH::Required P:ESMTP S:192.0.2.1:unknown H:h'))
      .toMatchObject({ helo: 'h', from: null, rcpt: null });
  });
});

describe('sagredo qlog, title and logit lines', () => {
  it('qlogreceived carries qp= and pid=', () => {
    expect(parseSmtpdText('qlogreceived: result=accepted code=250 reason=queueaccept detail= helo=mail.example.org mailfrom=alice@example.org rcptto=bob@example.net,carol@example.net relay=no rcpthosts= size=1234 authuser= authtype= encrypted=tls sslverified=no localip=192.0.2.1 localport=25 remoteip=192.0.2.10 remoteport=40123 remotehost=mail.example.org qp=4714 pid=4711'))
      .toEqual({
        kind: 'qlog', stage: 'received', result: 'accepted', code: 250, reason: 'queueaccept', detail: '', helo: 'mail.example.org',
        mailfrom: 'alice@example.org', rcptto: ['bob@example.net', 'carol@example.net'], relay: false, rcpthosts: null, size: 1234,
        authuser: '', authtype: '', encrypted: 'tls', localip: '192.0.2.1', localport: 25, remoteip: '192.0.2.10',
        remoteport: 40123, remotehost: 'mail.example.org', qp: 4714, pid: 4711,
      });
  });

  it('qlogenvelope rejection with empty code', () => {
    expect(parseSmtpdText('qlogenvelope: result=rejected code= reason=not_in_rcpthosts detail= helo=h mailfrom=a@b rcptto=x@y relay=no rcpthosts=no size= authuser= authtype= encrypted= sslverified= localip= localport= remoteip=192.0.2.66 remoteport= remotehost= qp= pid=77'))
      .toMatchObject({ stage: 'envelope', result: 'rejected', code: null, reason: 'not_in_rcpthosts', rcpthosts: false, qp: null, pid: 77 });
  });

  it('title and logit lines', () => {
    expect(parseSmtpdText('qmail-smtpd[4711]: auth: auth-success type=login user=<alice@example.org>'))
      .toEqual({ kind: 'smtpd_title', pid: 4711, topic: 'auth', text: 'auth-success type=login user=<alice@example.org>' });
    expect(parseSmtpdText('qmail-smtpd: read failed (connection reset): a@b from 192.0.2.1 to c@d helo mx'))
      .toEqual({ kind: 'smtpd_logit', message: 'read failed', reason: 'connection reset', from: 'a@b', ip: '192.0.2.1', rcpt: 'c@d', helo: 'mx' });
  });
});
