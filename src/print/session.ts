// Readable SMTP sessions: who connected, what they said, what was refused and why, what was queued.
// Everything the client or the server wrote (HELO, addresses, replies, host names) is escaped.

import type { MessageSessionView, SessionView } from '../query/sessions.js';
import { escapeTerminal as esc } from '../text/escape.js';
import { paint, when, type Style } from './style.js';

const RED = 'red', GREEN = 'green', YELLOW = 'yellow', DIM = 'dim', BOLD = 'bold';

function client(c: { ip: string | null; port: number | null; host: string | null }): string {
  return `${esc(c.ip ?? '?')}${c.port === null ? '' : ':' + c.port}${c.host === null || c.host === '' ? '' : ` (${esc(c.host)})`}`;
}

/** The lines a message timeline shows for its session. */
export function messageSessionLines(v: MessageSessionView, s: Style): string[] {
  const out = [`  smtp     from ${client(v.client)}  pid ${v.pid} on ${esc(v.stream)}` +
    (v.helo === null ? '' : `  helo ${esc(v.helo)}`) + (v.auth_user === null ? '' : `  auth ${esc(v.auth_user)}`) +
    `  ${paint(s, DIM, `[${v.link} link]`)}`];
  for (const r of v.rcpts) {
    const ok = r.accepted === true ? paint(s, GREEN, 'accepted') : r.accepted === false ? paint(s, RED, `refused ${r.code ?? ''}`) : '?';
    out.push(`           RCPT ${esc(r.to)} → ${ok}${r.reason === null ? '' : ` (${esc(r.reason)})`}`);
  }
  return out;
}

/**
 * One line per session. The columns that vary little come first (time, pid, address and port,
 * stream, verdict); the client's host name, of any length, comes last so it cannot push them.
 */
export function sessionSummary(v: SessionView, s: Style): string {
  const x = v.session;
  const queued = x.queued === true || v.messages.length > 0;
  const color = x.refused === true ? RED : queued ? GREEN : YELLOW;
  const verdict = paint(s, color, verdictOf(v).padEnd(34));
  const msgs = (v.messages.length === 0 ? '' : `${v.messages.length} message${v.messages.length > 1 ? 's' : ''}`).padEnd(11);
  const addr = `${esc(x.client.ip ?? '?')}${x.client.port === null ? '' : ':' + x.client.port}`;
  const host = x.client.host === null || x.client.host === '' ? '' : esc(x.client.host);
  return `${when(v.started, s)}  ${String(x.pid).padStart(7)}  ${addr.padEnd(21)} ${esc(x.stream).padEnd(7)} ${verdict} ${msgs} ${host}`.trimEnd() + '\n';
}

/** The session's verdict; one with no dialogue logged that a message was linked to did queue it. */
function verdictOf(v: SessionView): string {
  const x = v.session;
  if (x.queued !== true && v.messages.length > 0) return `queued (${v.messages.every((m) => m.link === 'exact') ? 'exact' : 'inferred'} link)`;
  return esc(x.verdict);
}

export function prettySession(v: SessionView, s: Style): string {
  const x = v.session;
  const out: string[] = [];
  // tcpserver logs no `end` after a deny: the connection was closed at once, not left open.
  const open = x.open && x.tcp !== 'deny';
  out.push(`${paint(s, BOLD, `session pid ${x.pid}`)} on ${esc(x.host)}/${esc(x.stream)}  ${paint(s, DIM, esc(v.id))}${open ? '  [still open at the end of the logs]' : ''}`);
  out.push(`  client   ${client(x.client)}` + (x.local.ip === null ? '' : `  → ${esc(x.local.ip)}:${x.local.port ?? '?'}`));
  const ended = v.ended === null ? (open ? '(open)' : '') : when(v.ended, s);
  out.push(`  time     ${when(v.started, s)}${ended === '' ? '' : ` … ${ended}`}` + (x.exit === null ? '' : `  exit ${x.exit.code ?? `signal ${x.exit.signal}`}`));
  if (x.tcp === 'deny') out.push(`  ${paint(s, RED, 'denied by tcprules')}`);
  if (x.rbl !== null) out.push(`  ${paint(s, x.rbl.code >= 500 ? RED : YELLOW, `rblsmtpd ${x.rbl.code}`)} ${esc(x.rbl.text)}`);
  if (x.helo !== null) out.push(`  ${x.helo.verb.padEnd(8)} ${esc(x.helo.arg)}`);
  if (x.auth !== null) {
    out.push(`  auth     ${esc(x.auth.mechanism ?? '')} ${esc(x.auth.user ?? '')} ${x.auth.ok === false ? paint(s, RED, 'failed') : ''}`.trimEnd());
  }
  if (x.tls) out.push('  STARTTLS (the rest of the dialogue is encrypted)');
  for (const t of x.transactions) {
    const m = t.mailReply === null ? '' : ` → ${t.mailReply.code}${t.mailAccepted === false ? ' ' + paint(s, RED, esc(t.mailReply.text)) : ''}`;
    out.push(`  MAIL FROM <${esc(t.mailFrom ?? '?')}>${m}`);
    for (const r of t.rcpts) {
      const res = r.accepted === true ? paint(s, GREEN, `${r.code ?? ''} ok`) : r.accepted === false
        ? paint(s, RED, `${r.code ?? ''} ${esc(r.text ?? '')}`) : 'no reply';
      out.push(`    RCPT TO <${esc(r.addr)}> → ${res}`);
    }
    for (const d of t.data) {
      const res = d.result === 'queued' ? paint(s, GREEN, `queued, qp ${d.qp ?? '?'}`)
        : paint(s, RED, `${d.result} ${d.code ?? ''} ${esc(d.text ?? '')}`.trim());
      out.push(`    DATA (${d.bodyBytes} bytes) → ${res}`);
    }
  }
  if (x.otherCommands.length > 0) {
    out.push(`  other    ${x.otherCommands.map((c) => `${esc(c.word)} → ${c.code ?? '?'}`).join(', ')}`);
  }
  if (!x.dialogue && x.tcp !== 'deny' && x.rbl === null) {
    out.push(paint(s, DIM, '  (no SMTP dialogue in this log: run qmail-smtpd under recordio to see it)'));
  }
  out.push(`  verdict  ${verdictOf(v)}${x.refused === true ? '  (refused)' : ''}`);
  for (const m of v.messages) out.push(`  queued   ${esc(m.id)}  ${paint(s, DIM, `[${m.link} link${m.qp === null ? '' : `, qp ${m.qp}`}]`)}`);
  return out.join('\n') + '\n';
}
