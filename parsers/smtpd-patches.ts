// Lines that qmail-smtpd add-ons and patches write to stderr, formats.md §6: chkuser (2.0.9+ and
// the older colon form), spamdyke, simscan (QMAILQUEUE wrapper), SPAMCONTROL/s/qmail smtpdlog,
// sagredo-dev qlog (`qlogenvelope:`/`qlogreceived:` key=value lines carrying qp= and pid=), the
// sagredo `qmail-smtpd[P]: topic: …` and `qmail-smtpd: MSG: … from IP to R helo H` lines, and the
// older `qmail-smtpd: pid P RCPT TO: <R>` logging patch.
//
// Real samples exist for chkuser 2.0, simscan and the pid patch (test/public). The other
// shapes are written from their sources' format strings (provenance 'source'): chkuser.c
// chkuser_commonlog, spamdyke.c SPAMDYKE_LOG_INFO, s/qmail smtpdlog.c smtp_log*, sagredo
// qmail-smtpd.c qsmtpdlog/strerr_warn.

import type { Captures, SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';
import { smtpAddress } from './recordio.js';
import { unmapIp } from './ip.js';
import { INDIMAIL_FORMATS } from './indimail.js';
import { QMAIL_SMTPD_LOG_FORMATS, SMTPD_LOGGING_FORMATS, parseSmtpdLogging } from './smtpd-logging.js';
import { parseRblListed } from './rblsmtpd.js';

const RX_CHKUSER_NEW =
  /^CHKUSER (?<title>[^:]+): from <(?<sender>[^|]*)\|remoteinfo\/auth:(?<auth>[^|]*)\|chkuser-identify:(?<identify>[^>]*)> remote <helo:(?<helo>[^|]*)\|remotehostname:(?<rhost>[^|]*)\|remotehostip:(?<rip>[^>]*)> rcpt <(?<rcpt>[^>]*)> : (?<desc>.*?)\s*$/;
const RX_CHKUSER_OLD =
  /^CHKUSER (?<title>[^:]+): from <(?<sender>[^:>|]*):(?<auth>[^:>|]*):(?<identify>[^>|]*)> remote <(?<helo>[^:>|]*):(?<rhost>[^:>|]*):(?<rip>[^>|]*)> rcpt <(?<rcpt>[^>]*)> : (?<desc>.*?)\s*$/;
const RX_SPAMDYKE =
  /^(?:spamdyke\[(?<pid>\d+)\]: )?(?<result>[A-Z][A-Z0-9_]*) from: (?<from>\S*) to: (?<to>\S*) origin_ip: (?<ip>\S*) origin_rdns: (?<rdns>\S*) auth: (?<auth>\S*) encryption: (?<enc>\S*)(?: reason: (?<reason>.*))?$/;
const RX_SPAMDYKE_NOTE =
  /^spamdyke\[(?<pid>\d+)\]: (?:(?<level>ERROR|DEBUG|EXCESSIVE)(?:\(\w*\(\)@[^)]*\))?: (?<text>.*)|FILTER_(?<filter>[A-Z_]+ .*))$/;
const RX_SIMSCAN =
  /^simscan:\[(?<ppid>\d+)\]:(?<result>[^:( ][^:(]*?)(?: \((?<score>-?\d+(?:\.\d+)?)\/(?<req>-?\d+(?:\.\d+)?)(?:\/(?<sreq>-?\d+(?:\.\d+)?))?\))?:(?<elapsed>\d+(?:\.\d+)?)s:(?<subject>.*):(?<ip>[^:]*):(?<sender>[^:]*):(?<rcpts>[^:]*?)\s*$/;
const RX_SIMSCAN_DEBUG = /^simscan:(?:\[(?<ppid>\d+)\]:)? (?<text>.*)$/;
const RX_SQMAIL =
  /^qmail-smtpd: pid (?<pid>\d+) (?<action>[A-Za-z]+)::(?<type>[A-Za-z]+)::(?<cond>[^\s:]*):?(?: (?<detail>[^' ]+(?: [^' ]+)*?))? P:(?<proto>\S*) S:(?<ip>\S*):(?<host>[^: ]*)(?: H:(?<helo>\S*))?(?: F:(?<from>\S*))?(?: T:(?<rcpt>\S*))?(?: (?:\?~|!=|\?=))?(?: '(?<info>.*)')?$/;
const RX_QLOG = /^(?<head>qlogenvelope|qlogreceived): (?<kv>result=.*)$/;
// not s/qmail (`Action::Type::`), not indimail (`pid P from IP …`, `pid P MAIL from <…> RCPT <…>`)
const RX_PIDLOG = /^qmail-smtpd: pid (?<pid>\d+) (?!\S*::|from \S+ |MAIL from <)(?<text>.*?)\s*$/;
const RX_TITLE = /^qmail-smtpd\[(?<pid>\d+)\]: (?<topic>[^:]+): ?(?<text>.*)$/;
const RX_LOGIT =
  /^qmail-smtpd: (?!pid \d)(?<msg>[^:(]+?)(?: \((?<reason>[^)]*)\))?: (?<from>\S*) from (?<ip>\S+) to (?<rcpt>\S*) helo (?<helo>.*)$/;
const RX_PIDLOG_VERB = /^(?<verb>MAIL FROM|RCPT TO):/i;

/** chkuser.c chkuser_commonlog(): titles starting `accepted` or `relaying` let the address through,
 *  every other title (rejected …, intrusion threshold, must auth, no auth resource, mbx overquota)
 *  refuses it; the sender checks log `rcpt <>`. */
function chkuser(style: 'v2.0.9' | 'v2.0', g: Captures): SmtpdEvent {
  const title = g['title'] ?? '';
  const logged = g['rip'] ?? '';
  const remoteIp = unmapIp(logged);
  const rcpt = g['rcpt'] ?? '';
  return {
    kind: 'chkuser', style, title,
    accepted: title.startsWith('accepted') || title.startsWith('relaying'),
    sender: g['sender'] ?? '', auth: g['auth'] ?? '', identify: g['identify'] ?? '', helo: g['helo'] ?? '',
    remoteHost: g['rhost'] ?? '', remoteIp, ...(remoteIp === logged ? {} : { remoteIpLogged: logged }),
    rcpt, description: g['desc'] ?? '',
    stage: rcpt === '' ? 'sender' : 'rcpt',
    threshold: title === 'intrusion threshold' || title === 'rejected intrusion',
  };
}

/** simscan's verdicts: queued, refused at DATA (qmail-smtpd answers 554), or accepted and thrown away. */
function simscanAction(result: string): 'accept' | 'reject' | 'drop' {
  if (result.includes('DROPPED')) return 'drop';
  return /^(?:CLEAN|PASSTHRU|RELAYCLIENT|SPAM PASS)\b/.test(result) ? 'accept' : 'reject';
}

function debugLine(g: Captures): SmtpdEvent {
  return { kind: 'simscan_debug', ppid: toInt(g['ppid']) ?? null, text: g['text'] ?? '' };
}

function num(s: string | undefined): number | null {
  if (s === undefined || s.length === 0) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function yesNo(s: string | undefined): boolean | null {
  return s === 'yes' ? true : s === 'no' ? false : null;
}

/** sagredo qsmtpdlog(): ` key=value` pairs, values never contain spaces (bytes <= 32 become '_'). */
function qlog(g: Captures): SmtpdEvent | undefined {
  const kv = new Map<string, string>();
  for (const part of (g['kv'] ?? '').split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const rcpt = kv.get('rcptto') ?? '';
  const code = toInt(kv.get('code'));
  const size = toInt(kv.get('size'));
  const localport = toInt(kv.get('localport'));
  const remoteport = toInt(kv.get('remoteport'));
  const qp = toInt(kv.get('qp'));
  const pid = toInt(kv.get('pid'));
  return {
    kind: 'qlog', stage: g['head'] === 'qlogreceived' ? 'received' : 'envelope',
    result: kv.get('result') ?? '', code: code ?? null, reason: kv.get('reason') ?? '',
    detail: kv.get('detail') ?? '', helo: kv.get('helo') ?? '', mailfrom: kv.get('mailfrom') ?? '',
    rcptto: rcpt.length === 0 ? [] : rcpt.split(','), relay: yesNo(kv.get('relay')),
    rcpthosts: yesNo(kv.get('rcpthosts')), size: size ?? null, authuser: kv.get('authuser') ?? '',
    authtype: kv.get('authtype') ?? '', encrypted: kv.get('encrypted') ?? '', localip: kv.get('localip') ?? '',
    localport: localport ?? null, remoteip: kv.get('remoteip') ?? '', remoteport: remoteport ?? null,
    remotehost: kv.get('remotehost') ?? '', qp: qp ?? null, pid: pid ?? null,
  };
}

export const CHKUSER_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'chkuser.v2.0.9', kind: 'chkuser', pattern: RX_CHKUSER_NEW, provenance: 'source',
    build: (g) => chkuser('v2.0.9', g),
    // sagredo-dev/qmail chkuser.c chkuser_commonlog() and its calls
    samples: [
      'CHKUSER accepted rcpt: from <alice@example.org|remoteinfo/auth:|chkuser-identify:> remote <helo:mail.example.org|remotehostname:mail.example.org|remotehostip:192.0.2.10> rcpt <bob@example.net> : found existing recipient',
      'CHKUSER rejected rcpt: from <alice@example.org|remoteinfo/auth:|chkuser-identify:> remote <helo:mail.example.org|remotehostname:|remotehostip:192.0.2.10> rcpt <nobody@example.net> : not existing recipient',
      'CHKUSER accepted sender: from <alice@example.org|remoteinfo/auth:|chkuser-identify:> remote <helo:mail.example.org|remotehostname:mail.example.org|remotehostip:192.0.2.10> rcpt <> : sender accepted',
      'CHKUSER relaying rcpt: from <alice@example.org|remoteinfo/auth:alice@example.org|chkuser-identify:> remote <helo:laptop|remotehostname:|remotehostip:198.51.100.20> rcpt <carol@example.com> : client allowed to relay',
      'CHKUSER intrusion threshold: from <x@spam.example|remoteinfo/auth:|chkuser-identify:> remote <helo:spam.example|remotehostname:|remotehostip:203.0.113.66> rcpt <a9@example.net> : max number of allowed invalid rcpt',
      'CHKUSER rejected intrusion: from <x@spam.example|remoteinfo/auth:|chkuser-identify:> remote <helo:spam.example|remotehostname:|remotehostip:203.0.113.66> rcpt <b1@example.net> : rcpt ignored, session over intrusion threshold',
    ],
  },
  {
    name: 'chkuser.v2.0', kind: 'chkuser', pattern: RX_CHKUSER_OLD, provenance: 'real',
    build: (g) => chkuser('v2.0', g),
    // denbaguse-blog-splogger-syslog-2010.log and qmailrecorder-comment-chkuser-2010.log, each line
    // wrapped by its document joined back with one space
    samples: [
      'CHKUSER accepted any rcpt: from <test@testaja.com:postmaster@testaja.lg:> remote <:unknown:127.0.0.1> rcpt <postmaster@testaja.lg> : accepted any recipient for any rcpt domain',
      'CHKUSER accepted sender: from <newinfotr@adv.strawberrynet.com::> remote <smtp156.strawberrynet.com:unknown:202.181.189.53> rcpt <> : sender accepted',
    ],
    // the colon form of chkuser 2.0.8/2.0.9 (doc/CHKUSER.log_format: from <sender:remoteinfo:relayclient>)
    sourceSamples: [
      'CHKUSER rejected rcpt: from <alice@example.org::> remote <mail.example.org:mail.example.org:192.0.2.10> rcpt <nobody@example.net> : not existing recipient',
      'CHKUSER rejected sender: from <bad@nxdomain.example::> remote <h:unknown:203.0.113.5> rcpt <> : invalid sender MX domain',
      'CHKUSER mbx overquota: from <alice@example.org::> remote <mail.example.org::192.0.2.10> rcpt <full@example.net> : rcpt mailbox is overquota',
    ],
  },
];

export const SPAMDYKE_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'spamdyke', kind: 'spamdyke', pattern: RX_SPAMDYKE, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      const result = g['result'] ?? '';
      const logged = g['ip'] ?? '';
      const originIp = unmapIp(logged);
      return {
        kind: 'spamdyke', pid: pid ?? null, result, allowed: result.startsWith('ALLOWED'),
        from: g['from'] ?? '', to: g['to'] ?? '', originIp, ...(originIp === logged ? {} : { originIpLogged: logged }),
        originRdns: g['rdns'] ?? '',
        auth: g['auth'] ?? '', encryption: g['enc'] ?? '', reason: g['reason'] ?? null,
      };
    },
    samples: [
      'spamdyke[29207]: DENIED_RDNS_MISSING from: a@b to: c@d origin_ip: 203.0.113.66 origin_rdns: (unknown) auth: (unknown) encryption: (none) reason: (empty)',
      'ALLOWED from: alice@example.org to: bob@example.net origin_ip: 192.0.2.10 origin_rdns: mail.example.org auth: (unknown) encryption: (none)',
      // spamdyke.h REJECTION_DATA_SMTP_AUTH_FAILURE: a failed SMTP AUTH spamdyke handled itself
      'FAILED_AUTH from: (unknown) to: (unknown) origin_ip: 203.0.113.70 origin_rdns: (unknown) auth: admin encryption: TLS reason: FAILED_AUTH',
      'UNKNOWN_AUTH from: (unknown) to: (unknown) origin_ip: 203.0.113.71 origin_rdns: (unknown) auth: (unknown) encryption: (none)',
    ],
  },
];

export const SPAMDYKE_NOTE_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'spamdyke.note', kind: 'spamdyke_note', pattern: RX_SPAMDYKE_NOTE, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      if (pid === undefined) return undefined;
      const filter = g['filter'];
      if (filter !== undefined) return { kind: 'spamdyke_note', pid, level: 'filter', text: filter };
      const level = g['level'] === 'ERROR' ? 'error' : g['level'] === 'DEBUG' ? 'debug' : 'excessive';
      return { kind: 'spamdyke_note', pid, level, text: g['text'] ?? '' };
    },
    // spamdyke.h LOG_ERROR_*, LOG_VERBOSE_FILTER_*, LOG_DEBUG_* with log.c's "spamdyke[%d]: " on stderr
    // (through syslog the tag is the framing's and an `ERROR: …` alone names no program: not taken)
    samples: ['spamdyke[4711]: ERROR: unable to fork: Resource temporarily unavailable',
      'spamdyke[4711]: FILTER_RDNS_MISSING ip: 203.0.113.66',
      'spamdyke[4711]: DEBUG(filter_rdns_missing()@filter.c:1234): checking for missing rDNS; rdns: (unknown)'],
  },
];

export const SIMSCAN_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'simscan.result', kind: 'simscan', pattern: RX_SIMSCAN, provenance: 'real',
    build: (g) => {
      const ppid = toInt(g['ppid']);
      const elapsed = num(g['elapsed']);
      if (ppid === undefined || elapsed === null) return undefined;
      const rcpts = g['rcpts'] ?? '';
      const result = g['result'] ?? '';
      const sreq = num(g['sreq']);
      return {
        kind: 'simscan', ppid, result, action: simscanAction(result), score: num(g['score']), required: num(g['req']),
        ...(sreq === null ? {} : { simscanRequired: sreq }),
        elapsed, subject: g['subject'] ?? '', ip: unmapIp(g['ip'] ?? ''), sender: g['sender'] ?? '',
        rcpts: rcpts.length === 0 ? [] : rcpts.split(','),
      };
    },
    samples: ['simscan:[25608]:CLEAN (0.00/0.00):3.3011s::(null):root@mail.denbaguse.ta:postmaster@testaja.lg'],
    // simscan.c log_message(): SpamAssassin "%s (%.2f/%.2f/%.2f):%3.4fs:…", the non-spam "%s:%3.4fs:…"
    sourceSamples: [
      'simscan:[4711]:SPAM REJECT (12.30/5.00/5.00):2.1034s:Cheap meds: now:203.0.113.9:x@spam.example:bob@example.net',
      'simscan:[4712]:VIRUS:0.4021s:Eicar-Test-Signature:198.51.100.3:a@example.com:bob@example.net,carol@example.net',
      'simscan:[4713]:RELAYCLIENT:0.0001s:-:192.0.2.20:alice@example.org:x@example.com',
      'simscan:[4714]:SPAM DROPPED (25.00/5.00/5.00):1.0000s:win:203.0.113.9:x@spam.example:bob@example.net',
    ],
  },
  {
    name: 'simscan.debug', kind: 'simscan_debug', pattern: RX_SIMSCAN_DEBUG, provenance: 'real',
    build: debugLine,
    samples: ['simscan: calling clamdscan', 'simscan: qmail-queue exited 0'],
    // simscan 1.4.1 writes its debug lines as "simscan:[%d]: …" with getppid()
    sourceSamples: ['simscan:[4711]: qmail-queue exited 0', 'simscan:[4711]: clamdscan detected a virus'],
  },
];

export const QMAIL_SMTPD_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'sqmail.smtpdlog', kind: 'sqmail', pattern: RX_SQMAIL, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      if (pid === undefined) return undefined;
      return {
        kind: 'sqmail', pid, action: g['action'] ?? '', type: g['type'] ?? '', condition: g['cond'] ?? '',
        proto: g['proto'] ?? '', ip: unmapIp(g['ip'] ?? ''), host: g['host'] ?? '', helo: g['helo'] ?? null,
        from: g['from'] ?? null, rcpt: g['rcpt'] ?? null, info: g['info'] ?? null, detail: g['detail'] ?? null,
      };
    },
    samples: [
      'qmail-smtpd: pid 4711 Accept::RCPT::Recipients_Cdb P:ESMTP S:192.0.2.10:mail.example.org H:mail.example.org F:alice@example.org T:bob@example.net',
      'qmail-smtpd: pid 4712 Reject::RCPT::Failed_Rcptto P:ESMTP S:192.0.2.66:unknown H:spam.example F:x@spam.example T:nobody@example.net',
      "qmail-smtpd: pid 4713 Accept::AUTH::login P:ESMTPA S:192.0.2.20:client.example.org H:client.example.org F: T: ?~ 'alice'",
      // SPAMCONTROL's older conditions end in ':'; the RBL patch adds the list before P:
      'qmail-smtpd: pid 4714 Reject::RCPT::Toomany_Rcptto: P:ESMTP S:203.0.113.66:unknown H:spam.example F:x@spam.example T:a@example.net',
      'qmail-smtpd: pid 4715 Reject::RBL::RBL_Listed: zen.spamhaus.org P:ESMTP S:203.0.113.67:unknown H:spam.example F:x@spam.example T:a@example.net',
    ],
  },
  {
    name: 'sagredo.qlog', kind: 'qlog', pattern: RX_QLOG, provenance: 'source',
    build: qlog,
    samples: [
      'qlogenvelope: result=accepted code=250 reason=rcptto detail= helo=mail.example.org mailfrom=alice@example.org rcptto=bob@example.net relay=no rcpthosts=yes size= authuser= authtype= encrypted= sslverified=no localip=192.0.2.1 localport=25 remoteip=192.0.2.10 remoteport=40123 remotehost=mail.example.org qp= pid=4711',
      'qlogreceived: result=accepted code=250 reason=queueaccept detail= helo=mail.example.org mailfrom=alice@example.org rcptto=bob@example.net,carol@example.net relay=no rcpthosts= size=1234 authuser= authtype= encrypted=tls sslverified=no localip=192.0.2.1 localport=25 remoteip=192.0.2.10 remoteport=40123 remotehost=mail.example.org qp=4714 pid=4711',
    ],
  },
  {
    name: 'smtpd.pidlog', kind: 'smtpd_pidlog', pattern: RX_PIDLOG, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      if (pid === undefined) return undefined;
      const text = g['text'] ?? '';
      const v = RX_PIDLOG_VERB.exec(text);
      if (v === null) return { kind: 'smtpd_pidlog', pid, text, verb: null, addr: null };
      const verb = (v.groups?.['verb'] ?? '').toUpperCase() === 'MAIL FROM' ? 'MAIL' : 'RCPT';
      return { kind: 'smtpd_pidlog', pid, text, verb, addr: smtpAddress(text.slice(v[0].length)) };
    },
    samples: ['qmail-smtpd: pid 13748 RCPT TO: <postmaster@testaja.lg>'],
  },
  {
    name: 'sagredo.title', kind: 'smtpd_title', pattern: RX_TITLE, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      return pid === undefined ? undefined
        : { kind: 'smtpd_title', pid, topic: g['topic'] ?? '', text: g['text'] ?? '' };
    },
    samples: [
      'qmail-smtpd[4711]: auth: auth-success type=login user=<alice@example.org>',
      'qmail-smtpd[4712]: GREETDELAY from 192.0.2.66: client sent data before greeting',
    ],
  },
  {
    name: 'sagredo.logit', kind: 'smtpd_logit', pattern: RX_LOGIT, provenance: 'source',
    build: (g) => ({
      kind: 'smtpd_logit', message: g['msg'] ?? '', reason: g['reason'] ?? null, from: g['from'] ?? '',
      ip: g['ip'] ?? '', rcpt: g['rcpt'] ?? '', helo: g['helo'] ?? '',
    }),
    samples: ['qmail-smtpd: message too big: alice@example.org from 192.0.2.10 to bob@example.net helo mail.example.org'],
  },
];

export const SMTPD_PATCH_FORMATS: readonly SmtpdFormat[] = [
  ...CHKUSER_FORMATS, ...SPAMDYKE_FORMATS, ...SPAMDYKE_NOTE_FORMATS, ...SIMSCAN_FORMATS, ...QMAIL_SMTPD_FORMATS, ...INDIMAIL_FORMATS,
  ...QMAIL_SMTPD_LOG_FORMATS, ...SMTPD_LOGGING_FORMATS,
];

/** Every `qmail-smtpd…` shape: the patches', indimail's, goodrcptto's. */
const QMAIL_SMTPD_ALL: readonly SmtpdFormat[] = [...QMAIL_SMTPD_FORMATS, ...INDIMAIL_FORMATS, ...QMAIL_SMTPD_LOG_FORMATS];

/** Add-on and patch lines; dispatches on the first character before running any pattern. */
export function parseSmtpdPatch(text: string): SmtpdEvent | undefined {
  const c = text.charCodeAt(0);
  switch (c) {
    case 67: // C
      return text.startsWith('CHKUSER ') ? matchFormats(CHKUSER_FORMATS, text) : undefined;
    case 115: // s
      if (text.startsWith('simscan:')) return matchFormats(SIMSCAN_FORMATS, text);
      if (!text.startsWith('spamdyke[')) return undefined;
      return text.includes(' origin_ip: ') ? matchFormats(SPAMDYKE_FORMATS, text) : matchFormats(SPAMDYKE_NOTE_FORMATS, text);
    case 113: // q
      if (text.startsWith('qmail-smtpd')) return matchFormats(QMAIL_SMTPD_ALL, text);
      if (text.startsWith('qlog')) return matchFormats(QMAIL_SMTPD_FORMATS, text);
      return text.startsWith('qmail-local: pid ') || text.startsWith('qmail-remote: pid ')
        ? matchFormats(INDIMAIL_FORMATS, text) : undefined;
    case 109: case 112: // m(ail recv:) p(olicy_check:)
      return parseSmtpdLogging(text) ?? parseRblListed(text);
    // spamdyke via syslog: A(LLOWED…) D(ENIED…) E(RROR…) F(AILED_AUTH, FAILED_TLS) T(IMEOUT, TLS_ENCRYPTED) U(NKNOWN_AUTH)
    case 65: case 68: case 69: case 70: case 84: case 85:
      return text.includes(' origin_ip: ') ? matchFormats(SPAMDYKE_FORMATS, text) : undefined;
    default:
      // the old rblsmtpd's `LIST blocked IP …` (syslog tag rblsmtpd): a list's name, any letter
      return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? parseRblListed(text) : undefined;
  }
}
