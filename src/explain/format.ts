// Text rendering of an ExplainResult: a numbered checklist, one mark per step, the deciding
// file:line, then the details. `--json` prints the same object instead.
import { MARK as OUTCOME_MARK, reasonLine } from '../print/pretty.js';
import { when, type Style } from '../print/style.js';
import { escapeTerminalLines } from '../text/escape.js';
import type { ExplainResult, Level, Mark, SourceRef, Step } from './types.js';

const MARK: Record<Mark, string> = { ok: '✓', fail: '✗', warn: '!', skip: '-' };
const LEVEL: Record<Level, string> = { ok: '✓', fail: '✗', warn: '!', note: '·' };

export function formatRef(r: SourceRef): string {
  return r.line === null ? r.file : `${r.file}:${r.line}`;
}

function details(step: Step, out: string[], style: Style): void {
  const pad = '      ';
  switch (step.kind) {
    case 'user': {
      const c = step.data?.candidates ?? [];
      if (c.length) out.push(`${pad}qmail-getpw tried: ${c.map((x) => `${x.name} (${x.result})`).join(', ')}`);
      break;
    }
    case 'dotqmail': {
      const d = step.data;
      if (!d) break;
      if (d.searched.length) out.push(`${pad}searched: ${d.searched.map((s) => `${s.name}${s.exists ? ' ✓' : ''}`).join(', ')}`);
      if (d.defaultDelivery) out.push(`${pad}default delivery: ${JSON.stringify(d.defaultDelivery.value)}`);
      const width = Math.min(40, Math.max(0, ...d.lines.map((l) => l.text.length)));
      for (const l of d.lines) out.push(`${pad}${String(l.n).padStart(3)}  ${l.text.padEnd(width)}  ${LEVEL[l.level]} ${l.kind}: ${l.note}`);
      break;
    }
    case 'evidence': {
      const d = step.data;
      if (!d) break;
      out.push(`${pad}searched: ${d.searched.join(', ')}`);
      // the words and time format of `qtrace show`
      for (const x of d.deliveries) {
        const mark = OUTCOME_MARK[x.outcome as keyof typeof OUTCOME_MARK]?.[0];
        out.push(`${pad}msg ${x.id}  queued ${when(x.queued, style)}  ${mark === undefined ? '' : mark + ' '}${x.outcome} ${x.to}`);
        if (x.reason) out.push(`${pad}    ${reasonLine(x.reason)}`); // escaped with the rest below
      }
      for (const s of d.sessions) {
        out.push(`${pad}session ${s.id}  ${when(s.start, style)}  from ${s.client}  RCPT → ${s.reply ?? '(no reply recorded)'}`);
      }
      break;
    }
    default:
      break;
  }
}

/**
 * The checklist as text. Configuration lines and log text are written by others: the whole text
 * is escaped for the terminal (src/text/escape.ts); --json prints the result unescaped.
 */
export function formatExplain(result: ExplainResult, style: Style = { color: false, zone: 'system' }): string {
  const out: string[] = [`qtrace explain ${result.address}  (qmail root ${result.root})`, ''];
  for (const step of result.steps) {
    out.push(`${step.n} ${MARK[step.mark]} ${step.title}: ${step.summary}`);
    if (step.decidedBy) out.push(`      at ${formatRef(step.decidedBy)}`);
    for (const f of step.findings) out.push(`      ${LEVEL[f.level]} ${f.text}${f.at ? `  [${formatRef(f.at)}]` : ''}`);
    details(step, out, style);
  }
  const v = result.verdict;
  const what =
    v.delivery === 'delivered'
      ? 'delivered'
      : v.delivery === 'remote'
        ? 'sent to a remote host'
        : v.delivery === 'bounce'
          ? 'bounced'
          : 'deferred (retried until queuelifetime, then bounced)';
  out.push('');
  out.push(`Result: ${v.smtp === 'refused' ? 'refused at SMTP from outside; if injected locally it is ' : ''}${what} — ${v.reason}  (exit ${result.exitCode})`);
  return escapeTerminalLines(out.join('\n')) + '\n';
}
