// Compares qtrace's timelines with a lab batch's ground truth; returns the mismatches, one per line.

import type { RecipientView, TimelineView } from '../../src/query/view.js';
import { logsafe, type Truth, type TruthMessage, type TruthRecipient } from './lab.js';

export interface CheckResult {
  readonly mismatches: string[];
  readonly messagesChecked: number;
  readonly recipientsChecked: number;
  readonly bouncesChecked: number;
  readonly forwardsChecked: number;
  readonly tripleBounces: number;
}

type Expect = 'delivered' | 'failed' | 'none';

export function expectedOutcome(r: TruthRecipient): Expect {
  const o = r.observed;
  if (o.startsWith('rejected at SMTP') || o.startsWith('not queued')) return 'none';
  if (o.startsWith('delivered') || o.startsWith('deferred-then-delivered') || o.startsWith('forwarded')) return 'delivered';
  return 'failed'; // bounced, deferred-then-bounced, bounced(in double bounce), discarded (triple bounce)
}

function sameRecipient(logged: string, rcpt: string): boolean {
  const want = logsafe(rcpt.includes('@') ? rcpt : `${rcpt}@mx.example.test`).toLowerCase();
  const got = logged.toLowerCase();
  if (got === want) return true;
  // virtual domains: the log shows prefix-local@domain
  const [gl, gd] = [got.slice(0, got.lastIndexOf('@')), got.slice(got.lastIndexOf('@'))];
  const [wl, wd] = [want.slice(0, want.lastIndexOf('@')), want.slice(want.lastIndexOf('@'))];
  return gd === wd && gl.endsWith('-' + wl);
}

export function checkTruth(truth: Truth, timelines: readonly TimelineView[]): CheckResult {
  const bad: string[] = [];
  const byQp = new Map<number, TimelineView[]>();
  const byId = new Map<string, TimelineView>();
  for (const t of timelines) {
    byId.set(t.id, t);
    if (t.qp === null) continue;
    let l = byQp.get(t.qp);
    if (l === undefined) byQp.set(t.qp, (l = []));
    l.push(t);
  }
  let messages = 0, recipients = 0, bounces = 0, forwards = 0, triples = 0;

  const used = new Set<string>();
  const byToken = new Map<string, TimelineView>();
  const findMessage = (m: TruthMessage): TimelineView | undefined => {
    let cands = (byQp.get(m.qp!) ?? []).filter((t) => t.from === logsafe(m.envelope_sender) &&
      (m.time === undefined || Math.abs(Date.parse(t.queued ?? t.first_seen) / 1000 - m.time) < 60));
    if (cands.length > 1) {
      // Pids wrap (the volume truth has no times): the recipient list tells the reuses apart.
      const want = m.recipients.filter((r) => expectedOutcome(r) !== 'none');
      cands = cands.filter((t) => t.recipients.length === want.length &&
        want.every((r) => t.recipients.some((x) => sameRecipient(x.to, r.rcpt))));
      // Still several: the truth lists messages in sending order, so take the earliest unclaimed.
      if (m.time === undefined) cands = cands.filter((t) => !used.has(t.id)).slice(0, 1);
    }
    if (cands.length !== 1) {
      bad.push(`${m.token}: ${cands.length} timelines with qp ${m.qp} and sender <${m.envelope_sender}>`);
      return undefined;
    }
    used.add(cands[0]!.id);
    return cands[0];
  };

  /** The bounce messages reachable from t through bounce links (the bounce, its double bounce). */
  const bounceChain = (t: TimelineView): TimelineView[] => {
    const out: TimelineView[] = [];
    let cur: TimelineView | undefined = t;
    for (let hop = 0; hop < 3 && cur?.bounce?.id != null; hop++) {
      cur = byId.get(cur.bounce.id);
      if (cur !== undefined) out.push(cur);
    }
    return out;
  };

  for (const m of truth.messages) {
    const queued = m.recipients.some((r) => expectedOutcome(r) !== 'none');
    if (!queued || m.qp === undefined) continue;
    const t = findMessage(m);
    if (t === undefined) continue;
    byToken.set(m.token, t);
    messages++;
    if (t.partial || t.lost || t.ended === null) bad.push(`${m.token}: partial=${t.partial} lost=${t.lost} ended=${t.ended}`);
    const free: RecipientView[] = [...t.recipients];
    for (const r of m.recipients) {
      const want = expectedOutcome(r);
      if (want === 'none') continue;
      recipients++;
      const i = free.findIndex((x) => sameRecipient(x.to, r.rcpt));
      if (i < 0) { bad.push(`${m.token}: recipient ${r.rcpt} not in timeline (${t.recipients.map((x) => x.to).join(', ')})`); continue; }
      const got = free.splice(i, 1)[0]!;
      if (got.outcome !== want) bad.push(`${m.token}: ${r.rcpt} is ${got.outcome}, truth ${r.observed}`);
      if (r.observed.startsWith('deferred-then') && got.attempts < 2) bad.push(`${m.token}: ${r.rcpt} deferred first but ${got.attempts} attempt(s)`);
      const wantBounceQps = [...(r.evidence?.bounces?.map((b) => b.bounce_qp) ?? []), ...(r.bounce_qp ?? [])];
      if (want === 'failed' && r.observed.startsWith('discarded')) {
        triples++;
        if (!t.triple_bounce) bad.push(`${m.token}: triple bounce not marked`);
        if (t.bounce !== null) bad.push(`${m.token}: a discarded bounce has a bounce link`);
      } else if (want === 'failed') {
        const chain = bounceChain(t);
        for (const q of wantBounceQps) {
          bounces++;
          const b = chain.find((x) => x.qp === q);
          if (b === undefined) { bad.push(`${m.token}: bounce qp ${q} not linked (chain: ${chain.map((x) => x.qp).join(',')}, bounce ${JSON.stringify(t.bounce)})`); continue; }
          if (b.from !== '' && b.from !== '#@[]') bad.push(`${m.token}: bounce ${b.id} has sender <${b.from}>`);
          if (b.bounce_of === null) bad.push(`${m.token}: bounce ${b.id} has no bounce_of`);
        }
      }
    }
    for (const r of m.recipients) {
      const target = (r as { forward_target?: string }).forward_target;
      if (target === undefined) continue;
      forwards++;
      const copies = t.forwards.map((f) => (f.id === null ? undefined : byId.get(f.id))).filter((x) => x !== undefined);
      const copy = copies.find((c) => c.recipients.some((x) => x.to === target));
      if (copy === undefined) { bad.push(`${m.token}: no linked forwarded copy to ${target} (${JSON.stringify(t.forwards)})`); continue; }
      if (copy.forward_of !== t.id) bad.push(`${m.token}: forwarded copy ${copy.id} does not point back`);
      const end = r.observed.slice(r.observed.indexOf('->') + 3);
      const got = copy.recipients.find((x) => x.to === target)!.outcome;
      if (end.startsWith('delivered') && got !== 'delivered') bad.push(`${m.token}: forwarded copy is ${got}, truth ${end}`);
      if (end.startsWith('bounced')) {
        if (got !== 'failed') bad.push(`${m.token}: forwarded copy is ${got}, truth ${end}`);
        for (const b of r.evidence?.bounces ?? []) {
          bounces++;
          if (copy.bounce?.qp !== b.bounce_qp || copy.bounce.id === null) bad.push(`${m.token}: forwarded copy's bounce ${JSON.stringify(copy.bounce)}, truth qp ${b.bounce_qp}`);
        }
      }
    }
  }
  // Each bounce message: reachable from its originals through bounce links (and forwards).
  for (const b of truth.bounce_messages) {
    const wantFrom = b.kind === 'double-bounce' ? '#@[]' : '';
    for (const token of b.tokens) {
      const orig = byToken.get(token);
      if (orig === undefined) continue;
      const reach = [orig, ...orig.forwards.map((f) => (f.id === null ? undefined : byId.get(f.id))).filter((x) => x !== undefined)];
      const found = reach.flatMap((x) => bounceChain(x)).find((x) => x.qp === b.bounce_qp && x.from === wantFrom);
      if (found === undefined) { bad.push(`bounce qp ${b.bounce_qp} (${b.kind}) of ${token}: not linked`); continue; }
      if (found.recipients.some((r) => r.outcome !== 'delivered')) bad.push(`bounce qp ${b.bounce_qp}: not delivered`);
    }
  }
  return { mismatches: bad, messagesChecked: messages, recipientsChecked: recipients, bouncesChecked: bounces,
    forwardsChecked: forwards, tripleBounces: triples };
}
