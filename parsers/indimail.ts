// indimail-mta's qmail-smtpd lines (indimail-mta-x/smtpd.c). logerr(1, …) starts every line with
// `qmail-smtpd: pid P from IP ` (no ` from IP` without TCPREMOTEIP); after DATA, log_trans() writes
// one line per recipient, `… HELO <H> MAIL from <S> RCPT <R> AUTH <A> Size: N TLS=T` plus the
// X-Bogosity line bogofilter returned (the " " log_trans() adds makes two spaces before HELO);
// err_queue() writes the queue's refusal `… QQX (permanent|temporary): HELO <…> … TLS=T qp Q`, with
// the qp of the refused message. The LOGFILTER fifo (read by qcat into its own log) gets
// `qmail-smtpd: pid P MAIL from <S> RCPT <R> Size: N X-Bogosity: …` from qmail-smtpd and the same
// as `qmail-local: pid P …`/`qmail-remote: pid P …` from spawn-filter at delivery. Older versions
// wrote `MAIL from: <S>`, no TLS= and one space (the rsmtp.sh comment's real line).
// A failed SMTP AUTH (err_authfailure, err_authinsecure): `… AUTH USER [U] status=[N] AUTH M TLS=T
// auth failure`, and `… AUTH Mstatus=[N] TLS=T auth failure` (no space: the source's).

import type { Bogosity, Captures, SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';
import { ipFields } from './ip.js';

const RX_ACCEPTED =
  /^qmail-smtpd: pid (?<pid>\d+)(?: from (?<ip>\S*))? {1,2}HELO <(?<helo>[^>]*)> MAIL from:? <(?<from>[^>]*)> RCPT <(?<rcpt>[^>]*)> AUTH <(?<auth>[^>]*)> Size: (?<size>\d+)(?: TLS=(?<tls>\S+))?(?: (?<bogo>X-Bogo[sc]ity: .*))?$/;
const RX_NOTIFY =
  /^qmail-smtpd: pid (?<pid>\d+)(?: from (?<ip>\S*))? {1,2}NOTIFY: MAIL from <(?<from>[^>]*)> RCPT <(?<rcpt>[^>]*)> Size: (?<size>\d+)(?: TLS=(?<tls>\S+))?$/;
const RX_QUEUE_ERROR =
  /^qmail-smtpd: pid (?<pid>\d+)(?: from (?<ip>\S*))? (?<error>.*?) \((?<perm>permanent|temporary)\): HELO <(?<helo>[^>]*)> MAIL from <(?<from>[^>]*)> RCPT <(?<rcpt>[^>]*)> AUTH <(?<auth>[^>]*)> Size: (?<size>\d+)(?: (?<bogo>X-Bogo[sc]ity: .*?))? TLS=(?<tls>\S+) qp (?<qp>\d+)$/;
const RX_FIFO =
  /^(?<prog>qmail-smtpd|qmail-local|qmail-remote): pid (?<pid>\d+) MAIL from <(?<from>[^>]*)> RCPT <(?<rcpt>[^>]*)> Size: (?<size>\d+)(?: (?<bogo>X-Bogo[sc]ity: .*))?$/;
const RX_AUTH_FAILURE =
  /^qmail-smtpd: pid (?<pid>\d+)(?: from (?<ip>\S*))? {1,2}AUTH (?:USER \[(?<user>[^\]]*)\] status=\[(?<status>-?\d*)\] AUTH (?<method>\S*) |(?<method2>[A-Za-z0-9-]*?) ?status=\[(?<status2>-?\d*)\] )TLS=(?<tls>\S+) auth failure$/;
const RX_OTHER =
  /^qmail-smtpd: pid (?<pid>\d+) from (?<ip>\S+) (?! ?HELO <| ?NOTIFY: | ?AUTH (?:USER \[|\S*status=\[).*auth failure$)(?!.*\((?:permanent|temporary)\): HELO <)(?<text>.+)$/;

const RX_SPAMICITY = /(?:spamicity|spam probability)=(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i;

/** `X-Bogosity: Spam, tests=bogofilter, spamicity=0.99, …` → its verdict and spamicity. */
export function bogosity(header: string | undefined): Bogosity | null {
  if (header === undefined) return null;
  const text = header.slice(header.indexOf(':') + 2);
  const comma = text.indexOf(',');
  const sp = RX_SPAMICITY.exec(text);
  return { verdict: (comma < 0 ? text : text.slice(0, comma)).trim(), spamicity: sp === null ? null : Number(sp[1]), text };
}

function event(line: 'accepted' | 'notify' | 'queue_error' | 'fifo' | 'auth_failure' | 'other', g: Captures): SmtpdEvent | undefined {
  const pid = toInt(g['pid']);
  if (pid === undefined) return undefined;
  const ip = g['ip'];
  const perm = g['perm'];
  const status = g['status'] ?? g['status2'];
  return {
    kind: 'indimail', program: g['prog'] ?? 'qmail-smtpd', pid, line,
    ...(ip === undefined ? { ip: null } : ipFields(ip)),
    helo: g['helo'] ?? null, from: g['from'] ?? null, rcpt: g['rcpt'] ?? null, auth: g['auth'] ?? g['user'] ?? null,
    size: toInt(g['size']) ?? null, tls: g['tls'] ?? null, bogosity: bogosity(g['bogo']),
    error: g['error'] ?? (status === undefined ? null : `status=[${status}]`),
    permanent: perm === undefined ? null : perm === 'permanent',
    qp: toInt(g['qp']) ?? null, method: g['method'] ?? g['method2'] ?? null, text: g['text'] ?? '',
  };
}

export const INDIMAIL_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'indimail.accepted', kind: 'indimail', pattern: RX_ACCEPTED, provenance: 'real',
    build: (g) => event('accepted', g),
    // test/public/indimail-rsmtp-comment-2004.log (a log line quoted in indimail-mta's rsmtp.sh)
    samples: ['qmail-smtpd: pid 1821 from 127.0.0.1 HELO <localhost.localdomain> MAIL from: <jbks@tca-os.de> RCPT <yahoo> AUTH <local-rcpt> Size: 2281 X-Bogocity: No, spam probability=0.208748, cutoff=5.11e-01'],
    // smtpd.c log_trans(); the qmail-smtpd.9 example (joined, its line breaks were the man page's)
    sourceSamples: [
      'qmail-smtpd: pid 4711 from 192.0.2.10  HELO <mail.example.org> MAIL from <alice@example.org> RCPT <bob@example.net> AUTH <local-rcpt> Size: 2281 TLS=TLSv1.3 X-Bogosity: Ham, tests=bogofilter, spamicity=0.000012, version=1.2.5',
      'qmail-smtpd: pid 4712 from 198.51.100.20  HELO <laptop> MAIL from <alice@example.org> RCPT <carol@example.com> AUTH <alice@example.org: AUTH LOGIN> Size: 812 TLS=No',
      'qmail-smtpd: pid 14544 from ::ffff:127.0.0.1 HELO <indimail.org> MAIL from <newsletter_xxx@example.com> RCPT <mailstore@indimail.org> AUTH <local-rcpt> Size: 245988 X-Bogosity: No, spamicity=0.578967, cutoff=9.90e-01, ham_cutoff=0.00e+00, queueID=x18cs40485wff, msgID=<Newsletter_xxx@example.com>, ipaddr=217.73.48.143',
    ],
  },
  {
    name: 'indimail.notify', kind: 'indimail', pattern: RX_NOTIFY, provenance: 'source',
    build: (g) => event('notify', g),
    samples: ['qmail-smtpd: pid 4713 from 192.0.2.10  NOTIFY: MAIL from <> RCPT <alice@example.org> Size: 1200 TLS=No'],
  },
  {
    name: 'indimail.queue_error', kind: 'indimail', pattern: RX_QUEUE_ERROR, provenance: 'source',
    build: (g) => event('queue_error', g),
    // smtpd.c err_queue(): qqx without its first letter, then " (permanent): " or " (temporary): "
    samples: ['qmail-smtpd: pid 4714 from 203.0.113.9 mail server permanently rejected message (#5.3.0) (permanent): HELO <spam.example> MAIL from <x@spam.example> RCPT <bob@example.net> AUTH <local-rcpt> Size: 5120 X-Bogosity: Spam, tests=bogofilter, spamicity=0.999, version=1.2.5 TLS=No qp 4716'],
  },
  {
    name: 'indimail.fifo', kind: 'indimail', pattern: RX_FIFO, provenance: 'source',
    build: (g) => event('fifo', g),
    // smtpd.c log_fifo() and spawn-filter.c, read by qcat from the LOGFILTER fifo
    samples: [
      'qmail-smtpd: pid 4711 MAIL from <alice@example.org> RCPT <bob@example.net> Size: 2281 X-Bogosity: Ham, tests=bogofilter, spamicity=0.000012, version=1.2.5',
      'qmail-local: pid 4790 MAIL from <alice@example.org> RCPT <bob@example.net> Size: 2281 X-Bogosity: Spam, tests=bogofilter, spamicity=0.991, version=1.2.5',
    ],
  },
  {
    name: 'indimail.auth_failure', kind: 'indimail', pattern: RX_AUTH_FAILURE, provenance: 'source',
    build: (g) => event('auth_failure', g),
    samples: [
      'qmail-smtpd: pid 4717 from 203.0.113.80  AUTH USER [admin@example.org] status=[1] AUTH LOGIN TLS=No auth failure',
      'qmail-smtpd: pid 4718 from 203.0.113.81  AUTH PLAINstatus=[1] TLS=No auth failure',
    ],
  },
  {
    name: 'indimail.other', kind: 'indimail', pattern: RX_OTHER, provenance: 'source',
    build: (g) => event('other', g),
    // smtpd.c logerr(1, …) calls; the last two as indimail's rsmtpfailures.sh lists the shapes it counts
    samples: [
      'qmail-smtpd: pid 4715 from 203.0.113.9 Invalid RECIPIENT address: MAIL from <x@spam.example> RCPT nobody@example.net',
      'qmail-smtpd: pid 4716 from 203.0.113.9 SMTP Protocol violation - Early Talking',
      'qmail-smtpd: pid 1821 from 127.0.0.1 Invalid RELAY client: MAIL from: <mbhangui@indi.com>, RCPT <mbhangui@yahoo.com>',
      'qmail-smtpd: pid 1821 from 127.0.0.1 Too many RECIPIENTS: MAIL from <a@indi.com> Last RCPT <a@indi.com>',
    ],
  },
];

/** indimail lines: `qmail-smtpd: pid P from IP …` and the LOGFILTER fifo's `PROG: pid P MAIL from <…>`. */
export function parseIndimail(text: string): SmtpdEvent | undefined {
  return matchFormats(INDIMAIL_FORMATS, text);
}
