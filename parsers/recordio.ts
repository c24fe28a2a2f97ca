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
// be stripped — src/correlate/sessions.ts does the joining). A complete line whose text really ends
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

// ---------------------------------------------------------------------------------------------
// SMTP replies

/** Why a reply refused something, for the replies qmail-smtpd and the common patches print. */
export type ReplyReason =
  | 'rcpthosts' | 'badmailfrom' | 'badrcptto' | 'databytes' | 'loop' | 'qqt' | 'timeout' | 'bare_lf'
  | 'syntax' | 'mail_first' | 'rcpt_first' | 'unimplemented' | 'chkuser' | 'no_mailbox' | 'queue'
  | 'auth' | 'auth_required' | 'too_many_rcpts' | 'resources' | 'other';

export interface SmtpReply {
  readonly code: number;
  readonly more: boolean;         // '250-…': more lines of the same reply follow
  readonly text: string;
  readonly qp?: number;           // `250 ok T qp Q`: pid of what $QMAILQUEUE exec'd
  readonly time?: number;         // T: unix seconds when qmail-smtpd accepted the message
  readonly reason?: ReplyReason;  // only for 4xx/5xx
}

const RX_REPLY = /^(?<code>[1-5]\d\d)(?:(?<sep>[ -])(?<text>[\s\S]*))?$/;
const RX_QP = /^ok (?<time>\d+) qp (?<qp>\d+)/;

/** 4xx/5xx texts, in order; the first match names the reason. */
const REPLY_REASONS: readonly (readonly [RegExp, ReplyReason])[] = [
  [/\(chkuser\)/i, 'chkuser'],
  [/allowed rcpthosts/i, 'rcpthosts'],
  [/badmailfrom|envelope sender (?:has been denied|is invalid)|invalid sender address/i, 'badmailfrom'],
  [/badrcptto|envelope recipient has been denied|not in my validrcptto/i, 'badrcptto'],
  [/databytes|message size exceeds/i, 'databytes'],
  [/too many hops|looping/i, 'loop'],
  [/qqt failure/i, 'qqt'],
  [/^timeout|\btimeout \(#4\.4\.2\)/i, 'timeout'],
  [/smtplf|bare line feeds/i, 'bare_lf'],
  [/syntax error|malformed/i, 'syntax'],
  [/MAIL first/, 'mail_first'],
  [/RCPT first/, 'rcpt_first'],
  [/unimplemented|unrecogni[sz]ed/i, 'unimplemented'],
  [/no mailbox|no such user|mailbox unavailable/i, 'no_mailbox'],
  [/^qq |mail server (?:permanently|temporarily) rejected|connection to mail server|communication with mail server|envelope address too long/i, 'queue'],
  [/authentication required|authorization required|auth(?:entication)? not available/i, 'auth_required'],
  [/authentication failed|auth exchange|auth type/i, 'auth'],
  [/too many recipients|max rcpt/i, 'too_many_rcpts'],
  [/out of memory|unable to read controls|unable to figure out|unable to fork|unable to verify|unable to execute/i, 'resources'],
];

/** Parse one reply line as qmail-smtpd writes it (CR already stripped). */
export function parseSmtpReply(text: string): SmtpReply | undefined {
  const m = RX_REPLY.exec(text);
  if (m === null) return undefined;
  const g = m.groups ?? {};
  const code = toInt(g['code']);
  if (code === undefined) return undefined;
  const body = g['text'] ?? '';
  const more = g['sep'] === '-';
  if (code === 250 && !more) {
    const q = RX_QP.exec(body);
    if (q !== null) {
      const qp = toInt(q.groups?.['qp']);
      const time = toInt(q.groups?.['time']);
      if (qp !== undefined && time !== undefined) return { code, more, text: body, qp, time };
    }
  }
  if (code >= 400) {
    for (const [rx, reason] of REPLY_REASONS) if (rx.test(body)) return { code, more, text: body, reason };
    return { code, more, text: body, reason: 'other' };
  }
  return { code, more, text: body };
}

// ---------------------------------------------------------------------------------------------
// SMTP commands

export type SmtpVerb =
  | 'HELO' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | 'RSET' | 'QUIT' | 'NOOP' | 'VRFY' | 'HELP' | 'AUTH'
  | 'STARTTLS' | 'OTHER';

export interface SmtpCommand {
  readonly verb: SmtpVerb;
  readonly word: string;          // the command word as sent
  readonly arg: string;           // everything after the first space, leading spaces skipped
  readonly addr?: string;         // MAIL/RCPT: the address as qmail-smtpd's addrparse() sees it
}

const VERBS: ReadonlyMap<string, SmtpVerb> = new Map<string, SmtpVerb>([
  ['HELO', 'HELO'], ['EHLO', 'EHLO'], ['MAIL', 'MAIL'], ['RCPT', 'RCPT'], ['DATA', 'DATA'],
  ['RSET', 'RSET'], ['QUIT', 'QUIT'], ['NOOP', 'NOOP'], ['VRFY', 'VRFY'], ['HELP', 'HELP'],
  ['AUTH', 'AUTH'], ['STARTTLS', 'STARTTLS'],
]);

/**
 * netqmail/notqmail addrparse(): the address starts after the first '<' and ends at '>' outside
 * quotes, with quotes and backslash escapes removed; without '<' it starts after the first ':'
 * (spaces skipped) and ends at a space. A leading source route (`@a,@b:`) is dropped.
 */
export function smtpAddress(arg: string): string {
  let i = arg.indexOf('<');
  let terminator = '>';
  if (i >= 0) i += 1;
  else {
    terminator = ' ';
    i = arg.indexOf(':');
    i = i < 0 ? arg.length : i + 1;
    while (arg.charCodeAt(i) === 32) i += 1;
  }
  if (arg.charCodeAt(i) === 64 /* @ */) {
    const colon = arg.indexOf(':', i);
    i = colon < 0 ? arg.length : colon + 1;
  }
  let out = '';
  let esc = false;
  let quoted = false;
  for (; i < arg.length; i += 1) {
    const ch = arg.charAt(i);
    if (esc) { out += ch; esc = false; continue; }
    if (!quoted && ch === terminator) break;
    if (ch === '\\') esc = true;
    else if (ch === '"') quoted = !quoted;
    else out += ch;
  }
  return out;
}

/** Split a client line into qmail-smtpd's command word and argument. */
export function parseSmtpCommand(text: string): SmtpCommand {
  const sp = text.indexOf(' ');
  const word = sp < 0 ? text : text.slice(0, sp);
  let a = sp < 0 ? text.length : sp;
  while (text.charCodeAt(a) === 32) a += 1;
  const arg = text.slice(a);
  const verb = VERBS.get(word.toUpperCase()) ?? 'OTHER';
  if (verb === 'MAIL' || verb === 'RCPT') return { verb, word, arg, addr: smtpAddress(arg) };
  return { verb, word, arg };
}
