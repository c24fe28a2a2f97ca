// The six shapes that are nearly every line of a busy qmail-send log (new/info/end msg, starting
// delivery, delivery result, status), read with a cursor instead of a regex: no match array and
// no capture per line. It answers only what it is sure of: anything unusual (indimail's queue
// suffix, `did.N`, odd bytes) is undefined, and SEND_FORMATS decides. test/parsers/send-fast.test.ts
// checks it against the formats on every lab line and on random variations of them.

import type { SendEvent } from './events.js';
import { parseReport } from './report.js';

const RX_TERMINATOR = /[\n\r\u2028\u2029]/; // what the formats' `.` does not match

/** The end of the digits starting at i, or -1 when there are none. */
function digits(s: string, i: number): number {
  let j = i;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
  }
  return j > i && j - i <= 15 ? j : -1;
}

/** The value of the digits s[i..e) that digits() found: at most 15, so exact; no substring per number. */
function num(s: string, i: number, e: number): number {
  let n = 0;
  for (; i < e; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

/** A number that runs to the end of the line from i, or -1. */
function lastNumber(s: string, i: number): number {
  const e = digits(s, i);
  return e === s.length ? num(s, i, e) : -1;
}

/** `D: ` after `starting delivery ` or `delivery `: the end of the digits, or -1. */
function did(s: string, i: number): number {
  const e = digits(s, i);
  return e > 0 && s.charCodeAt(e) === 58 && s.charCodeAt(e + 1) === 32 ? e : -1;
}

/** A free text that runs to the end of the line from i, unless it could be a format's edge case. */
function tail(s: string, i: number): string | undefined {
  const rest = s.slice(i);
  if (RX_TERMINATOR.test(rest) || rest.includes(' queue')) return undefined;
  return rest;
}

export function fastSend(t: string): SendEvent | undefined {
  switch (t.charCodeAt(0)) {
    case 110: // new msg N
      if (t.startsWith('new msg ')) {
        const e = digits(t, 8);
        if (e === t.length) return { kind: 'new_msg', msg: num(t, 8, e) };
      }
      return undefined;
    case 101: // end msg N
      if (t.startsWith('end msg ')) {
        const e = digits(t, 8);
        if (e === t.length) return { kind: 'end_msg', msg: num(t, 8, e) };
      }
      return undefined;
    case 105: { // info msg M: bytes B from <S> qp Q uid U
      if (!t.startsWith('info msg ')) return undefined;
      const m = digits(t, 9);
      if (m < 0 || !t.startsWith(': bytes ', m)) return undefined;
      const b = digits(t, m + 8);
      if (b < 0 || !t.startsWith(' from <', b)) return undefined;
      const close = t.lastIndexOf('> qp ');
      if (close < b + 7) return undefined;
      const q = digits(t, close + 5);
      if (q < 0 || !t.startsWith(' uid ', q)) return undefined;
      const uid = lastNumber(t, q + 5);
      if (uid < 0) return undefined;
      const from = t.slice(b + 7, close);
      if (RX_TERMINATOR.test(from)) return undefined;
      return { kind: 'info_msg', msg: num(t, 9, m), bytes: num(t, m + 8, b), from, qp: num(t, close + 5, q), uid };
    }
    case 115: { // starting delivery D: msg M to local|remote A, or status: …
      if (t.startsWith('starting delivery ')) {
        const d = did(t, 18);
        if (d < 0 || !t.startsWith('msg ', d + 2)) return undefined;
        const m = digits(t, d + 6);
        if (m < 0 || !t.startsWith(' to ', m)) return undefined;
        const channel = t.startsWith('local ', m + 4) ? 'local' : t.startsWith('remote ', m + 4) ? 'remote' : undefined;
        if (channel === undefined) return undefined;
        const to = tail(t, m + 5 + channel.length);
        if (to === undefined) return undefined;
        return { kind: 'delivery_start', did: num(t, 18, d), msg: num(t, d + 6, m), channel, to };
      }
      if (t.startsWith('status: local ')) {
        const a = digits(t, 14);
        if (a < 0 || t.charCodeAt(a) !== 47) return undefined;
        const b = digits(t, a + 1);
        if (b < 0 || !t.startsWith(' remote ', b)) return undefined;
        const c = digits(t, b + 8);
        if (c < 0 || t.charCodeAt(c) !== 47) return undefined;
        const e = digits(t, c + 1);
        if (e < 0) return undefined;
        const exitasap = e !== t.length;
        if (exitasap && (e + 9 !== t.length || !t.startsWith(' exitasap', e))) return undefined;
        return { kind: 'status', local: num(t, 14, a), localMax: num(t, a + 1, b), remote: num(t, b + 8, c),
          remoteMax: num(t, c + 1, e), exitasap };
      }
      return undefined;
    }
    case 100: { // delivery D: success|failure|deferral: TEXT
      if (!t.startsWith('delivery ')) return undefined;
      const d = did(t, 9);
      if (d < 0) return undefined;
      const r = d + 2;
      const result = t.startsWith('success: ', r) ? 'success' : t.startsWith('failure: ', r) ? 'failure'
        : t.startsWith('deferral: ', r) ? 'deferral' : undefined;
      if (result === undefined) return undefined;
      const reportRaw = tail(t, r + result.length + 2);
      if (reportRaw === undefined) return undefined;
      return { kind: 'delivery_result', did: num(t, 9, d), result, reportRaw, report: parseReport(reportRaw) };
    }
    default:
      return undefined;
  }
}
