// Text rendering of an ExplainResult: a numbered checklist, one mark per step, the deciding
// file:line, then the details. `--json` prints the same object instead.
import type { ExplainResult, Level, Mark, SourceRef, Step } from './types.js';

const MARK: Record<Mark, string> = { ok: '✓', fail: '✗', warn: '!', skip: '-' };
const LEVEL: Record<Level, string> = { ok: '✓', fail: '✗', warn: '!', note: '·' };

export function formatRef(r: SourceRef): string {
  return r.line === null ? r.file : `${r.file}:${r.line}`;
}

function details(step: Step, out: string[]): void {
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
      for (const x of d.deliveries) out.push(`${pad}delivery ${x.id} ${x.queued ?? '?'} to ${x.to}: ${x.outcome}${x.reason ? ` — ${x.reason}` : ''}`);
      for (const s of d.sessions) out.push(`${pad}session ${s.id} ${s.start} from ${s.client}: ${s.reply ?? '(no reply recorded)'}`);
      break;
    }
    default:
      break;
  }
}

export function formatExplain(result: ExplainResult): string {
  const out: string[] = [`qtrace explain ${result.address}  (qmail root ${result.root})`, ''];
  for (const step of result.steps) {
    out.push(`${step.n} ${MARK[step.mark]} ${step.title}: ${step.summary}`);
    if (step.decidedBy) out.push(`      at ${formatRef(step.decidedBy)}`);
    for (const f of step.findings) out.push(`      ${LEVEL[f.level]} ${f.text}${f.at ? `  [${formatRef(f.at)}]` : ''}`);
    details(step, out);
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
  return out.join('\n') + '\n';
}
