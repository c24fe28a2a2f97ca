// The add-on and patch shapes of issue 12 (part B). Real samples come from test/public (fail2ban's
// qmail test log, indimail's rsmtp.sh) through the real framing; the others are written from the
// programs' sources (parsers/*.ts name the function each follows).

import { describe, expect, it } from 'vitest';
import { parseFrame, type FrameContext } from '../../../parsers/frame.js';
import { parseSendText } from '../../../parsers/qmail-send.js';
import { parseSmtpdText } from '../../../parsers/smtpd.js';
import { UTC_ZONE } from '../../../parsers/timestamp.js';
import { publicText } from '../../helpers/lab.js';

const ctx: FrameContext = { zone: UTC_ZONE, yearFor: () => 2006 };

/** The log lines of a public file (no `#` comments), framed: the program's text of each. */
function texts(name: string): string[] {
  return publicText(name).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => parseFrame(l, ctx).text);
}

describe('fail2ban test log (public, real)', () => {
  const lines = texts('fail2ban-tests-qmail.log');

  it('every line is an smtpd-side event and no qmail-send one', () => {
    expect(lines.length).toBe(4);
    for (const t of lines) {
      expect(parseSendText(t), t).toBeUndefined();
      expect(parseSmtpdText(t), t).toBeDefined();
    }
  });

  it('rblsmtpd naming its list', () => {
    expect(parseSmtpdText(lines[0] ?? '')).toEqual({
      kind: 'rbl', ip: '198.51.100.77', pid: 19597, code: 451, list: 'sbl-xbl.spamhaus.org',
      text: 'http://www.spamhaus.org/query/bl?ip=198.51.100.77',
    });
  });

  it('qmail-smtpd badiprbl', () => {
    expect(parseSmtpdText(lines[1] ?? '')).toEqual({ kind: 'smtpd_rbl', code: 421, ip: '198.51.100.54', list: 'example.com' });
  });

  it('the old pid-less "LIST blocked IP HOST -" (syslog tag rblsmtpd)', () => {
    expect(parseFrame('Jun 30 15:13:33 ns1 rblsmtpd: relays.ordb.org blocked 193.111.120.47 ordb-test.null.dk -', ctx).tag)
      .toBe('rblsmtpd');
    expect(parseSmtpdText(lines[2] ?? '')).toEqual({
      kind: 'rbl_listed', list: 'relays.ordb.org', ip: '193.111.120.47', host: 'ordb-test.null.dk', extra: '-',
    });
    expect(parseSmtpdText(lines[3] ?? '')).toMatchObject({ list: 'relays.osirusoft.com', ip: '192.203.178.107' });
    // any first character: a list's name may start with a digit or 't'
    expect(parseSmtpdText('0spam.example.org blocked 192.0.2.9 host.example -')).toMatchObject({ kind: 'rbl_listed', list: '0spam.example.org' });
    expect(parseSmtpdText('tor.example.org blocked 192.0.2.9 host.example -')).toMatchObject({ kind: 'rbl_listed', list: 'tor.example.org' });
    expect(parseSmtpdText('the door blocked 192.0.2.9 by -')).toBeUndefined();
  });
});

describe('rblsmtpd: indimail-mta rbl_out() (source)', () => {
  it('the block, greetdelay and fake-session lines', () => {
    expect(parseSmtpdText('rblsmtpd:  pid 4711 from ::ffff:192.0.2.66: 553 listed')).toEqual({
      kind: 'rbl', ip: '192.0.2.66', ipLogged: '::ffff:192.0.2.66', pid: 4711, code: 553, text: 'listed',
    });
    expect(parseSmtpdText('rblsmtpd:  pid 4711 from 192.0.2.66: greetdelay: 10'))
      .toEqual({ kind: 'rbl_greetdelay', ip: '192.0.2.66', pid: 4711, text: '10' });
    expect(parseSmtpdText('rblsmtpd:  pid 4711 from 192.0.2.66: Recipient <postmaster@example.org>'))
      .toEqual({ kind: 'rbl_info', ip: '192.0.2.66', pid: 4711, text: 'Recipient <postmaster@example.org>' });
    expect(parseSmtpdText('rblsmtpd:  pid 4711 from 192.0.2.66: 250 ok')).toBeUndefined();
  });
});

describe('tcpserver: patched forms and IPv4-mapped peers', () => {
  it('IPv4-mapped peers: the IPv4 form in ip, the logged text in ipLogged', () => {
    expect(parseSmtpdText('tcpserver: pid 4711 from ::ffff:198.51.100.7'))
      .toEqual({ kind: 'tcp_pid', pid: 4711, ip: '198.51.100.7', ipLogged: '::ffff:198.51.100.7' });
    expect(parseSmtpdText('tcpserver: ok 4711 mx.example.org:::ffff:192.0.2.1:25 :::FFFF:198.51.100.7::40123')).toEqual({
      kind: 'tcp_ok', pid: 4711,
      local: { host: 'mx.example.org', ip: '192.0.2.1', ipLogged: '::ffff:192.0.2.1', port: 25 },
      remote: { host: '', ip: '198.51.100.7', ipLogged: '::FFFF:198.51.100.7', info: '', port: 40123 },
    });
    expect(parseSmtpdText('tcpserver: deny 4711 :::ffff:192.0.2.1:25 :::ffff:198.51.100.7::40123'))
      .toMatchObject({ kind: 'tcp_deny', remote: { ip: '198.51.100.7', ipLogged: '::ffff:198.51.100.7' } });
    // not mapped: raw IPv6 stays as it is, with no ipLogged
    expect(parseSmtpdText('tcpserver: pid 1 from ::ffff:c000:201')).toEqual({ kind: 'tcp_pid', pid: 1, ip: '::ffff:c000:201' });
    expect(parseSmtpdText('tcpserver: pid 1 from 2001:db8::ffff:1.2.3.4')).toEqual({ kind: 'tcp_pid', pid: 1, ip: '2001:db8::ffff:1.2.3.4' });
  });

  it('the limits patch names the limit that denied', () => {
    expect(parseSmtpdText('tcpserver: deny 4711 mx.example.org:192.0.2.1:25 :198.51.100.7::40123 MAXCONNIP:5')).toEqual({
      kind: 'tcp_deny', pid: 4711, local: { host: 'mx.example.org', ip: '192.0.2.1', port: 25 },
      remote: { host: '', ip: '198.51.100.7', info: '', port: 40123 }, limit: { name: 'MAXCONNIP', value: '5' },
    });
    expect(parseSmtpdText('tcpserver: ok 4711 mx:192.0.2.1:25 :198.51.100.7::40123 MAXCONNIP:5')).toBeUndefined();
  });

  it('indimail: a child killed by a signal', () => {
    expect(parseSmtpdText('tcpserver: end 4711 killed by signal 9'))
      .toEqual({ kind: 'tcp_end', pid: 4711, status: 9, exitCode: null, signal: 9, core: false });
    expect(parseSmtpdText('tcpserver: end 4711 killed by signal 0')).toBeUndefined();
  });

  it('status with a third number or indimail\'s note', () => {
    expect(parseSmtpdText('tcpserver: status: 0/200/0')).toEqual({ kind: 'tcp_status', busy: 0, limit: 200, third: 0 });
    expect(parseSmtpdText('tcpserver: status: 1/40 un-encrypted session, pid=4711, IP 192.0.2.10'))
      .toEqual({ kind: 'tcp_status', busy: 1, limit: 40, note: 'un-encrypted session, pid=4711, IP 192.0.2.10' });
    expect(parseSmtpdText('tcpserver: status: 1/40/')).toBeUndefined();
  });
});

describe('chkuser', () => {
  it('the colon form at the sender stage (public: a collector\'s comment, real multilog line)', () => {
    const [line] = publicText('qmailrecorder-comment-chkuser-2010.log').split('\n');
    const f = parseFrame(line ?? '', ctx);
    expect(f.framing).toBe('multilog');
    expect(parseSmtpdText(f.text)).toEqual({
      kind: 'chkuser', style: 'v2.0', title: 'accepted sender', accepted: true, sender: 'newinfotr@adv.strawberrynet.com',
      auth: '', identify: '', helo: 'smtp156.strawberrynet.com', remoteHost: 'unknown', remoteIp: '202.181.189.53', rcpt: '',
      description: 'sender accepted', stage: 'sender', threshold: false,
    });
  });

  it('sender stage, relaying, thresholds (chkuser.c calls)', () => {
    expect(parseSmtpdText('CHKUSER accepted sender: from <a@example.org|remoteinfo/auth:|chkuser-identify:> remote <helo:mx|remotehostname:mx.example.org|remotehostip:::ffff:192.0.2.10> rcpt <> : sender accepted'))
      .toEqual({
        kind: 'chkuser', style: 'v2.0.9', title: 'accepted sender', accepted: true, sender: 'a@example.org', auth: '',
        identify: '', helo: 'mx', remoteHost: 'mx.example.org', remoteIp: '192.0.2.10', remoteIpLogged: '::ffff:192.0.2.10',
        rcpt: '', description: 'sender accepted', stage: 'sender', threshold: false,
      });
    expect(parseSmtpdText('CHKUSER intrusion threshold: from <x@spam.example|remoteinfo/auth:|chkuser-identify:> remote <helo:h|remotehostname:|remotehostip:203.0.113.66> rcpt <a9@example.net> : max number of allowed invalid rcpt'))
      .toMatchObject({ accepted: false, stage: 'rcpt', threshold: true, rcpt: 'a9@example.net' });
    expect(parseSmtpdText('CHKUSER rejected intrusion: from <x@spam.example|remoteinfo/auth:|chkuser-identify:> remote <helo:h|remotehostname:|remotehostip:203.0.113.66> rcpt <b1@example.net> : rcpt ignored, session over intrusion threshold'))
      .toMatchObject({ accepted: false, threshold: true });
    expect(parseSmtpdText('CHKUSER relaying rcpt: from <a@example.org|remoteinfo/auth:a@example.org|chkuser-identify:> remote <helo:l|remotehostname:|remotehostip:198.51.100.20> rcpt <c@example.com> : client allowed to relay'))
      .toMatchObject({ accepted: true, auth: 'a@example.org', threshold: false });
    expect(parseSmtpdText('CHKUSER must auth: from <a@example.org::> remote <h::198.51.100.20> rcpt <c@example.com> : sender not authenticated/authorized'))
      .toMatchObject({ style: 'v2.0', accepted: false, stage: 'rcpt' });
  });
});

describe('simscan (simscan.c log_message)', () => {
  it('the SpamAssassin form carries three numbers', () => {
    expect(parseSmtpdText('simscan:[4711]:SPAM REJECT (12.30/5.00/6.00):2.1034s:Cheap meds: now:203.0.113.9:x@spam.example:bob@example.net'))
      .toEqual({
        kind: 'simscan', ppid: 4711, result: 'SPAM REJECT', action: 'reject', score: 12.3, required: 5, simscanRequired: 6,
        elapsed: 2.1034, subject: 'Cheap meds: now', ip: '203.0.113.9', sender: 'x@spam.example', rcpts: ['bob@example.net'],
      });
  });

  it('verdicts: queued, refused, dropped', () => {
    const action = (r: string): unknown => (parseSmtpdText(`simscan:[1]:${r}:0.1000s:s:192.0.2.1:a@b:c@d`) as { action?: unknown } | undefined)?.action;
    expect(['CLEAN (1.00/5.00)', 'PASSTHRU (1.00/5.00)', 'RELAYCLIENT', 'SPAM PASS (9.00/5.00)'].map(action)).toEqual(['accept', 'accept', 'accept', 'accept']);
    expect(['SPAM REJECT (9.00/5.00)', 'VIRUS', 'ATTACH', 'REGEX'].map(action)).toEqual(['reject', 'reject', 'reject', 'reject']);
    expect(['SPAM DROPPED (9.00/5.00)', 'VIRUS DROPPED'].map(action)).toEqual(['drop', 'drop']);
  });

  it('a virus line names the virus where the subject goes; debug lines with [ppid]', () => {
    expect(parseSmtpdText('simscan:[4712]:VIRUS:0.4021s:Eicar-Test-Signature:198.51.100.3:a@example.com:bob@example.net,carol@example.net'))
      .toMatchObject({ result: 'VIRUS', score: null, subject: 'Eicar-Test-Signature', rcpts: ['bob@example.net', 'carol@example.net'] });
    expect(parseSmtpdText('simscan:[4711]: qmail-queue exited 0')).toEqual({ kind: 'simscan_debug', ppid: 4711, text: 'qmail-queue exited 0' });
  });
});

describe('spamdyke and s/qmail', () => {
  it('spamdyke: an IPv4-mapped origin_ip', () => {
    expect(parseSmtpdText('spamdyke[29207]: DENIED_RBL_MATCH from: a@b to: c@d origin_ip: ::ffff:203.0.113.66 origin_rdns: (unknown) auth: (unknown) encryption: (none) reason: DENIED_RBL_MATCH'))
      .toMatchObject({ originIp: '203.0.113.66', originIpLogged: '::ffff:203.0.113.66', allowed: false, reason: 'DENIED_RBL_MATCH' });
  });

  it('spamdyke via syslog: every result name spamdyke.h has, whatever its first letter', () => {
    for (const r of ['ALLOWED', 'ALLOWED_TLS', 'DENIED_GRAYLISTED', 'FAILED_AUTH', 'FAILED_TLS', 'TIMEOUT', 'TLS_ENCRYPTED', 'UNKNOWN_AUTH']) {
      expect(parseSmtpdText(`${r} from: a@b to: c@d origin_ip: 192.0.2.1 origin_rdns: (unknown) auth: (unknown) encryption: (none)`), r)
        .toMatchObject({ kind: 'spamdyke', result: r, allowed: r.startsWith('ALLOWED'), pid: null });
    }
  });

  it('spamdyke\'s ERROR/FILTER/DEBUG lines on stderr; a bare "ERROR: …" names no program', () => {
    expect(parseSmtpdText('spamdyke[4711]: FILTER_RDNS_MISSING ip: 203.0.113.66'))
      .toEqual({ kind: 'spamdyke_note', pid: 4711, level: 'filter', text: 'RDNS_MISSING ip: 203.0.113.66' });
    expect(parseSmtpdText('spamdyke[4711]: DEBUG(filter_rdns_missing()@filter.c:1234): checking for missing rDNS; rdns: (unknown)'))
      .toEqual({ kind: 'spamdyke_note', pid: 4711, level: 'debug', text: 'checking for missing rDNS; rdns: (unknown)' });
    expect(parseSmtpdText('ERROR: unable to fork: Resource temporarily unavailable')).toBeUndefined();
  });

  it('s/qmail: SPAMCONTROL conditions ending in ":" and the RBL patch\'s list', () => {
    expect(parseSmtpdText('qmail-smtpd: pid 4714 Reject::RCPT::Toomany_Rcptto: P:ESMTP S:203.0.113.66:unknown H:h F:x@s T:a@e'))
      .toMatchObject({ kind: 'sqmail', condition: 'Toomany_Rcptto', detail: null, rcpt: 'a@e' });
    expect(parseSmtpdText('qmail-smtpd: pid 4715 Reject::RBL::RBL_Listed: zen.spamhaus.org P:ESMTP S:203.0.113.67:unknown H:h F:x@s T:a@e'))
      .toMatchObject({ kind: 'sqmail', type: 'RBL', condition: 'RBL_Listed', detail: 'zen.spamhaus.org', ip: '203.0.113.67' });
    expect(parseSmtpdText("qmail-smtpd: pid 4716 Accept::AUTH::LOGIN P:ESMTPA S:192.0.2.20:c.example.org H:c F:a@e T:b@e ?~ 'alice'"))
      .toMatchObject({ condition: 'LOGIN', info: 'alice', detail: null });
  });
});

describe('goodrcptto, "mail recv" and policy_check (issue 12 quotes)', () => {
  it('goodrcptto', () => {
    expect(parseSmtpdText('qmail-smtpd: !ok 4711 Bad recipient user nobody@example.net from x@spam.example by 203.0.113.66 (HELO spam.example).'))
      .toEqual({
        kind: 'goodrcptto', pid: 4711, ok: false, rcpt: 'nobody@example.net', sender: 'x@spam.example', ip: '203.0.113.66',
        helo: 'spam.example', text: 'Bad recipient user nobody@example.net from x@spam.example by 203.0.113.66 (HELO spam.example).',
      });
  });

  it('"mail recv: … qp Q" gives the qp; policy_check the authenticated sender', () => {
    expect(parseSmtpdText('mail recv: pid 4711 from <alice@example.org> qp 4713'))
      .toEqual({ kind: 'smtpd_recv', pid: 4711, sender: 'alice@example.org', qp: 4713 });
    expect(parseSmtpdText('mail recv: pid 4720 from <> qp 4722')).toMatchObject({ sender: '', qp: 4722 });
    expect(parseSmtpdText('policy_check: local alice@example.org -> remote bob@example.com (AUTHENTICATED SENDER)')).toEqual({
      kind: 'smtpd_policy', fromScope: 'local', from: 'alice@example.org', toScope: 'remote', to: 'bob@example.com',
      authenticated: true, note: 'AUTHENTICATED SENDER',
    });
    expect(parseSmtpdText('policy_check: remote x@example.com -> local bob@example.org')).toMatchObject({ authenticated: false, note: null });
    expect(parseSmtpdText('policy_check: remote <x@example.com> -> local <bob@example.org>')).toMatchObject({ from: 'x@example.com', to: 'bob@example.org' });
    expect(parseSmtpdText('mail recv: pid 4711 from <a@b> qp x')).toBeUndefined();
  });
});

describe('indimail qmail-smtpd', () => {
  it('the 2004 transaction line (public: rsmtp.sh comment) between its tcpserver lines', () => {
    const [pid, trans, end] = texts('indimail-rsmtp-comment-2004.log');
    expect(parseSmtpdText(pid ?? '')).toEqual({ kind: 'tcp_pid', pid: 30906, ip: '210.210.122.80' });
    expect(parseSmtpdText(end ?? '')).toMatchObject({ kind: 'tcp_end', pid: 30906, status: 0 });
    expect(parseSmtpdText(trans ?? '')).toEqual({
      kind: 'indimail', program: 'qmail-smtpd', pid: 1821, line: 'accepted', ip: '127.0.0.1', helo: 'localhost.localdomain',
      from: 'jbks@tca-os.de', rcpt: 'yahoo', auth: 'local-rcpt', size: 2281, tls: null,
      bogosity: { verdict: 'No', spamicity: 0.208748, text: 'No, spam probability=0.208748, cutoff=5.11e-01' },
      error: null, permanent: null, qp: null, method: null, text: '',
    });
  });

  it('log_trans() today: two spaces, TLS=, X-Bogosity; an IPv4-mapped client', () => {
    expect(parseSmtpdText('qmail-smtpd: pid 4711 from ::ffff:192.0.2.10  HELO <mail.example.org> MAIL from <alice@example.org> RCPT <bob@example.net> AUTH <local-rcpt> Size: 2281 TLS=TLSv1.3 X-Bogosity: Ham, tests=bogofilter, spamicity=0.000012, version=1.2.5'))
      .toMatchObject({ line: 'accepted', ip: '192.0.2.10', ipLogged: '::ffff:192.0.2.10', tls: 'TLSv1.3', size: 2281,
        bogosity: { verdict: 'Ham', spamicity: 0.000012 } });
  });

  it('err_queue() carries the refused message\'s qp', () => {
    expect(parseSmtpdText('qmail-smtpd: pid 4714 from 203.0.113.9 mail server permanently rejected message (#5.3.0) (permanent): HELO <spam.example> MAIL from <x@spam.example> RCPT <bob@example.net> AUTH <local-rcpt> Size: 5120 X-Bogosity: Spam, tests=bogofilter, spamicity=0.999, version=1.2.5 TLS=No qp 4716'))
      .toMatchObject({ line: 'queue_error', error: 'mail server permanently rejected message (#5.3.0)', permanent: true, qp: 4716,
        tls: 'No', bogosity: { verdict: 'Spam', spamicity: 0.999 }, rcpt: 'bob@example.net' });
  });

  it('a failed SMTP AUTH: the user tried, the method, the status', () => {
    expect(parseSmtpdText('qmail-smtpd: pid 4717 from 203.0.113.80  AUTH USER [admin@example.org] status=[1] AUTH LOGIN TLS=No auth failure'))
      .toMatchObject({ kind: 'indimail', line: 'auth_failure', pid: 4717, ip: '203.0.113.80', auth: 'admin@example.org',
        method: 'LOGIN', error: 'status=[1]', tls: 'No' });
    expect(parseSmtpdText('qmail-smtpd: pid 4718 from 203.0.113.81  AUTH Unknown status=[-1] TLS=No auth failure'))
      .toMatchObject({ line: 'auth_failure', auth: null, method: 'Unknown', error: 'status=[-1]' });
  });

  it('the LOGFILTER fifo lines of qmail-smtpd and spawn-filter; other logerr() lines', () => {
    expect(parseSmtpdText('qmail-local: pid 4790 MAIL from <alice@example.org> RCPT <bob@example.net> Size: 2281 X-Bogosity: Spam, tests=bogofilter, spamicity=0.991, version=1.2.5'))
      .toMatchObject({ kind: 'indimail', program: 'qmail-local', line: 'fifo', pid: 4790, ip: null, bogosity: { verdict: 'Spam' } });
    expect(parseSmtpdText('qmail-smtpd: pid 4716 from 203.0.113.9 SMTP Protocol violation - Early Talking'))
      .toMatchObject({ kind: 'indimail', line: 'other', ip: '203.0.113.9', text: 'SMTP Protocol violation - Early Talking' });
    // the denbaguse patch's line stays what it was
    expect(parseSmtpdText('qmail-smtpd: pid 13748 RCPT TO: <postmaster@testaja.lg>')).toMatchObject({ kind: 'smtpd_pidlog' });
  });
});
