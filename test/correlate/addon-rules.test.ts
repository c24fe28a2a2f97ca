// Issue 12's smtpd-side add-on kinds in a session (src/correlate/smtpd/addon-rules.ts): the add-on
// lines are real (test/public, see PROVENANCE.md) or the parsers' format samples; the tcpserver lines
// around them are tcpserver's own format, with the add-on line's pid and IP.

import { describe, expect, it } from 'vitest';
import { parseSmtpdText } from '../../parsers/smtpd.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';
import type { Session } from '../../src/correlate/sessions.js';
import { linkSessions, toSessionLite } from '../../src/correlate/link-sessions.js';
import { publicText } from '../helpers/lab.js';

/** The text after a splogger syslog line's `tag: [stamp ]` prefix (or the line itself). */
function syslogText(line: string): string {
  const m = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (?:qmail: \d+\.\d+ )?(?<text>.*)$/.exec(line);
  return m?.groups?.['text'] ?? line;
}

function publicLines(name: string, pick: RegExp): string[] {
  return publicText(name).split('\n').filter((l) => !l.startsWith('#') && pick.test(l)).map(syslogText);
}

function run(texts: readonly string[]): { sessions: Session[]; c: SessionCorrelator } {
  const c = new SessionCorrelator();
  const out: Session[] = [];
  let t = 1_700_000_000_000_000;
  for (const text of texts) {
    const ev = parseSmtpdText(text);
    if (ev === undefined) throw new Error(`not parsed: ${text}`);
    c.push(t, 'mx', 'smtpd', ev);
    t += 1_000;
    out.push(...c.drain());
  }
  return { sessions: [...out, ...c.drain(), ...c.flushClosing(), ...c.flushOpen()], c };
}

const open = (pid: number, ip: string): string[] =>
  [`tcpserver: pid ${pid} from ${ip}`, `tcpserver: ok ${pid} mx.example.org:192.0.2.1:25 :${ip}::40001`];
const end = (pid: number): string => `tcpserver: end ${pid} status 0`;
const only = (ss: Session[]): Session => { expect(ss).toHaveLength(1); return ss[0] as Session; };

describe('RBL add-ons', () => {
  it('the old pid-less `LIST blocked IP` line refuses the session of its IP, naming the list', () => {
    const [line] = publicLines('fail2ban-qmail-splogger-rblsmtpd-2006.log', /blocked 193\.111\.120\.47/);
    const { sessions } = run([...open(5001, '192.0.2.99'), ...open(5002, '193.111.120.47'), line ?? '', end(5002), end(5001)]);
    const s = sessions.find((x) => x.pid === 5002);
    expect(s?.verdict).toBe('rblsmtpd (relays.ordb.org)');
    expect(s?.refused).toBe(true);
    expect(s?.addons.map((a) => a.event.kind)).toEqual(['rbl_listed']);
    expect(sessions.find((x) => x.pid === 5001)?.addons).toEqual([]);
  });

  it('qmail-smtpd badiprbl: refused with its code and list, by IP', () => {
    const [line] = publicLines('fail2ban-tests-qmail.log', /badiprbl/);
    const s = only(run([...open(6001, '198.51.100.54'), line ?? '', end(6001)]).sessions);
    expect(s.verdict).toBe('smtpd RBL 421 (example.com)');
    expect(s.refused).toBe(true);
  });

  it('an rblsmtpd line with its list names the list in the verdict', () => {
    const [line] = publicLines('fail2ban-tests-qmail.log', /rblsmtpd: 198\.51\.100\.77 pid 19597/);
    const s = only(run([...open(19597, '198.51.100.77'), line ?? '', end(19597)]).sessions);
    expect(s.verdict).toBe('rblsmtpd 451 (sbl-xbl.spamhaus.org)');
  });

  it('tcpserver limits: a deny names the limit', () => {
    const s = only(run(['tcpserver: deny 7001 0:127.0.0.1:25 :203.0.113.5::40002 MAXCONNIP:3', end(7001)]).sessions);
    expect(s.verdict).toBe('tcprules deny (MAXCONNIP)');
    expect(s.tcpLimit).toBe('MAXCONNIP');              // kept on the session, so a seam join keeps it
  });
});

describe('pid-bearing add-ons', () => {
  it('goodrcptto: a refused recipient on the session of its pid, not the other open one', () => {
    const line = 'qmail-smtpd: !ok 4711 Bad recipient user nobody@example.net from x@spam.example by 203.0.113.66 (HELO spam.example).';
    const { sessions } = run([...open(4711, '203.0.113.66'), ...open(4712, '192.0.2.50'), line, end(4711), end(4712)]);
    const s = sessions.find((x) => x.pid === 4711);
    expect(s?.transactions[0]?.mailFrom).toBe('x@spam.example');
    expect(s?.transactions[0]?.rcpts.map((r) => [r.addr, r.accepted, r.reason])).toEqual([['nobody@example.net', false, 'goodrcptto']]);
    expect(s?.verdict).toBe('goodrcptto');
    expect(s?.refused).toBe(true);
    expect(sessions.find((x) => x.pid === 4712)?.addons).toEqual([]);
  });

  it('mail recv: the message is queued with its qp, an exact link', () => {
    const { sessions } = run([...open(4711, '192.0.2.10'), 'mail recv: pid 4711 from <alice@example.org> qp 4713', end(4711)]);
    const s = only(sessions);
    expect(s.verdict).toBe('queued');
    expect(s.transactions[0]?.data[0]?.qp).toBe(4713);
    const msg = { id: 'm1', host: 'mx', qp: 4713, uid: 0, queued: s.start + 2_000, from: 'alice@example.org' };
    expect(linkSessions([toSessionLite(s)], [msg]).map((l) => [l.messageId, l.link])).toEqual([['m1', 'exact']]);
  });

  it('indimail: the real 2004 line names pid 1821, not tcpserver\'s 30906: it stays off that session', () => {
    const { sessions, c } = run(publicText('indimail-rsmtp-comment-2004.log').split('\n').filter((l) => l !== ''));
    const s = only(sessions);
    expect(s.pid).toBe(30906);
    expect(s.addons).toEqual([]);
    expect(c.stats.orphanAddons).toBe(1);
  });

  it('indimail: accepted recipient, queue error with its qp, auth failure', () => {
    const acc = 'qmail-smtpd: pid 4711 from 192.0.2.10  HELO <mail.example.org> MAIL from <alice@example.org> RCPT <bob@example.net> AUTH <local-rcpt> Size: 2281 TLS=TLSv1.3 X-Bogosity: Ham, tests=bogofilter, spamicity=0.000012, version=1.2.5';
    const a = only(run([...open(4711, '192.0.2.10'), acc, end(4711)]).sessions);
    expect(a.transactions[0]?.rcpts.map((r) => [r.addr, r.accepted])).toEqual([['bob@example.net', true]]);
    expect(a.transactions[0]?.data).toEqual([]);

    const qe = 'qmail-smtpd: pid 4714 from 203.0.113.9 mail server permanently rejected message (#5.3.0) (permanent): HELO <spam.example> MAIL from <x@spam.example> RCPT <bob@example.net> AUTH <local-rcpt> Size: 5120 X-Bogosity: Spam, tests=bogofilter, spamicity=0.999, version=1.2.5 TLS=No qp 4716';
    const q = only(run([...open(4714, '203.0.113.9'), qe, end(4714)]).sessions);
    expect(q.transactions[0]?.data.map((d) => [d.qp, d.result])).toEqual([[4716, 'refused']]);
    expect(q.verdict).toBe('queue failure');
    expect(q.refused).toBe(true);

    const auth = 'qmail-smtpd: pid 4717 from 203.0.113.80  AUTH USER [admin@example.org] status=[1] AUTH LOGIN TLS=No auth failure';
    const f = only(run([...open(4717, '203.0.113.80'), auth, end(4717)]).sessions);
    expect(f.auth).toEqual({ mechanism: 'LOGIN', user: 'admin@example.org', ok: false });
  });

  it('indimail: qmail-local fifo lines are no session\'s; qmail-smtpd\'s keep the bogosity', () => {
    const local = 'qmail-local: pid 4790 MAIL from <alice@example.org> RCPT <bob@example.net> Size: 2281 X-Bogosity: Spam, tests=bogofilter, spamicity=0.991, version=1.2.5';
    const fifo = 'qmail-smtpd: pid 4711 MAIL from <alice@example.org> RCPT <bob@example.net> Size: 2281 X-Bogosity: Ham, tests=bogofilter, spamicity=0.000012, version=1.2.5';
    const { sessions, c } = run([...open(4711, '192.0.2.10'), local, fifo, end(4711)]);
    const s = only(sessions);
    expect(s.addons.map((x) => x.event.kind === 'indimail' ? x.event.program : '')).toEqual(['qmail-smtpd']);
    expect(c.stats.orphanAddons).toBe(1);
  });

  it('simscan debug lines (by ppid) and spamdyke notes (by pid) go to their session among two, as notes', () => {
    const { sessions } = run([...open(4711, '192.0.2.10'), ...open(4720, '192.0.2.11'),
      'simscan:[4711]: qmail-queue exited 0', 'spamdyke[4720]: FILTER_RDNS_MISSING ip: 192.0.2.11', end(4711), end(4720)]);
    expect(sessions.map((s) => [s.pid, s.addons.map((a) => a.event.kind), s.refused]))
      .toEqual([[4711, ['simscan_debug'], false], [4720, ['spamdyke_note'], false]]);
  });

  it('simscan reads its action: RELAYCLIENT and DROPPED are not refusals, REJECT is', () => {
    const v = (line: string): Session => only(run([...open(4713, '192.0.2.20'), line, end(4713)]).sessions);
    expect(v('simscan:[4713]:RELAYCLIENT:0.0001s:-:192.0.2.20:alice@example.org:x@example.com').refused).toBe(false);
    expect(v('simscan:[4713]:SPAM DROPPED (25.00/5.00/5.00):1.0000s:win:203.0.113.9:x@spam.example:bob@example.net').refused).toBe(false);
    const r = v('simscan:[4713]:SPAM REJECT (12.30/5.00/5.00):2.1034s:Cheap meds: now:203.0.113.9:x@spam.example:bob@example.net');
    expect(r.verdict).toBe('refused by an add-on');
  });
});

describe('pid-less add-ons placed by adjacency', () => {
  it('chkuser: a sender line sets the MAIL verdict, no empty recipient', () => {
    const line = publicText('qmailrecorder-comment-chkuser-2010.log').split('\n')[0]?.slice(26) ?? '';
    const s = only(run([...open(8001, '202.181.189.53'), line, end(8001)]).sessions);
    expect(s.transactions.map((t) => [t.mailFrom, t.mailAccepted, t.rcpts.length]))
      .toEqual([['newinfotr@adv.strawberrynet.com', true, 0]]);
  });

  it('chkuser: a threshold line flags the session', () => {
    const line = 'CHKUSER intrusion threshold: from <x@spam.example|remoteinfo/auth:|chkuser-identify:> remote <helo:spam.example|remotehostname:|remotehostip:203.0.113.66> rcpt <a9@example.net> : max number of allowed invalid rcpt';
    const s = only(run([...open(8002, '203.0.113.66'), line, end(8002)]).sessions);
    expect(s.verdict).toBe('chkuser intrusion threshold');
  });

  it('policy_check: the authenticated sender on the only open session, never a guess among two', () => {
    const line = 'policy_check: local alice@example.org -> remote bob@example.com (AUTHENTICATED SENDER)';
    const one = only(run([...open(9001, '192.0.2.30'), line, end(9001)]).sessions);
    expect(one.auth).toEqual({ mechanism: null, user: 'alice@example.org', ok: true });
    const { sessions, c } = run([...open(9001, '192.0.2.30'), ...open(9002, '192.0.2.31'), line, end(9001), end(9002)]);
    expect(sessions.map((s) => s.addons.length)).toEqual([0, 0]);
    expect(sessions.map((s) => s.auth)).toEqual([null, null]);
    expect(c.stats.orphanAddons).toBe(1);
  });
});
