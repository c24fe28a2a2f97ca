// The "trace an incoming message" checklist, step by step, following qmail's own code paths:
// qmail-smtpd (rcpthosts.c), qmail-send (rewrite()), qmail-lspawn (nughde_get), qmail-getpw,
// qmail-local (checkhome, qmesearch, the .qmail line loop). Pure logic over an FsPort.
// Each step lives in steps/; this file runs them in qmail's order and builds the verdict.
import type { Delivery, DotQmailStep, ExplainResult, Finding, PermissionsStep, UserStep } from './types.js';
import { stepDotQmail } from './steps/dotqmail.js';
import { stepEvidence } from './steps/evidence.js';
import { stepPermissions } from './steps/permissions.js';
import { stepRoute } from './steps/route.js';
import type { WalkContext } from './steps/shared.js';
import { stepSmtp } from './steps/smtp.js';
import { stepUser } from './steps/user.js';

export type { WalkContext } from './steps/shared.js';
// Was defined here; tests import it from this module.
export { dotQmailNames } from './steps/dotqmail.js';

const skipped = <K extends 'user' | 'dotqmail' | 'permissions', N extends 3 | 4 | 5>(n: N, kind: K, title: string, why: string) =>
  ({ n, kind, title, mark: 'skip' as const, summary: why, decidedBy: null, findings: [] as Finding[], data: null });

export function walk(ctx: WalkContext, input: string): ExplainResult {
  const smtp = stepSmtp(ctx, input);
  const route = stepRoute(ctx, input, smtp.listed, smtp.step.data?.accepted ?? false);
  const r = route.step.data;
  const evidenceFor = r ? [r.rewritten, r.address, input] : [input];

  let user: UserStep = skipped(3, 'user', 'User', 'not a local delivery');
  let dot: DotQmailStep = skipped(4, 'dotqmail', '.qmail file', 'not a local delivery');
  let perms: PermissionsStep = skipped(5, 'permissions', 'Permissions', 'not a local delivery');
  let delivery: Delivery;
  let reason: string;

  if (route.failure) {
    const why = 'qmail-send is not running';
    user = skipped(3, 'user', 'User', why);
    dot = skipped(4, 'dotqmail', '.qmail file', why);
    perms = skipped(5, 'permissions', 'Permissions', why);
    delivery = route.failure.kind;
    reason = route.failure.message;
  } else if (!r || r.channel === 'remote') {
    delivery = 'remote';
    reason = r?.relay ? `qmail-remote sends it to ${r.relay.host}:${r.relay.port} (smtproutes)` : `qmail-remote sends it to the MX of ${r?.domain ?? input}`;
  } else {
    const u = stepUser(ctx, r.localPart ?? '');
    user = u.step;
    if (!u.user || u.failure) {
      const why = 'qmail-lspawn does not get as far as qmail-local';
      dot = skipped(4, 'dotqmail', '.qmail file', why);
      perms = skipped(5, 'permissions', 'Permissions', why);
      delivery = u.failure?.kind ?? 'defer';
      reason = u.failure?.message ?? 'no user';
    } else {
      const d = stepDotQmail(ctx, u.user);
      const p = stepPermissions(ctx, u.user, d.chosen);
      dot = d.step;
      perms = p.step;
      // qmail-local's order: chdir(home), checkhome(), open the .qmail, its mode, then the search result and the lines.
      const first = p.chdirFailure ?? p.homeFailure ?? d.openFailure ?? p.dotqmailFailure ?? d.failure;
      if (first) {
        delivery = first.kind;
        reason = first.message;
      } else {
        delivery = 'delivered';
        const programs = d.step.data?.lines.some((l) => l.kind === 'program') ?? false;
        reason = `qmail-local as ${u.user.user}: ${d.delivers || 'nothing to do'}${programs ? " (if the program's exit code says so)" : ''}`;
      }
    }
  }

  const evidence = stepEvidence(ctx, evidenceFor);
  const refused = !(smtp.step.data?.accepted ?? false);
  const exitCode: 0 | 1 = refused || delivery === 'bounce' || delivery === 'defer' ? 1 : 0;
  return {
    address: input,
    root: ctx.root,
    verdict: { smtp: refused ? 'refused' : 'accepted', delivery, reason },
    exitCode,
    steps: [smtp.step, route.step, user, dot, perms, evidence],
  };
}
