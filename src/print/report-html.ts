// The report as one self-contained HTML page: no script, no external asset; charts are inline
// SVG. Every string from the log goes through escapeHtml.

import type { Counted, DelayDist, ReasonGroup, ReportView } from '../report/view.js';
import { escapeHtml as h } from '../text/escape.js';
import { duration } from './report-text.js';
import { when, type Style } from './style.js';

const n = (x: number): string => x.toLocaleString('en-US');
const secs = (x: number | null): string => (x === null ? '-' : x < 10 ? `${x.toFixed(3)} s` : duration(x));
const COLORS = { delivered: '#2e7d32', failed: '#c62828', deferred: '#f9a825' } as const;

function section(title: string, body: string): string {
  return `<section><h2>${h(title)}</h2>\n${body}</section>\n`;
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[]): string {
  if (rows.length === 0) return '<p class="none">none</p>\n';
  const th = head.map((x, i) => `<th${numeric[i] ? ' class="n"' : ''}>${h(x)}</th>`).join('');
  const tr = rows.map((r) => '<tr>' + r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${c}</td>`).join('') + '</tr>').join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>\n`;
}

function counted(what: string, list: readonly Counted[], withBytes = true): string {
  return table(withBytes ? ['count', 'bytes', what] : ['count', what],
    list.map((c) => (withBytes ? [n(c.count), n(c.bytes), h(c.key)] : [n(c.count), h(c.key)])), [true, withBytes, false]);
}

function reasons(list: readonly ReasonGroup[]): string {
  return table(['count', 'reason (template)', 'one real example'],
    list.map((r) => [n(r.count), h(r.template), `<span class="ex">${r.example.replace(/\n+$/, '').split('\n').map(h).join('<br>')}</span>`]),
    [true, false, false]);
}

/** Per-hour stacked bars: delivered, failed, deferred attempts. */
function hoursChart(r: ReportView): string {
  if (r.hours.length === 0) return '';
  const W = 720, H = 180, pad = 30;
  const max = Math.max(1, ...r.hours.map((x) => x.delivered + x.failed + x.deferred));
  const bw = Math.min(60, (W - pad) / r.hours.length); // a short report is a few bars, not one wall
  let bars = '';
  r.hours.forEach((x, i) => {
    let y = H - pad;
    for (const k of ['delivered', 'failed', 'deferred'] as const) {
      const v = x[k];
      if (v === 0) continue;
      const bh = ((H - 2 * pad) * v) / max;
      y -= bh;
      bars += `<rect x="${(pad + i * bw + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[k]}"><title>${h(x.hour)} ${k} ${v}</title></rect>`;
    }
  });
  const first = h(r.hours[0]!.hour.slice(0, 16).replace('T', ' '));
  const last = h(r.hours[r.hours.length - 1]!.hour.slice(0, 16).replace('T', ' '));
  return `<svg class="chart" role="img" aria-label="deliveries per hour" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad}" y1="${H - pad}" x2="${W}" y2="${H - pad}" stroke="#555"/>
<text x="${pad}" y="${H - 10}" font-size="11">${first} UTC</text><text x="${W}" y="${H - 10}" font-size="11" text-anchor="end">${last}</text>
<text x="2" y="${pad}" font-size="11">${max}</text>
${bars}
<g font-size="11"><rect x="${W - 250}" y="4" width="10" height="10" fill="${COLORS.delivered}"/><text x="${W - 236}" y="13">delivered</text>
<rect x="${W - 170}" y="4" width="10" height="10" fill="${COLORS.failed}"/><text x="${W - 156}" y="13">failed</text>
<rect x="${W - 100}" y="4" width="10" height="10" fill="${COLORS.deferred}"/><text x="${W - 86}" y="13">deferred</text></g>
</svg>\n`;
}

/** Delay distribution: seconds within which the first p % were delivered, local and remote. */
function delayChart(local: DelayDist, remote: DelayDist): string {
  if (local.count + remote.count === 0) return '';
  const W = 720, H = 200, pad = 40;
  const max = Math.max(1e-3, ...local.percentiles.map((p) => p.within), ...remote.percentiles.map((p) => p.within));
  const line = (d: DelayDist, color: string): string => d.percentiles.length === 0 ? '' :
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${d.percentiles.map((p) =>
      `${(pad + ((W - 2 * pad) * p.pct) / 100).toFixed(1)},${(H - pad - ((H - 2 * pad) * p.within) / max).toFixed(1)}`).join(' ')}"/>`;
  return `<svg class="chart" role="img" aria-label="delivery delay distribution" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#555"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#555"/>
<text x="${pad}" y="${H - 20}" font-size="11">0 %</text><text x="${W - pad}" y="${H - 20}" font-size="11" text-anchor="end">100 % of deliveries</text>
<text x="2" y="${pad - 5}" font-size="11">${h(secs(max))}</text><text x="2" y="${H - pad}" font-size="11">0 s</text>
${line(local, '#1565c0')}${line(remote, '#6a1b9a')}
<g font-size="11"><rect x="${W - 200}" y="4" width="10" height="10" fill="#1565c0"/><text x="${W - 186}" y="13">local</text>
<rect x="${W - 120}" y="4" width="10" height="10" fill="#6a1b9a"/><text x="${W - 106}" y="13">remote</text></g>
</svg>\n`;
}

/** Top recipient domains as horizontal bars, labelled with the (escaped) domain. */
function domainsChart(list: readonly Counted[]): string {
  if (list.length === 0) return '';
  const W = 720, row = 22, left = 260;
  const max = Math.max(1, ...list.map((c) => c.count));
  const bars = list.map((c, i) => {
    const w = ((W - left - 60) * c.count) / max;
    return `<text x="${left - 6}" y="${i * row + 15}" font-size="12" text-anchor="end">${h(c.key.length > 40 ? c.key.slice(0, 39) + '…' : c.key)}</text>` +
      `<rect x="${left}" y="${i * row + 4}" width="${w.toFixed(1)}" height="${row - 8}" fill="#00838f"/>` +
      `<text x="${(left + w + 4).toFixed(1)}" y="${i * row + 15}" font-size="12">${c.count}</text>`;
  }).join('\n');
  return `<svg class="chart" role="img" aria-label="top recipient domains" width="${W}" height="${list.length * row + 4}" viewBox="0 0 ${W} ${list.length * row + 4}" xmlns="http://www.w3.org/2000/svg">\n${bars}\n</svg>\n`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;border-bottom:1px solid #999;margin-top:1.6em}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}.none{color:#777;font-style:italic}.ex{color:#555;font-family:monospace;font-size:12px}
.chart{display:block;margin:0.6em 0}`;

export function reportHtml(r: ReportView, s: Style): string {
  const t = r.totals;
  const at = (iso: string | null): string => (iso === null ? '…' : h(when(iso, s)));
  const kv = (rows: ReadonlyArray<readonly [string, number]>): string =>
    table(['', ''], rows.map(([k, v]) => [h(k), n(v)]), [false, true]).replace(/<thead>.*?<\/thead>/, '');
  let body = `<h1>qtrace report${r.window.host === null ? '' : ` for ${h(r.window.host)}`}</h1>
<p>${r.window.since === null && r.window.until === null ? 'Everything in the store' : `${at(r.window.since)} to ${at(r.window.until)}`}. Counted: ${h(r.window.counting)}${r.window.queued_before_still_open > 0 ? ` (${n(r.window.queued_before_still_open)} such were still queued when it began)` : ''}.${r.window.newest_line === null ? '' : ` Newest log line: ${at(r.window.newest_line)}.`}</p>\n`;
  body += section('Grand totals', kv([
    ['messages queued', t.messages], ['beginning not in the logs', t.partial], ['recipients', t.recipients],
    ['delivered', t.delivered], ['failed', t.failed], ['deferred (still queued)', t.deferred], ['in delivery', t.pending],
    ['messages still queued', t.still_queued], ['delivery attempts', t.attempts], ['deferrals', t.deferral_attempts],
    ['bounces made', t.bounces], ['double bounces', t.double_bounces], ['triple bounces (discarded)', t.triple_bounces],
    ['bytes queued', t.bytes], ['SMTP sessions', t.sessions.total], ['queued a message', t.sessions.accepted],
    ['rejected', t.sessions.rejected], ['cannot tell', t.sessions.unknown], ['qmail-send restarts', t.restarts],
    ['lines not understood', t.unknown_lines],
  ]) + (t.sessions.rejected_by.length === 0 ? '' : '<h3>SMTP sessions rejected, by reason</h3>' + counted('reason', t.sessions.rejected_by, false)));
  body += section('Per-hour traffic', hoursChart(r) + table(['hour (UTC)', 'queued', 'delivered', 'failed', 'deferred'],
    r.hours.map((x) => [h(x.hour.slice(0, 16).replace('T', ' ')), n(x.queued), n(x.delivered), n(x.failed), n(x.deferred)]),
    [false, true, true, true, true]));
  const pct = (d: DelayDist): string => d.count === 0 ? 'none' : d.percentiles.map((p) => `${p.pct} %: ${h(secs(p.within))}`).join(', ');
  body += section('Delivery delays (queued → delivered)', delayChart(r.delays.local, r.delays.remote) +
    `<p>local (${n(r.delays.local.count)}, average ${h(secs(r.delays.local.average))}): ${pct(r.delays.local)}</p>
<p>remote (${n(r.delays.remote.count)}, average ${h(secs(r.delays.remote.average))}): ${pct(r.delays.remote)}</p>
<p>average time in the queue: ${h(secs(r.delays.queue_seconds_avg))}; average attempt: local ${h(secs(r.delays.attempt_seconds_avg.local))}, remote ${h(secs(r.delays.attempt_seconds_avg.remote))}</p>\n`);
  body += section('Top senders', counted('sender', r.top.senders));
  body += section('Top senders by bytes', counted('sender', r.top.by_bytes.senders));
  body += section('Top recipients', counted('recipient', r.top.recipients));
  body += section('Top recipients by bytes', counted('recipient', r.top.by_bytes.recipients));
  body += section('Top recipient domains', domainsChart(r.top.recipient_domains) + counted('domain', r.top.recipient_domains));
  body += section('Top recipient domains by bytes', counted('domain', r.top.by_bytes.recipient_domains));
  body += section('Top remote hosts delivered to (by IP)', counted('ip', r.top.remote_hosts));
  body += section('Top SMTP clients (by IP)', counted('ip', r.top.smtp_clients, false));
  body += section('Top injecting uids', counted('uid', r.top.uids));
  body += section('Failure reasons', reasons(r.failures));
  body += section('Deferral reasons', reasons(r.deferrals));
  body += section(`Stuck messages (queued over ${duration(r.stuck.older_than_seconds)} ago)`, table(['msg', 'from', 'queued', 'bounces', 'waiting for'],
    r.stuck.messages.map((m) => [String(m.msg), h(`<${m.from ?? '?'}>`), at(m.queued), at(m.bounces_at), m.waiting.map(h).join('<br>')]),
    [true, false, false, false, false]));
  const b = r.backscatter;
  body += section('Backscatter (bounces to remote senders)', b.bounces_to_remote === 0 ? '<p class="none">none</p>\n'
    : kv([['bounces sent remote', b.bounces_to_remote], ['failed themselves', b.failed], ['still deferred', b.deferred]]) + counted('domain', b.domains));
  const ad = r.addons;
  if (ad.auth.events + ad.scans.length + ad.refusals.length > 0) {
    body += section('Add-ons: authentication (vchkpw), scans, Plesk handler refusals',
      kv([['authentications', ad.auth.events], ['failed', ad.auth.failed]])
      + '<h3>Failed authentications by IP</h3>' + counted('IP', ad.auth.failed_by_ip, false)
      + '<h3>Failed authentications by user</h3>' + counted('user', ad.auth.failed_by_user, false)
      + '<h3>Scan verdicts</h3>' + counted('verdict', ad.scans, false)
      + '<h3>Refused by a queue handler</h3>' + counted('verdict', ad.refusals, false));
  }
  body += section('qmail-send warnings and alerts', table(['count', 'level', 'text'],
    r.notices.map((x) => [n(x.count), x.level, h(x.text)]), [true, false, false]));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>qtrace report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${CSS}</style></head>
<body>
${body}</body></html>
`;
}
