// The report as text to be mailed (pflogsumm's manners): underlined titles, numbers right-aligned,
// "none" for an empty section. Every string from the log goes through escapeTerminal.

import type { Counted, DelayDist, ReasonGroup, ReportView } from '../report/view.js';
import { escapeTerminal } from '../text/escape.js';
import { when, type Style } from './style.js';
import { DateTime } from 'luxon';

const n = (x: number): string => x.toLocaleString('en-US');
const secs = (x: number | null): string => (x === null ? '-' : x < 10 ? `${x.toFixed(3)} s` : x < 600 ? `${x.toFixed(1)} s` : duration(x));

export function duration(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

function bytes(b: number): string {
  if (b < 1024) return `${b}`;
  const u = ['k', 'M', 'G', 'T'];
  let v = b, i = -1;
  while (v >= 1000 && i < u.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)}${u[i]}`;
}

function title(t: string): string {
  return `\n${t}\n${'-'.repeat(t.length)}\n`;
}

/** Rows of cells, each column aligned 'l' or 'r'; the last column is never padded. */
function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align: string): string {
  if (rows.length === 0) return '  none\n';
  const w = head.map((x, i) => Math.max(x.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => '  ' + r.map((c, i) =>
    i === r.length - 1 && align[i] !== 'r' ? c : align[i] === 'r' ? c.padStart(w[i]!) : c.padEnd(w[i]!)).join('  ').trimEnd() + '\n';
  return line(head) + rows.map(line).join('');
}

function kv(rows: ReadonlyArray<readonly [string, string]>): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([k, x]) => `  ${k.padEnd(w)}  ${x.padStart(v)}\n`).join('');
}

function counted(head: string, list: readonly Counted[], withBytes = true): string {
  return table(withBytes ? ['count', 'bytes', head] : ['count', head],
    list.map((c) => (withBytes ? [n(c.count), bytes(c.bytes), escapeTerminal(c.key)] : [n(c.count), escapeTerminal(c.key)])), withBytes ? 'rrl' : 'rl');
}

function reasons(list: readonly ReasonGroup[]): string {
  if (list.length === 0) return '  none\n';
  const w = Math.max(...list.map((r) => n(r.count).length));
  return list.map((r) => {
    const example = r.example.replace(/\n+$/, '').replace(/\n/g, ' / ');
    const eg = example === r.template ? '' : `\n  ${' '.repeat(w)}  e.g. ${escapeTerminal(example)}`; // nothing was masked: no example needed
    return `  ${n(r.count).padStart(w)}  ${escapeTerminal(r.template)}${eg}\n`;
  }).join('');
}

function ddist(name: string, d: DelayDist): string {
  if (d.count === 0) return `  ${name}: none\n`;
  const cells = d.percentiles.map((p) => `${p.pct}% ${secs(p.within)}`);
  return `  ${name} (${n(d.count)} deliveries, average ${secs(d.average)}):\n    ${cells.join(', ')}\n`;
}

export function reportText(r: ReportView, s: Style): string {
  const t = r.totals;
  const at = (iso: string | null): string => (iso === null ? '…' : when(iso, s));
  const hourLabel = (iso: string): string => DateTime.fromISO(iso, { zone: 'utc' }).setZone(s.zone).toFormat('yyyy-LL-dd HH:mm');
  let o = `qtrace report${r.window.host === null ? '' : ` for ${escapeTerminal(r.window.host)}`}: ${r.window.since === null && r.window.until === null ? 'everything in the store' : `${at(r.window.since)} to ${at(r.window.until)}`}\n`;
  o += `Counted: ${r.window.counting}`;
  o += r.window.queued_before_still_open > 0 ? ` (${n(r.window.queued_before_still_open)} such were still queued when it began).\n` : '.\n';
  o += `Newest log line: ${at(r.window.newest_line)}; stuck as of ${at(r.window.as_of)}\n`;

  o += title('Grand totals');
  const sess = t.sessions;
  o += kv([
    ['messages queued', n(t.messages)],
    ['  beginning not in the logs', n(t.partial)],
    ['recipients', n(t.recipients)],
    ['  delivered', n(t.delivered)],
    ['  failed', n(t.failed)],
    ['  deferred (still queued)', n(t.deferred)],
    ['  in delivery', n(t.pending)],
    ['messages still queued', n(t.still_queued)],
    ['delivery attempts', n(t.attempts)],
    ['  deferrals', n(t.deferral_attempts)],
    ['bounces made', n(t.bounces)],
    ['  double bounces', n(t.double_bounces)],
    ['  triple bounces (discarded)', n(t.triple_bounces)],
    ['bytes queued', `${n(t.bytes)} (${bytes(t.bytes)})`],
    ['SMTP sessions', n(sess.total)],
    ['  queued a message', n(sess.accepted)],
    ['  rejected', n(sess.rejected)],
    ['  cannot tell', n(sess.unknown)],
    ['qmail-send restarts', n(t.restarts)],
    ['lines not understood', n(t.unknown_lines)],
  ]);
  if (sess.rejected_by.length > 0) {
    o += '\n  SMTP sessions rejected, by reason:\n';
    o += table(['count', 'reason'], sess.rejected_by.map((c) => [n(c.count), escapeTerminal(c.key)]), 'rl').replace(/^(?=.)/gm, '  ');
  }

  o += title('Per-hour traffic');
  o += table(['hour', 'queued', 'delivered', 'failed', 'deferred'],
    r.hours.map((h) => [hourLabel(h.hour), n(h.queued), n(h.delivered), n(h.failed), n(h.deferred)]), 'lrrrr');

  o += title('Delivery delays (queued → delivered)');
  o += ddist('local', r.delays.local) + ddist('remote', r.delays.remote);
  o += `  average time in the queue (completed messages): ${secs(r.delays.queue_seconds_avg)}\n`;
  o += `  average attempt: local ${secs(r.delays.attempt_seconds_avg.local)}, remote ${secs(r.delays.attempt_seconds_avg.remote)}\n`;

  o += title('Top senders') + counted('sender', r.top.senders);
  o += title('Top senders by bytes') + counted('sender', r.top.by_bytes.senders);
  o += title('Top recipients') + counted('recipient', r.top.recipients);
  o += title('Top recipients by bytes') + counted('recipient', r.top.by_bytes.recipients);
  o += title('Top recipient domains') + counted('domain', r.top.recipient_domains);
  o += title('Top recipient domains by bytes') + counted('domain', r.top.by_bytes.recipient_domains);
  o += title('Top remote hosts delivered to (by IP)') + counted('ip', r.top.remote_hosts);
  o += title('Top SMTP clients (by IP)') + counted('ip', r.top.smtp_clients, false);
  o += title('Top injecting uids') + counted('uid', r.top.uids);

  o += title('Failure reasons') + reasons(r.failures);
  o += title('Deferral reasons') + reasons(r.deferrals);

  o += title(`Stuck messages (queued over ${duration(r.stuck.older_than_seconds)} ago; queuelifetime ${duration(r.stuck.queuelifetime_seconds)})`);
  if (r.stuck.messages.length === 0) o += '  none\n';
  for (const m of r.stuck.messages) {
    o += `  msg ${m.msg} (${escapeTerminal(m.id)}) from <${escapeTerminal(m.from ?? '?')}>, queued ${at(m.queued)}, ${duration(m.age_seconds)} ago; bounces ${at(m.bounces_at)}\n`;
    o += `    waiting: ${m.waiting.map(escapeTerminal).join(', ') || '-'}\n`;
    if (m.last_reason !== null) o += `    last: ${escapeTerminal(m.last_reason.replace(/\n+$/, '').replace(/\n/g, ' / '))}\n`;
  }
  if (r.stuck.total > r.stuck.messages.length) o += `  … and ${n(r.stuck.total - r.stuck.messages.length)} more\n`;

  o += title('Backscatter (bounces to remote senders)');
  const b = r.backscatter;
  if (b.bounces_to_remote === 0) o += '  none\n';
  else {
    o += kv([['bounces sent remote', n(b.bounces_to_remote)], ['  failed themselves', n(b.failed)], ['  still deferred', n(b.deferred)]]);
    o += counted('domain', b.domains);
  }

  const ad = r.addons;
  if (ad.auth.events + ad.scans.length + ad.refusals.length > 0) {   // a site without the add-ons sees no such section
    o += title('Add-ons: authentication (vchkpw), scans, Plesk handler refusals');
    o += kv([['authentications', n(ad.auth.events)], ['  failed', n(ad.auth.failed)]]);
    if (ad.auth.failed_by_ip.length > 0) o += '\n  failed authentications by IP:\n' + counted('IP', ad.auth.failed_by_ip, false);
    if (ad.auth.failed_by_user.length > 0) o += '\n  failed authentications by user:\n' + counted('user', ad.auth.failed_by_user, false);
    if (ad.auth.failed_by_outcome.length > 0) o += '\n  failures by kind:\n' + counted('outcome', ad.auth.failed_by_outcome, false);
    if (ad.scans.length > 0) o += '\n  scan verdicts:\n' + counted('verdict', ad.scans, false);
    if (ad.refusals.length > 0) o += '\n  refused by a queue handler:\n' + counted('verdict', ad.refusals, false);
  }

  o += title('qmail-send warnings and alerts');
  o += table(['count', 'level', 'text'], r.notices.map((x) => [n(x.count), x.level, escapeTerminal(x.text)]), 'rll');
  return o;
}
