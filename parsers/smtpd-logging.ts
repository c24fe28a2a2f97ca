// Lines of qmail-smtpd logging patches that neither a C source nor a real log was found for: the
// shapes are those issue 12 quotes (provenance 'unverified'), so each pattern takes only what the
// quote shows and a line that strays from it stays unknown rather than half-read.
//   goodrcptto (Eben Pratt's patch): `qmail-smtpd: !ok PID Bad recipient user ADDR from S by IP (HELO H).`
//   `mail recv: pid P from <S> qp Q`: P = qmail-smtpd's pid, Q = the qp of the message it queued
//     (the `250 ok … qp Q` of the dialogue and qmail-send's `info msg … qp Q`): an exact link.
//   `policy_check: local A -> remote B (AUTHENTICATED SENDER)`: no pid; A is the sender.
// And a real one whose patch was not found: `qmail-smtpd: 421 badiprbl: ip IP rbl: LIST` (fail2ban's
// test log), a qmail-smtpd that checks RBLs itself and turns the client away.

import type { SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';
import { ipFields, unmapIp } from './ip.js';

const RX_GOODRCPTTO =
  /^qmail-smtpd: (?<ok>!?ok) (?<pid>\d+) (?<text>Bad recipient user (?<rcpt>\S*) from (?<sender>\S*) by (?<ip>\S+) \(HELO (?<helo>[^)]*)\)\.)$/;
const RX_BADIPRBL = /^qmail-smtpd: (?<code>[45]\d\d) badiprbl: ip (?<ip>\S+) rbl: (?<list>\S+)$/;
const RX_RECV = /^mail recv: pid (?<pid>\d+) from <(?<sender>[^>]*)> qp (?<qp>\d+)$/;
const RX_POLICY =
  /^policy_check: (?<fs>[a-z]+) (?<from>\S+) -> (?<ts>[a-z]+) (?<to>\S+)(?: \((?<note>[^()]*)\))?$/;

/** `<a@b>` → `a@b` (a collector that reads these lines expects either). */
function unbracket(s: string | undefined): string {
  if (s === undefined) return '';
  return s.length >= 2 && s.charCodeAt(0) === 60 && s.charCodeAt(s.length - 1) === 62 ? s.slice(1, -1) : s;
}

export const QMAIL_SMTPD_LOG_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'goodrcptto.bad', kind: 'goodrcptto', pattern: RX_GOODRCPTTO, provenance: 'unverified',
    build: (g) => {
      const pid = toInt(g['pid']);
      if (pid === undefined) return undefined;
      return { kind: 'goodrcptto', pid, ok: g['ok'] === 'ok', text: g['text'] ?? '', rcpt: g['rcpt'] ?? null,
        sender: g['sender'] ?? null, ip: unmapIp(g['ip'] ?? ''), helo: g['helo'] ?? null };
    },
    samples: ['qmail-smtpd: !ok 4711 Bad recipient user nobody@example.net from x@spam.example by 203.0.113.66 (HELO spam.example).'],
  },
  {
    name: 'smtpd.badiprbl', kind: 'smtpd_rbl', pattern: RX_BADIPRBL, provenance: 'real',
    build: (g) => {
      const code = toInt(g['code']);
      return code === undefined ? undefined
        : { kind: 'smtpd_rbl', code, ...ipFields(g['ip'] ?? ''), list: g['list'] ?? '' };
    },
    // test/public/fail2ban-tests-qmail.log, after its splogger stamp
    samples: ['qmail-smtpd: 421 badiprbl: ip 198.51.100.54 rbl: example.com'],
  },
];

export const SMTPD_LOGGING_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'smtpd.recv', kind: 'smtpd_recv', pattern: RX_RECV, provenance: 'unverified',
    build: (g) => {
      const pid = toInt(g['pid']);
      const qp = toInt(g['qp']);
      return pid === undefined || qp === undefined ? undefined : { kind: 'smtpd_recv', pid, sender: g['sender'] ?? '', qp };
    },
    samples: ['mail recv: pid 4711 from <alice@example.org> qp 4713', 'mail recv: pid 4720 from <> qp 4722'],
  },
  {
    name: 'smtpd.policy', kind: 'smtpd_policy', pattern: RX_POLICY, provenance: 'unverified',
    build: (g) => {
      const note = g['note'] ?? null;
      return { kind: 'smtpd_policy', fromScope: g['fs'] ?? '', from: unbracket(g['from']), toScope: g['ts'] ?? '',
        to: unbracket(g['to']), authenticated: note === 'AUTHENTICATED SENDER', note };
    },
    samples: ['policy_check: local alice@example.org -> remote bob@example.com (AUTHENTICATED SENDER)',
      'policy_check: remote x@example.com -> local bob@example.org'],
  },
];

/** `mail recv: …` and `policy_check: …` lines. */
export function parseSmtpdLogging(text: string): SmtpdEvent | undefined {
  return text.startsWith('mail recv: ') || text.startsWith('policy_check: ')
    ? matchFormats(SMTPD_LOGGING_FORMATS, text) : undefined;
}
