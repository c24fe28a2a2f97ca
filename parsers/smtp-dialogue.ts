// The SMTP text recordio carries, as typed values: a client line → a command (verb, argument,
// address) or, while the server reads a message body or an AUTH response, a body line or that
// response; a server line → a reply (code, final or continued, text, qp, the reason of a refusal).
// Pure: which mode the server is reading in is given by the caller (src/correlate/smtpd/).

import type { RecordioCr } from './smtpd-events.js';
import { toInt } from './format.js';

// ---------------------------------------------------------------------------------------------
// Replies

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

/** 4xx/5xx texts, in order of precedence: the first rule that matches anywhere names the reason.
 *  [reason, pattern, case-insensitive]. */
const REPLY_REASONS: readonly (readonly [ReplyReason, string, boolean])[] = [
  ['chkuser', String.raw`\(chkuser\)`, true],
  ['rcpthosts', String.raw`allowed rcpthosts`, true],
  ['badmailfrom', String.raw`badmailfrom|envelope sender (?:has been denied|is invalid)|invalid sender address`, true],
  ['badrcptto', String.raw`badrcptto|envelope recipient has been denied|not in my validrcptto`, true],
  ['databytes', String.raw`databytes|message size exceeds`, true],
  ['loop', String.raw`too many hops|looping`, true],
  ['qqt', String.raw`qqt failure`, true],
  ['timeout', String.raw`^timeout|\btimeout \(#4\.4\.2\)`, true],
  ['bare_lf', String.raw`smtplf|bare line feeds`, true],
  ['syntax', String.raw`syntax error|malformed`, true],
  ['mail_first', String.raw`MAIL first`, false],
  ['rcpt_first', String.raw`RCPT first`, false],
  ['unimplemented', String.raw`unimplemented|unrecogni[sz]ed`, true],
  ['no_mailbox', String.raw`no mailbox|no such user|mailbox unavailable`, true],
  ['queue', String.raw`^qq |mail server (?:permanently|temporarily) rejected|connection to mail server|communication with mail server|envelope address too long`, true],
  ['auth_required', String.raw`authentication required|authorization required|auth(?:entication)? not available`, true],
  ['auth', String.raw`authentication failed|auth exchange|auth type`, true],
  ['too_many_rcpts', String.raw`too many recipients|max rcpt`, true],
  ['resources', String.raw`out of memory|unable to read controls|unable to figure out|unable to fork|unable to verify|unable to execute`, true],
];

/** A pattern's source made case-insensitive by letter classes, so that case-sensitive and
 *  insensitive rules share one regex (Node 20 has no `(?i:…)`). Handles escapes and classes. */
function caseless(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i += 1) {
    const ch = src.charAt(i);
    if (ch === '\\') { out += ch + src.charAt(i + 1); i += 1; continue; }
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    out += lo === up ? ch : inClass ? lo + up : `[${lo}${up}]`;
  }
  return out;
}

/** RULES[k]: one regex of the first k rules, each its own group (sticky-free, global for lastIndex). */
const RULES: RegExp[] = [];
function rulesBefore(k: number): RegExp {
  let rx = RULES[k];
  if (rx === undefined) {
    rx = new RegExp(REPLY_REASONS.slice(0, k).map(([, src, ci]) => `(${ci ? caseless(src) : src})`).join('|'), 'g');
    RULES[k] = rx;
  }
  return rx;
}

/**
 * The reason of a 4xx/5xx text in one left-to-right scan: the combined regex finds the leftmost
 * place where some rule matches (the lowest rule there, by alternation order); after it only rules
 * of higher precedence are looked for, from the next character on. The result is the rule that
 * comes first in REPLY_REASONS among all that match, as when each was tried in turn.
 */
export function replyReason(text: string): ReplyReason {
  let best = REPLY_REASONS.length;
  let from = 0;
  while (best > 0 && from <= text.length) {
    const rx = rulesBefore(best);
    rx.lastIndex = from;
    const m = rx.exec(text);
    if (m === null) break;
    let k = 1;
    while (m[k] === undefined) k += 1;
    best = k - 1;
    from = m.index + 1;
  }
  return best === REPLY_REASONS.length ? 'other' : REPLY_REASONS[best]![0];
}

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
  if (code >= 400) return { code, more, text: body, reason: replyReason(body) };
  return { code, more, text: body };
}

// ---------------------------------------------------------------------------------------------
// Commands

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
  const stop = arg.indexOf(terminator, i);
  const end = stop < 0 ? arg.length : stop;
  const quote = arg.indexOf('"', i);
  const bs = arg.indexOf('\\', i);
  if ((quote < 0 || quote >= end) && (bs < 0 || bs >= end)) return arg.slice(i, end);   // the usual address
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
  const verb = VERBS.get(word) ?? VERBS.get(word.toUpperCase()) ?? 'OTHER';   // clients mostly send upper case
  if (verb === 'MAIL' || verb === 'RCPT') return { verb, word, arg, addr: smtpAddress(arg) };
  return { verb, word, arg };
}

/** AUTH's argument: the mechanism (upper case, at most 32 chars) and the initial response if any. */
export function authArgument(arg: string): { readonly mechanism: string | null; readonly initial: string | null } {
  const sp = arg.indexOf(' ');
  const mech = (sp < 0 ? arg : arg.slice(0, sp)).toUpperCase().slice(0, 32);
  return { mechanism: mech.length > 0 ? mech : null, initial: sp < 0 ? null : arg.slice(sp + 1).trim() };
}

// ---------------------------------------------------------------------------------------------
// Client lines by what the server is reading

/** What qmail-smtpd reads the client's next line as. */
export type ReadingMode = 'cmd' | 'body' | 'auth' | 'tls';

/** A complete client line as recordio's records give it (joined, CR stripped). */
export interface ClientLine {
  readonly text: string;
  readonly bytes: number;         // UTF-8 bytes of the line as sent, without its line ending
  readonly cr: RecordioCr;        // the CR before the newline, if any
  readonly eof: boolean;          // the client closed before the newline
}

export type ClientEvent =
  | { readonly kind: 'command'; readonly cmd: SmtpCommand }
  | { readonly kind: 'body'; readonly bytes: number }            // bytes on the wire, line ending counted
  | { readonly kind: 'body_end' }                                 // the lone '.'
  | { readonly kind: 'auth_response'; readonly response: string | null }  // null: closed instead

/** The meaning of a client line in a mode; undefined when it means nothing to the dialogue. */
export function clientEvent(mode: ReadingMode, line: ClientLine): ClientEvent | undefined {
  switch (mode) {
    case 'cmd': return line.eof ? undefined : { kind: 'command', cmd: parseSmtpCommand(line.text) };
    case 'body':
      if (line.text === '.' && !line.eof) return BODY_END;
      return { kind: 'body', bytes: line.bytes + (line.eof ? 0 : line.cr === '' ? 1 : 2) };
    case 'auth': return { kind: 'auth_response', response: line.eof ? null : line.text.trim() };
    case 'tls': return undefined;
  }
}

const BODY_END: ClientEvent = { kind: 'body_end' };
