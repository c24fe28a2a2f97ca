// Step 6: what the log database saw for the address (recent deliveries and SMTP sessions).
import type { EvidenceDelivery, EvidenceSession, EvidenceStep, Mark } from '../types.js';
import { Notes } from './shared.js';
import type { WalkContext } from './shared.js';

export function stepEvidence(ctx: WalkContext, addresses: readonly string[]): EvidenceStep {
  const title = 'Log evidence';
  if (!ctx.evidence) return { n: 6, kind: 'evidence', title, mark: 'skip', summary: 'no log database given', decidedBy: null, findings: [], data: null };
  const notes = new Notes();
  const searched = [...new Set(addresses)];
  const deliveries: EvidenceDelivery[] = [];
  const sessions: EvidenceSession[] = [];
  const seenD = new Set<string>();
  const seenS = new Set<string>();
  for (const a of searched) {
    for (const d of ctx.evidence.recentDeliveries(a, ctx.evidenceLimit)) {
      const k = `${d.id}\0${d.to}`;
      if (!seenD.has(k)) {
        seenD.add(k);
        deliveries.push(d);
      }
    }
    for (const s of ctx.evidence.recentSessions(a, ctx.evidenceLimit)) {
      if (!seenS.has(s.id)) {
        seenS.add(s.id);
        sessions.push(s);
      }
    }
  }
  // Times are left to the printer (the data has them): text here reads the same in any zone.
  for (const s of sessions) if (s.reply && /^([45]\d\d|refused)/.test(s.reply)) notes.add('warn', `session ${s.id} from ${s.client}: RCPT → ${s.reply}`);
  const latest = deliveries[0];
  let mark: Mark = 'skip';
  let summary = `the log has no deliveries to ${searched.join(' or ')}`;
  if (latest) {
    const o = latest.outcome.toLowerCase();
    mark = /^(success|delivered)/.test(o) ? 'ok' : /^(fail|bounce)/.test(o) ? 'fail' : /^(defer|pending)/.test(o) ? 'warn' : 'ok';
    const n = deliveries.length === 1 ? '1 recent message' : `${deliveries.length} recent messages`;
    summary = `${n}; the latest to ${latest.to}: ${latest.outcome}${latest.reason ? ` — ${latest.reason.replace(/\n+/g, ' / ')}` : ''}`;
  }
  return { n: 6, kind: 'evidence', title, mark, summary, decidedBy: null, findings: notes.list, data: { searched, deliveries, sessions } };
}
