// recordio lines (ucspi-tcp recordio.c), formats.md §4.1, and the SMTP text they carry.
// `P < TEXT` is what the client sent, `P > TEXT` what qmail-smtpd answered. recordio splits each
// read at '\n' and writes every piece as `P<sp><dir><sp>` + bytes + ' ' (the piece ended with a
// newline) or + '+' (it did not: the line continues in the next record of the same pid and
// direction). The CR of a CRLF line stays before the trailing space: raw '\r' in multilog, '?'
// when the line went through splogger (every byte < 32 becomes '?'). `P < [EOF]` / `P > [EOF]`
// mark the two ends closing.
//
// For a complete line the parser strips that CR and says which form it had (`cr`); a partial piece
// is returned raw (a CR split from its LF sits at the end of the piece, so only the joined line can
// be stripped — src/correlate/smtpd/recordio-join.ts does the joining). A complete line whose text really ends
// in '?' without a CR is indistinguishable from the syslog form and loses that '?'.

import type { SmtpdEvent, SmtpdFormat } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';

const RX_EOF = /^(?<pid>\d+) (?<dir>[<>]) \[EOF\]$/;
const RX_IN = /^(?<pid>\d+) < (?<text>[\s\S]*)(?<end>[ +])$/;
const RX_OUT = /^(?<pid>\d+) > (?<text>[\s\S]*)(?<end>[ +])$/;

function record(kind: 'rec_in' | 'rec_out', pidS: string | undefined, raw: string, end: string | undefined):
  SmtpdEvent | undefined {
  const pid = toInt(pidS);
  if (pid === undefined) return undefined;
  if (end === '+') return { kind, pid, text: raw, partial: true, cr: '' };
  const last = raw.charCodeAt(raw.length - 1);
  if (last === 13) return { kind, pid, text: raw.slice(0, -1), partial: false, cr: '\r' };
  if (last === 63) return { kind, pid, text: raw.slice(0, -1), partial: false, cr: '?' };
  return { kind, pid, text: raw, partial: false, cr: '' };
}

export const RECORDIO_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'recordio.eof', kind: 'rec_eof', pattern: RX_EOF, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      return pid === undefined ? undefined : { kind: 'rec_eof', pid, dir: g['dir'] === '<' ? 'in' : 'out' };
    },
    samples: ['9186 > [EOF]', '9194 < [EOF]'],
  },
  {
    name: 'recordio.in', kind: 'rec_in', pattern: RX_IN, provenance: 'real',
    build: (g) => record('rec_in', g['pid'], g['text'] ?? '', g['end']),
    samples: [
      '9186 < HELO client.lab.test\r ',
      '9228 < Lab message b1-009: program |/bin/true + maild+',
      '9330 <  ',
      '23287 < MAIL FROM:<j??rg@r2.remote.test>? ',
      '23792 < .?+',
    ],
  },
  {
    name: 'recordio.out', kind: 'rec_out', pattern: RX_OUT, provenance: 'real',
    build: (g) => record('rec_out', g['pid'], g['text'] ?? '', g['end']),
    samples: ['9186 > 250 ok 1795628986 qp 9188\r ', '23196 > 250 ok 1795629956 qp 23198? ', '9394 > 250-PIPELINING\r '],
  },
];

/** `P < …`, `P > …` lines. */
export function parseRecordio(text: string): SmtpdEvent | undefined {
  const c = text.charCodeAt(0);
  if (c < 48 || c > 57) return undefined;
  return matchFormats(RECORDIO_FORMATS, text);
}

// The SMTP text the records carry is read by ./smtp-dialogue.ts; these names stay importable from
// here for the add-on parsers that use them.
export { parseSmtpCommand, parseSmtpReply, smtpAddress } from './smtp-dialogue.js';
export type { ReplyReason, SmtpCommand, SmtpReply, SmtpVerb } from './smtp-dialogue.js';
