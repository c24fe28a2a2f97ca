// qmailanalog's z-scripts (DJB, 1998: sh + awk + sort + columnt), ported line for line so that
// the same matchup lines give the same bytes. They read matchup lines, never the store.

import { awkFields, awkNum, awkToNum, columnt, fixed, sortByKey, sortNumeric } from './awk.js';

const ZOVERALL_HEAD = `Basic statistics

qtime is the time spent by a message in the queue.

ddelay is the latency for a successful delivery to one recipient---the
end of successful delivery, minus the time when the message was queued.

xdelay is the latency for a delivery attempt---the time when the attempt
finished, minus the time when it started. The average concurrency is the
total xdelay for all deliveries divided by the time span; this is a good
measure of how busy the mailer is.

`;

export function zoverall(lines: Iterable<string>): string {
  let messages = 0, recips = 0, tries = 0, deliveries = 0, succ = 0, fail = 0, mbytes = 0, rbytes = 0;
  let qtime = 0, ddelay = 0, xdelay = 0, first = 0, last = 0, seen = false;
  for (const l of lines) {
    const f = awkFields(l, 7); // zoverall reads $2…$7
    const $ = (i: number): number => awkToNum(f[i - 1] ?? '');
    if (l.startsWith('m')) {
      ++messages;
      mbytes += $(4);
      rbytes += $(4) * $(5);
      qtime += $(3) - $(2);
      recips += $(5) + $(6);
      tries += $(5) + $(6) + $(7);
      if (!seen || $(2) < first) first = $(2);
      if (!seen || $(3) > last) last = $(3);
      seen = true;
    }
    if (l.startsWith('d k')) { ++succ; ddelay += $(5) - $(3); }
    if (l.startsWith('d d')) ++fail;
    if (l.startsWith('d')) {
      ++deliveries;
      xdelay += $(5) - $(4);
      if (!seen || $(3) < first) first = $(3);
      if (!seen || $(5) > last) last = $(5);
      seen = true;
    }
  }
  let o = ZOVERALL_HEAD;
  o += `Completed messages: ${awkNum(messages)}\n`;
  if (messages) {
    o += `Recipients for completed messages: ${awkNum(recips)}\n`;
    o += `Total delivery attempts for completed messages: ${awkNum(tries)}\n`;
    o += `Average delivery attempts per completed message: ${awkNum(tries / messages)}\n`;
    o += `Bytes in completed messages: ${awkNum(mbytes)}\n`;
    o += `Bytes weighted by success: ${awkNum(rbytes)}\n`;
    o += `Average message qtime (s): ${awkNum(qtime / messages)}\n`;
  }
  o += '\n';
  o += `Total delivery attempts: ${awkNum(deliveries)}\n`;
  if (deliveries) {
    o += `  success: ${awkNum(succ)}\n`;
    o += `  failure: ${awkNum(fail)}\n`;
    o += `  deferral: ${awkNum(deliveries - succ - fail)}\n`;
    o += `Total ddelay (s): ${fixed(ddelay, 6)}\n`;
    if (succ) o += `Average ddelay per success (s): ${fixed(ddelay / succ, 6)}\n`;
    o += `Total xdelay (s): ${fixed(xdelay, 6)}\n`;
    o += `Average xdelay per delivery attempt (s): ${fixed(xdelay / deliveries, 6)}\n`;
    if (last > first) {
      o += `Time span (days): ${awkNum((last - first) / 86400)}\n`;
      o += `Average concurrency: ${awkNum(xdelay / (last - first))}\n`;
    }
  }
  return o;
}

export function zddist(lines: Iterable<string>): string {
  const head = `Distribution of ddelays for successful deliveries

Meaning of each line: The first pct% of successful deliveries
all happened within doneby seconds. The average ddelay was avg.

`;
  // awk '/^d k/ { print $5 - $3 }' | sort -n | awk '…'
  const delays: string[] = [];
  for (const l of lines) {
    if (!l.startsWith('d k')) continue;
    const f = awkFields(l, 5);
    delays.push(awkNum(awkToNum(f[4] ?? '') - awkToNum(f[2] ?? '')));
  }
  const values = sortNumeric(delays);
  const rows = ['doneby avg pct'];
  const cumulative = new Map<string, number>();
  let x = 0;
  for (const v of values) { x += 1; cumulative.set(awkFields(v)[0] ?? '', x); }
  if (x > 0) {
    const mindel = new Array<string | null>(101).fill(null);
    const totdel = new Array<number>(101).fill(0);
    const numdel = new Array<number>(101).fill(0);
    for (const [d, c] of cumulative) {
      const p = Math.trunc((c * 100) / x);
      const m = mindel[p]!;
      if (m === null || d < m) mindel[p] = d;   // awk compares the two strings
      totdel[p] = totdel[p]! + awkToNum(d);
      numdel[p] = numdel[p]! + 1;
    }
    let td = 0, nd = 0;
    for (let p = 0; p <= 100; ++p) {
      td += totdel[p]!;
      nd += numdel[p]!;
      if (p >= 10 && nd > 0 && mindel[p] !== null) rows.push(`${fixed(awkToNum(mindel[p]!), 2)} ${fixed(td / nd, 2)} ${p}`);
    }
  }
  return head + columnt(rows);
}

/** failures/deferrals/successes: per exact reason, count and total xdelay; `sort -k2 | columnt | tr _ ' '`. */
function reasons(lines: Iterable<string>, prefix: string, title: string, what: string): string {
  const count = new Map<string, number>(), xd = new Map<string, number>();
  for (const l of lines) {
    if (!l.startsWith(prefix)) continue;
    const f = awkFields(l);
    const reason = f[10] ?? '';
    count.set(reason, (count.get(reason) ?? 0) + 1);
    xd.set(reason, (xd.get(reason) ?? 0) + (awkToNum(f[4] ?? '') - awkToNum(f[3] ?? '')));
  }
  const rows = [...count].map(([r, n]) => `${awkNum(n)} ${fixed(xd.get(r)!, 2)} ${r}`);
  const head = `${title}

One line per reason for ${what}. Information on each line:
* del is the number of deliveries that ended for this reason.
* xdelay is the total xdelay on those deliveries.

`;
  return head + columnt(['del xdelay reason', ...sortByKey(rows, 2)]).replaceAll('_', ' ');
}

export const zfailures = (l: Iterable<string>): string => reasons(l, 'd d', 'Reasons for failure', 'delivery failure');
export const zdeferrals = (l: Iterable<string>): string => reasons(l, 'd z', 'Reasons for deferral', 'deferral');
export const zsuccesses = (l: Iterable<string>): string => reasons(l, 'd k', 'Reasons for success', 'successful delivery');

export function zrecipients(lines: Iterable<string>): string {
  const xdelay = new Map<string, number>(), sbytes = new Map<string, number>();
  const succ = new Map<string, number>(), fail = new Map<string, number>(), temp = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string, v: number): void => { m.set(k, (m.get(k) ?? 0) + v); };
  for (const l of lines) {
    if (!l.startsWith('d')) continue;
    const f = awkFields(l, 8);
    const r = f[7] ?? '';
    inc(xdelay, r, awkToNum(f[4] ?? '') - awkToNum(f[3] ?? ''));
    if (f[1] === 'k') { inc(sbytes, r, awkToNum(f[5] ?? '')); inc(succ, r, 1); }
    if (f[1] === 'd') inc(fail, r, 1);
    if (f[1] === 'z') inc(temp, r, 1);
  }
  const g = (m: Map<string, number>, k: string): number => m.get(k) ?? 0;
  const rows = [...xdelay].map(([r, x]) =>
    `${awkNum(g(sbytes, r))} ${awkNum(g(succ, r) + g(fail, r))} ${awkNum(g(succ, r) + g(fail, r) + g(temp, r))} ${fixed(x, 2)} ${r}`);
  const head = `Recipients

One line per recipient. Information on each line:
* sbytes is the number of bytes successfully delivered to this recipient.
* mess is the number of messages sent to this recipient (success plus failure).
* tries is the number of delivery attempts (success, failure, deferral).
* xdelay is the total xdelay incurred by this recipient.

`;
  return head + columnt(['sbytes mess tries xdelay recipient', ...sortByKey(rows, 4)]);
}

export function zsenders(lines: Iterable<string>): string {
  interface S { messages: number; succ: number; fail: number; temp: number; mbytes: number; sbytes: number; rbytes: number }
  const s = new Map<string, S>();
  const xdelay = new Map<string, number>();
  for (const l of lines) {
    const f = awkFields(l);
    const $ = (i: number): number => awkToNum(f[i - 1] ?? '');
    if (l.startsWith('m')) {
      const k = `${f[9] ?? ''}/${f[7] ?? ''}`;
      let e = s.get(k);
      if (e === undefined) s.set(k, (e = { messages: 0, succ: 0, fail: 0, temp: 0, mbytes: 0, sbytes: 0, rbytes: 0 }));
      e.messages += 1; e.succ += $(5); e.fail += $(6); e.temp += $(7);
      e.mbytes += $(4); e.sbytes += $(4) * $(5); e.rbytes += $(4) * ($(5) + $(6));
    }
    if (l.startsWith('d')) {
      const k = `${f[9] ?? ''}/${f[6] ?? ''}`;
      xdelay.set(k, (xdelay.get(k) ?? 0) + ($(5) - $(4)));
    }
  }
  const rows = [...s].map(([k, e]) => `${awkNum(e.messages)} ${awkNum(e.mbytes)} ${awkNum(e.sbytes)} ${awkNum(e.rbytes)} ` +
    `${awkNum(e.succ + e.fail)} ${awkNum(e.succ + e.fail + e.temp)} ${fixed(xdelay.get(k) ?? 0, 6)} ${k}`);
  const head = `Senders

One line per sender. Information on each line:
* mess is the number of messages sent by this sender.
* bytes is the number of bytes sent by this sender.
* sbytes is the number of bytes successfully received from this sender.
* rbytes is the number of bytes from this sender, weighted by recipient.
* recips is the number of recipients (success plus failure).
* tries is the number of delivery attempts (success, failure, deferral).
* xdelay is the total xdelay incurred by this sender.

`;
  return head + columnt(['mess bytes sbytes rbytes recips tries xdelay sender', ...sortNumeric(rows, 7)]);
}

export const Z_FORMATS = { zoverall, zddist, zfailures, zdeferrals, zsuccesses, zrecipients, zsenders } as const;
export type ZFormat = keyof typeof Z_FORMATS;
