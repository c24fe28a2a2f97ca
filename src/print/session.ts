// Readable SMTP sessions: who connected, what they said, what was refused and why, what was queued.

import type { MessageSessionView, SessionView } from '../query/sessions.js';
import { paint, when, type Style } from './style.js';

const RED = 'red', GREEN = 'green', YELLOW = 'yellow', DIM = 'dim', BOLD = 'bold';

function client(c: { ip: string | null; port: number | null; host: string | null }): string {
  return `${c.ip ?? '?'}${c.port === null ? '' : ':' + c.port}${c.host === null ? '' : ` (${c.host})`}`;
}

/** The lines a message timeline shows for its session. */
export function messageSessionLines(v: MessageSessionView, s: Style): string[] {
  const out = [`  smtp     from ${client(v.client)}  pid ${v.pid} on ${v.stream}` +
    (v.helo === null ? '' : `  helo ${v.helo}`) + (v.auth_user === null ? '' : `  auth ${v.auth_user}`) +
    `  ${paint(s, DIM, `[${v.link} link]`)}`];
  for (const r of v.rcpts) {
    const ok = r.accepted === true ? paint(s, GREEN, 'accepted') : r.accepted === false ? paint(s, RED, `refused ${r.code ?? ''}`) : '?';
    out.push(`           RCPT ${r.to} → ${ok}${r.reason === null ? '' : ` (${r.reason})`}`);
  }
  return out;
}

export function sessionSummary(v: SessionView, s: Style): string {
  const x = v.session;
  const ok = x.queued === true;
  const verdict = paint(s, ok ? GREEN : x.queued === false ? RED : YELLOW, x.verdict);
  const msgs = v.messages.length === 0 ? '' : `  ${v.messages.length} message${v.messages.length > 1 ? 's' : ''}`;
  return `${when(v.started, s)}  ${String(x.pid).padStart(7)}  ${client(x.client).padEnd(28)} ${x.stream.padEnd(7)} ${verdict}${msgs}\n`;
}

export function prettySession(v: SessionView, s: Style): string {
  const x = v.session;
  const out: string[] = [];
  out.push(`${paint(s, BOLD, `session pid ${x.pid}`)} on ${x.host}/${x.stream}  ${paint(s, DIM, v.id)}${x.open ? '  [still open at the end of the logs]' : ''}`);
  out.push(`  client   ${client(x.client)}` + (x.local.ip === null ? '' : `  → ${x.local.ip}:${x.local.port ?? '?'}`));
  out.push(`  time     ${when(v.started, s)} … ${when(v.ended, s)}` + (x.exit === null ? '' : `  exit ${x.exit.code ?? `signal ${x.exit.signal}`}`));
  if (x.tcp === 'deny') out.push(`  ${paint(s, RED, 'denied by tcprules')}`);
  if (x.rbl !== null) out.push(`  ${paint(s, x.rbl.code >= 500 ? RED : YELLOW, `rblsmtpd ${x.rbl.code}`)} ${x.rbl.text}`);
  if (x.helo !== null) out.push(`  ${x.helo.verb.padEnd(8)} ${x.helo.arg}`);
  if (x.auth !== null) out.push(`  auth     ${x.auth.mechanism ?? ''} ${x.auth.user ?? ''} ${x.auth.ok === false ? paint(s, RED, 'failed') : ''}`.trimEnd());
  if (x.tls) out.push('  STARTTLS (the rest of the dialogue is encrypted)');
  for (const t of x.transactions) {
    const m = t.mailReply === null ? '' : ` → ${t.mailReply.code}${t.mailAccepted === false ? ' ' + paint(s, RED, t.mailReply.text) : ''}`;
    out.push(`  MAIL FROM <${t.mailFrom ?? '?'}>${m}`);
    for (const r of t.rcpts) {
      const res = r.accepted === true ? paint(s, GREEN, `${r.code ?? ''} ok`) : r.accepted === false
        ? paint(s, RED, `${r.code ?? ''} ${r.text ?? ''}`) : 'no reply';
      out.push(`    RCPT TO <${r.addr}> → ${res}`);
    }
    for (const d of t.data) {
      const res = d.result === 'queued' ? paint(s, GREEN, `queued, qp ${d.qp ?? '?'}`) : paint(s, RED, `${d.result} ${d.code ?? ''} ${d.text ?? ''}`.trim());
      out.push(`    DATA (${d.bodyBytes} bytes) → ${res}`);
    }
  }
  if (x.otherCommands.length > 0) {
    out.push(`  other    ${x.otherCommands.map((c) => `${c.word} → ${c.code ?? '?'}`).join(', ')}`);
  }
  if (!x.dialogue) out.push(paint(s, DIM, '  (no SMTP dialogue in this log: run qmail-smtpd under recordio to see it)'));
  out.push(`  verdict  ${x.verdict}`);
  for (const m of v.messages) out.push(`  queued   ${m.id}  ${paint(s, DIM, `[${m.link} link${m.qp === null ? '' : `, qp ${m.qp}`}]`)}`);
  return out.join('\n') + '\n';
}
