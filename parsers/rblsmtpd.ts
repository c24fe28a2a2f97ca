// rblsmtpd lines (ucspi-tcp 0.88 rblsmtpd.c; ucspi-tcp6 0.99a adds greetdelay and [RBL info]),
// formats.md §4.2. `rblsmtpd: IP pid P: 451|553 TEXT`: P is rblsmtpd's pid = the tcpserver pid; the
// session that follows is rblsmtpd's fake SMTP and nothing is queued.
// Variants: a patched rblsmtpd names the list that matched (`rblsmtpd: IP pid P LIST: 451 …`, real
// in fail2ban's test log; the patch itself was not found); indimail-mta's rblsmtpd.c rbl_out()
// writes `rblsmtpd:  pid P from IP: …` (two spaces) and also logs the fake session's MAIL and RCPT;
// an old rblsmtpd logged through syslog `LIST blocked IP HOST -` with no pid (tjsi.com patch,
// fail2ban's test log; the tag, rblsmtpd, is the framing's).

import type { Captures, SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';
import { ipFields } from './ip.js';

const RX_BLOCK = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): (?<code>451|553)(?: (?<text>.*))?$/;
const RX_BLOCK_LIST = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+) (?<list>[^\s:]+): (?<code>451|553)(?: (?<text>.*))?$/;
const RX_GREETDELAY = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): greetdelay:(?: (?<text>.*))?$/;
const RX_INFO = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): \[RBL info\](?: (?<text>.*))?$/;
const RX_INDI_BLOCK = /^rblsmtpd: {2}pid (?<pid>\d+) from (?<ip>\S*): (?<code>451|553)(?: (?<text>.*))?$/;
const RX_INDI_GREETDELAY = /^rblsmtpd: {2}pid (?<pid>\d+) from (?<ip>\S*): greetdelay:(?: (?<text>.*))?$/;
const RX_INDI_INFO =
  /^rblsmtpd: {2}pid (?<pid>\d+) from (?<ip>\S*): (?<text>Sender <.*>|Recipient <.*>|MAIL with too long address|RCPT with too long address|: Session terminated: quitting)$/;
const RX_LISTED =
  /^(?:rblsmtpd: )?(?<list>[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}) blocked (?<ip>[0-9A-Fa-f.:]+) (?<host>\S+) (?<extra>\S+)$/;

function block(g: Captures): SmtpdEvent | undefined {
  const pid = toInt(g['pid']);
  const code = toInt(g['code']);
  if (pid === undefined || code === undefined) return undefined;
  const list = g['list'];
  return { kind: 'rbl', ...ipFields(g['ip'] ?? ''), pid, code, text: g['text'] ?? '',
    ...(list === undefined ? {} : { list }) };
}

function note(kind: 'rbl_greetdelay' | 'rbl_info', g: Captures): SmtpdEvent | undefined {
  const pid = toInt(g['pid']);
  return pid === undefined ? undefined : { kind, ...ipFields(g['ip'] ?? ''), pid, text: g['text'] ?? '' };
}

export const RBLSMTPD_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'rblsmtpd.block', kind: 'rbl', pattern: RX_BLOCK, provenance: 'real',
    build: block,
    samples: [
      'rblsmtpd: 127.0.0.2 pid 9463: 553 Blocked by lab policy: 127.0.0.2 is listed',
      'rblsmtpd: 127.0.0.3 pid 9492: 451 Temporarily deferred by lab policy: 127.0.0.3',
    ],
  },
  {
    name: 'rblsmtpd.block.list', kind: 'rbl', pattern: RX_BLOCK_LIST, provenance: 'real',
    build: block,
    // test/public/fail2ban-tests-qmail-2006.log, after its splogger stamp
    samples: ['rblsmtpd: 198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 http://www.spamhaus.org/query/bl?ip=198.51.100.77'],
  },
  {
    name: 'rblsmtpd.greetdelay', kind: 'rbl_greetdelay', pattern: RX_GREETDELAY, provenance: 'source',
    build: (g) => note('rbl_greetdelay', g),
    samples: ['rblsmtpd: 2001:db8::7 pid 4711: greetdelay: 5'],
  },
  {
    name: 'rblsmtpd.info', kind: 'rbl_info', pattern: RX_INFO, provenance: 'source',
    build: (g) => note('rbl_info', g),
    samples: ['rblsmtpd: 192.0.2.7 pid 12345: [RBL info] listed in zen.example.org'],
  },
  {
    name: 'rblsmtpd.indimail.block', kind: 'rbl', pattern: RX_INDI_BLOCK, provenance: 'source',
    build: block,
    // indimail-mta ucspi-tcp-x/rblsmtpd.c rblsmtpd_f(): rbl_out(0, 0); ": "; message
    samples: ['rblsmtpd:  pid 4711 from 192.0.2.66: 451 http://www.spamhaus.org/query/bl?ip=192.0.2.66'],
  },
  {
    name: 'rblsmtpd.indimail.greetdelay', kind: 'rbl_greetdelay', pattern: RX_INDI_GREETDELAY, provenance: 'source',
    build: (g) => note('rbl_greetdelay', g),
    samples: ['rblsmtpd:  pid 4711 from 192.0.2.66: greetdelay: 10'],
  },
  {
    name: 'rblsmtpd.indimail.session', kind: 'rbl_info', pattern: RX_INDI_INFO, provenance: 'source',
    build: (g) => note('rbl_info', g),
    // rblsmtp_mail(), rblsmtp_rcpt(), and the end of rblsmtpd_f() (its ": " printed twice)
    samples: ['rblsmtpd:  pid 4711 from 192.0.2.66: Sender <spam@example.net>',
      'rblsmtpd:  pid 4711 from 192.0.2.66: Recipient <postmaster@example.org>',
      'rblsmtpd:  pid 4711 from 192.0.2.66: : Session terminated: quitting'],
  },
  {
    name: 'rblsmtpd.listed', kind: 'rbl_listed', pattern: RX_LISTED, provenance: 'real',
    build: (g) => ({ kind: 'rbl_listed', list: g['list'] ?? '', ...ipFields(g['ip'] ?? ''), host: g['host'] ?? '',
      extra: g['extra'] ?? '' }),
    // test/public/fail2ban-tests-qmail-2006.log, the text after the syslog tag `rblsmtpd:`
    samples: ['relays.ordb.org blocked 193.111.120.47 ordb-test.null.dk -',
      'relays.osirusoft.com blocked 192.203.178.107 sbl.crynwr.com -'],
  },
];

const LISTED: readonly SmtpdFormat[] = RBLSMTPD_FORMATS.filter((f) => f.kind === 'rbl_listed');

/** `rblsmtpd: …` lines, and the old pid-less `LIST blocked IP …` line. */
export function parseRblsmtpd(text: string): SmtpdEvent | undefined {
  if (text.startsWith('rblsmtpd: ')) return matchFormats(RBLSMTPD_FORMATS, text);
  return parseRblListed(text);
}

/** The old `LIST blocked IP HOST X` line alone (any first character: a list's name). */
export function parseRblListed(text: string): SmtpdEvent | undefined {
  return text.includes(' blocked ') ? matchFormats(LISTED, text) : undefined;
}
