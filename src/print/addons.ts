// The add-ons' records as text: auth events and their per-IP/per-user counts, Plesk handler lines
// and refusals, scan verdicts. Everything from a log goes through escapeTerminal.

import type { AuthCount, AuthSummary, AuthView, DeliveryHandlers, HandlerView, RefusalView, ScanView } from '../query/addons.js';
import { escapeTerminal as esc } from '../text/escape.js';
import { clock, paint, when, type Style } from './style.js';

export function authLine(a: AuthView, s: Style): string {
  const mark = a.ok ? paint(s, 'green', '✓') : paint(s, 'red', '✗');
  const mech = a.mechanism === null ? '' : ` ${esc(a.mechanism)}`;
  const sess = a.session === null ? '' : paint(s, 'dim', `  session ${esc(a.session)}`);
  return `${when(a.at, s)}  ${mark} ${esc(a.outcome).padEnd(13)} ${esc(a.service || '?').padEnd(10)} ${esc(a.ip).padEnd(15)} ${esc(a.login)}${mech}${sess}\n`;
}

function countLines(title: string, rows: readonly AuthCount[], s: Style): string {
  if (rows.length === 0) return '';
  let out = `${paint(s, 'bold', title)}\n`;
  for (const r of rows) {
    out += `  ${String(r.failed).padStart(6)} failed ${String(r.ok).padStart(5)} ok  ${esc(r.key)}  ${paint(s, 'dim', `${when(r.first, s)} … ${when(r.last, s)}`)}\n`;
  }
  return out;
}

/** The counts that show brute force first: most failures per IP, then per user. */
export function authSummaryText(sum: AuthSummary, s: Style): string {
  return `${sum.events} authentication events, ${sum.failed} failed\n` +
    countLines('by IP (most failures first)', sum.byIp, s) + countLines('by user (most failures first)', sum.byUser, s);
}

export function handlerLine(h: HandlerView, s: Style): string {
  const what = h.addr !== null ? `${h.kind === 'plesk_from' ? 'from=' : 'to='}${esc(h.addr)}`
    : h.verdict !== null ? `${paint(s, h.verdict === 'REJECT' || h.verdict === 'DEFER' ? 'red' : 'bold', esc(h.verdict))}${h.handler === null ? '' : ` during call '${esc(h.handler)}' handler`}`
      : esc(h.text === '' ? h.kind : h.text);
  let out = `  ${clock(h.at, s)}  ${esc(h.program)}[${h.pid ?? '?'}]  ${what}\n`;
  for (const f of h.filters) out += `  ${clock(f.at, s)}    ${paint(s, 'dim', `${esc(f.program)}[${f.pid ?? '?'}]  ${esc(f.text)}`)}\n`;
  return out;
}

export function refusalLine(r: RefusalView, s: Style): string {
  const rc = r.recipients.length === 0 ? '' : ` to ${r.recipients.map(esc).join(', ')}`;
  const from = r.sender === null ? '' : ` from <${esc(r.sender)}>`;
  return `${when(r.at, s)}  ${paint(s, 'red', '✗')} ${esc(r.verdict)} by handler '${esc(r.handler)}'  ${esc(r.host)} qp ${r.qp ?? '?'}${from}${rc}\n`;
}

export function scanLine(v: ScanView, s: Style): string {
  const score = v.score === null ? '' : ` score ${v.score}/${v.required ?? '?'}`;
  const why = v.reason === null ? '' : ` ${esc(v.reason)}`;
  return `  ${clock(v.at, s)}  qmail-scanner  ${paint(s, v.verdict === 'clear' ? 'green' : 'red', esc(v.verdict))}${why}${score}  ${esc(v.tag)} ${paint(s, 'dim', `(${v.link})`)}\n`;
}

/** What `show` adds under a message: its handler lines and scan verdicts, or nothing. */
export function addonsOfMessageText(handlers: readonly HandlerView[], scans: readonly ScanView[], s: Style,
  deliveries: readonly DeliveryHandlers[] = []): string {
  let out = '';
  if (handlers.length > 0) out += `${paint(s, 'bold', 'plesk handlers')} ${paint(s, 'dim', '(exact: qp = pid)')}\n` + handlers.map((h) => handlerLine(h, s)).join('');
  for (const d of deliveries) {
    out += `${paint(s, 'bold', `plesk handlers of delivery ${d.delivery} to ${esc(d.to)}`)} ${paint(s, 'dim', '(inferred: to= and time)')}\n` +
      d.lines.map((h) => handlerLine(h, s)).join('');
  }
  if (scans.length > 0) out += `${paint(s, 'bold', 'scans')}\n` + scans.map((v) => scanLine(v, s)).join('');
  return out;
}

/** What `show` adds under a session: its auth events and scan verdicts (inferred, by IP and time). */
export function addonsOfSessionText(auth: readonly AuthView[], scans: readonly ScanView[], s: Style): string {
  let out = '';
  if (auth.length > 0) {
    out += `${paint(s, 'bold', 'auth')} ${paint(s, 'dim', '(vchkpw, inferred: same IP, session open)')}\n`;
    for (const a of auth) out += `  ${clock(a.at, s)}  ${a.ok ? paint(s, 'green', '✓') : paint(s, 'red', '✗')} ${esc(a.outcome)} ${esc(a.service)} ${esc(a.login)}${a.mechanism === null ? '' : ` ${esc(a.mechanism)}`}\n`;
  }
  if (scans.length > 0) out += `${paint(s, 'bold', 'scans')}\n` + scans.map((v) => scanLine(v, s)).join('');
  return out;
}
