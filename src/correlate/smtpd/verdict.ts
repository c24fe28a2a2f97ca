// Why a session ended as it did: one verdict string, whether mail was queued, and `refused` only
// where the logs show the client was turned away.

import { addonSays } from './addon-rules.js';
import type { MData, MRcpt, MSession, MTx } from './state.js';

const RCPT_VERDICT: Readonly<Record<string, string>> = {
  rcpthosts: 'rcpthosts', chkuser: 'chkuser', badrcptto: 'badrcptto', no_mailbox: 'no mailbox',
  too_many_rcpts: 'too many recipients',
};
const MAIL_VERDICT: Readonly<Record<string, string>> = {
  badmailfrom: 'badmailfrom', syntax: 'syntax error', chkuser: 'chkuser',
};
const DATA_VERDICT: Readonly<Record<string, string>> = {
  databytes: 'databytes', loop: 'loop', qqt: 'qqt failure', bare_lf: 'bare LF', timeout: 'timeout during DATA',
};

export interface Verdict { verdict: string; queued: boolean | null; refused: boolean }

/**
 * `refused` only where the logs show a refusal: tcprules deny, rblsmtpd, an SMTP 4xx/5xx (MAIL,
 * every RCPT, DATA) after which nothing was queued, or an add-on's reject with nothing let through.
 * A session whose dialogue is not logged is never refused: its verdict is "unknown" (what it did
 * cannot be read from these logs).
 */
export function verdictOf(s: MSession): Verdict {
  if (s.tcp === 'deny') return { verdict: 'tcprules deny', queued: false, refused: true };
  if (s.rbl !== null) return { verdict: `rblsmtpd ${s.rbl.code}`, queued: false, refused: true };
  let lastData: MData | null = null;
  let lastRcptRefusal: MRcpt | null = null;
  let anyRcptAccepted = false;
  let mailRefusal: MTx | null = null;
  for (const t of s.transactions) {
    if (t.mailAccepted === false) mailRefusal = t;
    for (const r of t.rcpts) {
      if (r.accepted === true) anyRcptAccepted = true;
      else if (r.accepted === false) lastRcptRefusal = r;
    }
    for (const d of t.data) {
      if (d.result === 'queued') return { verdict: 'queued', queued: true, refused: false };
      lastData = d;
    }
  }
  const known = s.dialogue || s.addonEnvelope;
  if (!known) {
    const says = s.addons.map((a) => addonSays(a.event));
    if (says.includes('reject') && !says.includes('accept')) return { verdict: 'refused by an add-on', queued: null, refused: true };
    const tail = ' (no dialogue logged)';
    if (s.exit === null) return { verdict: s.open ? 'open' : `unknown${tail}`, queued: null, refused: false };
    if (s.exit.signal !== null) return { verdict: `smtpd killed by signal ${s.exit.signal}${tail}`, queued: null, refused: false };
    if (s.exit.code !== 0) return { verdict: `smtpd exit ${s.exit.code ?? '?'}${tail}`, queued: null, refused: false };
    return { verdict: `unknown${tail}`, queued: null, refused: false };
  }
  const queued = s.tls || !s.dialogue ? null : false;
  const refused = queued === false || s.addons.some((a) => addonSays(a.event) === 'reject');
  if (lastData !== null) {
    if (lastData.result === 'dropped') return { verdict: s.open ? 'open in DATA' : 'dropped during DATA', queued, refused: false };
    if (lastData.result === 'refused' || lastData.result === 'tempfail') {
      const r = lastData.reason === null ? undefined : DATA_VERDICT[lastData.reason];
      const timeout = lastData.reason === 'timeout';
      if (r !== undefined) return { verdict: r, queued, refused: refused && !timeout };
      if (lastData.goAhead) {
        const what = lastData.reason === 'queue' ? 'queue failure' : 'DATA';
        return { verdict: `${what} ${lastData.code ?? '?'}`, queued, refused };
      }
    }
    if (lastData.result === 'unknown' && lastData.goAhead) return { verdict: 'DATA sent, no reply logged', queued: null, refused: false };
  }
  if (s.tls) return { verdict: 'encrypted (STARTTLS)', queued: null, refused: false };
  if (lastRcptRefusal !== null && !anyRcptAccepted) {
    const r = lastRcptRefusal.reason === null ? undefined : RCPT_VERDICT[lastRcptRefusal.reason];
    return { verdict: r ?? `RCPT ${lastRcptRefusal.code ?? '?'}`, queued, refused };
  }
  if (mailRefusal !== null && !anyRcptAccepted) {
    const reason = mailRefusal.mailReply?.reason ?? null;
    const r = reason === null ? undefined : MAIL_VERDICT[reason];
    return { verdict: r ?? `MAIL ${mailRefusal.mailReply?.code ?? '?'}`, queued, refused };
  }
  if (s.unsolicited?.reason === 'timeout') return { verdict: 'timeout', queued, refused: false };
  if (s.quit) return { verdict: 'quit before DATA', queued, refused: false };
  if (s.open) return { verdict: 'open', queued: null, refused: false };
  return { verdict: 'dropped before DATA', queued, refused: false };
}
