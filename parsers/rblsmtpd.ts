// rblsmtpd lines (ucspi-tcp 0.88 rblsmtpd.c; ucspi-tcp6 0.99a adds greetdelay and [RBL info]),
// formats.md §4.2. `rblsmtpd: IP pid P: 451|553 TEXT`: P is rblsmtpd's pid = the tcpserver pid; the
// session that follows is rblsmtpd's fake SMTP and nothing is queued.

import type { SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';

const RX_BLOCK = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): (?<code>451|553)(?: (?<text>.*))?$/;
const RX_GREETDELAY = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): greetdelay:(?: (?<text>.*))?$/;
const RX_INFO = /^rblsmtpd: (?<ip>\S+) pid (?<pid>\d+): \[RBL info\](?: (?<text>.*))?$/;

export const RBLSMTPD_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'rblsmtpd.block', kind: 'rbl', pattern: RX_BLOCK, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      const code = toInt(g['code']);
      if (pid === undefined || code === undefined) return undefined;
      return { kind: 'rbl', ip: g['ip'] ?? '', pid, code, text: g['text'] ?? '' };
    },
    samples: [
      'rblsmtpd: 127.0.0.2 pid 9463: 553 Blocked by lab policy: 127.0.0.2 is listed',
      'rblsmtpd: 127.0.0.3 pid 9492: 451 Temporarily deferred by lab policy: 127.0.0.3',
    ],
  },
  {
    name: 'rblsmtpd.greetdelay', kind: 'rbl_greetdelay', pattern: RX_GREETDELAY, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      return pid === undefined ? undefined : { kind: 'rbl_greetdelay', ip: g['ip'] ?? '', pid, text: g['text'] ?? '' };
    },
    samples: ['rblsmtpd: 2001:db8::7 pid 4711: greetdelay: 5'],
  },
  {
    name: 'rblsmtpd.info', kind: 'rbl_info', pattern: RX_INFO, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      return pid === undefined ? undefined : { kind: 'rbl_info', ip: g['ip'] ?? '', pid, text: g['text'] ?? '' };
    },
    samples: ['rblsmtpd: 192.0.2.7 pid 12345: [RBL info] listed in zen.example.org'],
  },
];

/** `rblsmtpd: …` lines. */
export function parseRblsmtpd(text: string): SmtpdEvent | undefined {
  if (!text.startsWith('rblsmtpd: ')) return undefined;
  return matchFormats(RBLSMTPD_FORMATS, text);
}
