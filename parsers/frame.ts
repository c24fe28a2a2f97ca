// Framing: one raw log line → stamp, host, tag and the program's own text.
// Detected per line, because one syslog file mixes programs and a pipe may carry any framing.

import { civilToStamp, decodeUnixDecimal, tai64nUsAt, type ZoneResolver } from './timestamp.js';

// tai64nlocal also covers the readable-datetime multilog patches and s6-log's T (same
// `YYYY-MM-DD HH:MM:SS.f` shape); asctime is the multilog "localtime" patch (`Sat Dec 19 03:02:51 2009  text`);
// svlogd is runit's multilog (`2009-12-19_03:02:51.123456789 text`, UTC).
export type Framing = 'multilog' | 'tai64nlocal' | 'asctime' | 'svlogd' | 'unix' | 'rfc3164' | 'rfc3339' | 'rfc5424' | 'none';

export interface Frame {
  readonly framing: Framing;
  readonly us: number | undefined;    // the line's time, unix µs; undefined: no usable time on it
  readonly host: string | undefined;  // syslog hostname; undefined for multilog and friends
  readonly tag: string | undefined;   // syslog tag (splogger's argv[1]) without [pid]
  /** The tag's `[pid]` (Plesk's qmail-queue-handlers[PID] is the message's qp). */
  readonly pid: number | undefined;
  readonly text: string;              // what the program wrote
  /** splogger continuation (`STAMP+rest`): `text` continues the previous line of this tag. */
  readonly continued: boolean;
  /** The stamp is a zone-less local time (tai64nlocal, asctime, RFC 3164): a DST fold makes it ambiguous. */
  readonly local: boolean;
}

export interface FrameContext {
  /** Zone for zone-less local times (tai64nlocal, asctime, RFC 3164). */
  readonly zone: ZoneResolver;
  /** Year for an RFC 3164 stamp of this month (stateful inference lives with the caller). */
  readonly yearFor: (month: number) => number;
  /** Restricts detection to one framing (`--format`); undefined = auto. */
  readonly only?: Framing | undefined;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

// runit's and busybox's svlogd -tt (`_`) and -ttt (`T`): UTC, always 9 digits (busybox: µs + `000`)
const RX_SVLOGD = /^(\d{4})-(\d\d)-(\d\d)[_T](\d\d):(\d\d):(\d\d)\.(\d{9}) /;
// s6-log's T action writes the same stamp followed by two blanks
const RX_LOCAL = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? {1,2}/;
const RX_3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d) (\S+) (.*)$/s;
const RX_5424 = /^<\d{1,3}>1 (\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d) (\S+) (\S+) \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?(.*)$/s;
// journald's short-precise adds a fraction to the 3164 stamp; pasted logs lose a day's pad blank
const RX_3164 = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ( \d|\d\d|\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? (\S+) (.*)$/s;
const RX_TAG = /^([^\s:[\]]+)(?:\[\d+\])?: ?(.*)$/s;
// A tag with spaces only when a [pid] closes it (Plesk's `greylisting filter[PID]:`).
const RX_TAG_SPACED = /^([^:[\]]{1,64})\[\d+\]: ?(.*)$/s;
// asctime(3) as the multilog "localtime" patch writes it: 24 characters, then two spaces.
const RX_ASCTIME = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}) ( \d|\d\d) (\d\d):(\d\d):(\d\d) (\d{4})(?: {1,2}|$)/;
const WEEKDAYS = 'SunMonTueWedThuFriSat';
const DAY_MS = 86_400_000;
const RX_UNIX = /^(\d{9,11}\.\d{1,9})([ +])/;

function offsetOf(z: string): number {
  if (z === 'Z') return 0;
  const sign = z.charCodeAt(0) === 45 ? -1 : 1;
  const hh = Number(z.slice(1, 3));
  const mm = Number(z.slice(z.length - 2));
  return sign * (hh * 60 + mm);
}

/** The decimal number at `s[i]` up to `end` (a char code), without allocating; undefined if none. */
function numberAt(s: string, i: number, end: number): number | undefined {
  let n = 0;
  const from = i;
  for (; i < s.length && i - from <= 10; i++) {
    const d = s.charCodeAt(i);
    if (d === end) return i > from ? n : undefined;
    if (d < 48 || d > 57) return undefined;
    n = n * 10 + (d - 48);
  }
  return undefined;
}

function none(text: string): Frame {
  return { framing: 'none', us: undefined, host: undefined, tag: undefined, pid: undefined, text, continued: false, local: false };
}

/** `Sat Dec 19 03:02:51 2009  text`; the weekday must agree with the date, or it is not asctime. */
function asctime(raw: string, zone: ZoneResolver): Frame | undefined {
  const m = RX_ASCTIME.exec(raw);
  if (m === null) return undefined;
  const mon = MONTHS[m[2]!];
  if (mon === undefined) return undefined;
  const y = +m[7]!, d = +m[3]!.trim();
  const days = Math.floor(Date.UTC(y, mon - 1, d) / DAY_MS);
  if (WEEKDAYS.indexOf(m[1]!) / 3 !== ((days % 7) + 11) % 7) return undefined; // 1970-01-01 was a Thursday
  const st = civilToStamp(y, mon, d, +m[4]!, +m[5]!, +m[6]!, '', zone);
  if (st === undefined) return undefined;
  return { framing: 'asctime', us: st.us, host: undefined, tag: undefined, pid: undefined, text: raw.slice(m[0].length), continued: false, local: true };
}

/** A syslog message body: `tag[pid]: [UNIX.USEC( |+)]text`. splogger's stamp wins over syslog's. */
function syslogBody(framing: Framing, syslogUs: number | undefined, hostField: string, rest: string,
  tagGiven?: string, pidGiven?: number): Frame {
  const host = hostField === '' ? undefined : hostField;
  let tag = tagGiven;
  let pid = pidGiven;
  let body = rest;
  if (tag === undefined) {
    const t = RX_TAG.exec(rest) ?? RX_TAG_SPACED.exec(rest);
    if (t === null) return { framing, us: syslogUs, host, tag: undefined, pid: undefined, text: rest, continued: false, local: framing === 'rfc3164' };
    tag = t[1]!;
    // the [pid] is read in place: no substring per line
    pid = rest.charCodeAt(tag.length) === 91 /* [ */ ? numberAt(rest, tag.length + 1, 93 /* ] */) : undefined;
    body = t[2] ?? '';
  }
  const u = RX_UNIX.exec(body);
  if (u !== null) {
    const st = decodeUnixDecimal(u[1] ?? '');
    if (st !== undefined) {
      return { framing, us: st.us, host, tag, pid, text: body.slice(u[0].length), continued: u[2] === '+', local: false };
    }
  }
  return { framing, us: syslogUs, host, tag, pid, text: body, continued: false, local: framing === 'rfc3164' };
}

export function parseFrame(raw: string, ctx: FrameContext): Frame {
  const c = raw.charCodeAt(0);
  const only = ctx.only;
  // multilog: '@' + 24 hex + ' '
  if (c === 64 /* @ */ && (only === undefined || only === 'multilog')) {
    if (raw.length >= 25 && (raw.length === 25 || raw.charCodeAt(25) === 32)) {
      const us = tai64nUsAt(raw, 1);
      if (us !== undefined) {
        return { framing: 'multilog', us, host: undefined, tag: undefined, pid: undefined, text: raw.slice(26), continued: false, local: false };
      }
    }
    return none(raw);
  }
  if (c >= 48 && c <= 57) {
    if (raw.charCodeAt(4) === 45 /* - */) {
      // svlogd: `_` at 10, or `T` with the blank at 29 where RFC 3339 has its zone
      const d10 = raw.charCodeAt(10);
      if ((d10 === 95 || (d10 === 84 && raw.charCodeAt(29) === 32 && raw.charCodeAt(19) === 46))
        && (only === undefined || only === 'svlogd')) {
        const m = RX_SVLOGD.exec(raw);
        if (m !== null) {
          const st = civilToStamp(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7]!, 0);
          if (st !== undefined) {
            return { framing: 'svlogd', us: st.us, host: undefined, tag: undefined, pid: undefined, text: raw.slice(m[0].length), continued: false, local: false };
          }
        }
      }
      if (d10 === 32 && (only === undefined || only === 'tai64nlocal')) {
        const m = RX_LOCAL.exec(raw);
        if (m !== null) {
          const st = civilToStamp(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ?? '', ctx.zone);
          if (st !== undefined) {
            return { framing: 'tai64nlocal', us: st.us, host: undefined, tag: undefined, pid: undefined, text: raw.slice(m[0].length), continued: false, local: true };
          }
        }
      } else if (d10 === 84 /* T */ && (only === undefined || only === 'rfc3339')) {
        const m = RX_3339.exec(raw);
        if (m !== null) {
          const st = civilToStamp(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ?? '', offsetOf(m[8]!));
          return syslogBody('rfc3339', st?.us, m[9]!, m[10] ?? '');
        }
      }
      return none(raw);
    }
    if (only === undefined || only === 'unix') {
      const u = RX_UNIX.exec(raw);
      if (u !== null) {
        const st = decodeUnixDecimal(u[1]!);
        if (st !== undefined) {
          return { framing: 'unix', us: st.us, host: undefined, tag: undefined, pid: undefined, text: raw.slice(u[0].length), continued: u[2] === '+', local: false };
        }
      }
    }
    return none(raw);
  }
  if (c === 60 /* < */ && raw.charCodeAt(raw.indexOf('>') + 1) === 49 /* 1 */ && (only === undefined || only === 'rfc5424')) {
    const m = RX_5424.exec(raw);
    if (m !== null) {
      const st = civilToStamp(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ?? '', offsetOf(m[8]!));
      const app = m[10]!;
      // PROCID follows the fourth blank (after VERSION, TIMESTAMP, HOSTNAME and APP-NAME)
      let sp = 0;
      for (let k = 0; k < 4; k++) sp = raw.indexOf(' ', sp) + 1;
      const pid = app === '-' ? undefined : numberAt(raw, sp, 32);
      return syslogBody('rfc5424', st?.us, m[9]!, (m[11] ?? '').replace(/^ +/, ''), app === '-' ? undefined : app, pid);
    }
    return none(raw);
  }
  // asctime: ':' at 13 and 16 (a syslog stamp has digits there), blanks at 3, 19 and 24
  if (c >= 65 && c <= 90 && raw.charCodeAt(13) === 58 && raw.charCodeAt(19) === 32 && raw.charCodeAt(3) === 32
    && (only === undefined || only === 'asctime')) {
    const f = asctime(raw, ctx.zone);
    if (f !== undefined || only === 'asctime') return f ?? none(raw);
  }
  if ((c === 60 || (c >= 65 && c <= 90)) && (only === undefined || only === 'rfc3164')) {
    const m = RX_3164.exec(raw);
    if (m !== null) {
      const mon = MONTHS[m[1]!];
      if (mon !== undefined) {
        // The syslog stamp is needed only when splogger's own stamp is absent; computed either way
        // is cheap next to the regex, and keeps this function free of lazy state.
        const st = civilToStamp(ctx.yearFor(mon), mon, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!, m[6] ?? '', ctx.zone);
        // Some local syslogs write no hostname: then the tag stands where the host would.
        if (m[7]!.endsWith(':')) return syslogBody('rfc3164', st?.us, '', `${m[7]!} ${m[8] ?? ''}`);
        return syslogBody('rfc3164', st?.us, m[7]!, m[8] ?? '');
      }
    }
  }
  return none(raw);
}

// A second syslog or multilog header inside a line: two lines glued by a lost newline.
const RX_GLUED = /\s((?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+: )|(?:@[0-9a-f]{24} ))/;

/** Splits a line at an embedded second header; undefined when there is none. Recovery path only. */
export function splitGlued(raw: string): readonly [string, string] | undefined {
  const m = RX_GLUED.exec(raw.slice(1));
  if (m === null) return undefined;
  const at = m.index + 1 + (m[0].length - m[1]!.length);
  return [raw.slice(0, at).trimEnd(), raw.slice(at)];
}
