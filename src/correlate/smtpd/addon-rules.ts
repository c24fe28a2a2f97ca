// What each qmail-smtpd add-on's line means to a session, one rule per event kind: where it
// belongs (its smtpd pid, else the client IP), whether it turned the client away or let mail
// through (for the verdict), the QMAILQUEUE wrapper it shows, and the envelope it reports when
// recordio does not log the dialogue. A new add-on is a new entry here; a kind without one is
// kept on the only open session of its stream and says nothing.

import type { SmtpdAddonEvent } from '../../../parsers/smtpd-events.js';
import type { DataResult } from './session-types.js';
import { closeTx, type MSession, type MTx } from './state.js';

export type AddonSays = 'reject' | 'accept' | null;

export interface AddonRule<E extends SmtpdAddonEvent> {
  /** The smtpd (or its parent's) pid the line names; null: find the session by `ip`. */
  readonly pid?: (ev: E) => number | null;
  /** The client IP the line names, when it has no pid. */
  readonly ip?: (ev: E) => string | null;
  readonly says?: (ev: E) => AddonSays;
  readonly wrapper?: string;
  /** The envelope it reports, for a session whose dialogue recordio does not show. */
  readonly envelope?: (ev: E, env: Envelope) => void;
}

type Rules = { readonly [K in SmtpdAddonEvent['kind']]?: AddonRule<Extract<SmtpdAddonEvent, { kind: K }>> };

export const ADDON_RULES: Rules = {
  chkuser: {
    ip: (ev) => ev.remoteIp,
    says: (ev) => (ev.accepted ? 'accept' : 'reject'),
    envelope: (ev, env) => {
      env.known();
      const t = env.tx(ev.sender);
      if (t !== undefined) env.rcpt(t, ev.rcpt, ev.accepted, null, ev.accepted ? null : 'chkuser');
    },
  },
  spamdyke: {
    pid: (ev) => ev.pid,
    ip: (ev) => ev.originIp,
    says: (ev) => (ev.allowed ? 'accept' : 'reject'),
    envelope: (ev, env) => {
      if (ev.to === '(unknown)') return;
      env.known();
      const t = env.tx(ev.from === '(unknown)' ? '' : ev.from);
      if (t !== undefined) env.rcpt(t, ev.to, ev.allowed, null, ev.allowed ? null : ev.result);
    },
  },
  simscan: {
    pid: (ev) => ev.ppid,
    says: (ev) => (/^clean/i.test(ev.result) ? 'accept' : 'reject'),
    wrapper: 'simscan',
  },
  simscan_debug: {},
  sqmail: {
    pid: (ev) => ev.pid,
    says: (ev) => (/^reject/i.test(ev.action) ? 'reject' : /^accept/i.test(ev.action) ? 'accept' : null),
    envelope: (ev, env) => {
      if (ev.type !== 'RCPT' && ev.type !== 'ORIG' && ev.type !== 'SNDR' && ev.type !== 'DATA') return;
      env.known();
      const t = env.tx(ev.from ?? '');
      if (t === undefined) return;
      const ok = ev.action === 'Accept';
      if (ev.type === 'DATA') {
        env.data(t, null, ok ? null : ev.condition === 'Invalid_Size' ? 'databytes' : ev.condition, null, ok ? 'queued' : 'refused');
      } else if (ev.rcpt !== null && ev.rcpt !== '') env.rcpt(t, ev.rcpt, ok, null, ok ? null : ev.condition);
    },
  },
  qlog: {
    pid: (ev) => ev.pid,
    ip: (ev) => ev.remoteip,
    says: (ev) => (ev.result === 'accepted' ? 'accept' : /reject/i.test(ev.result) || (ev.code ?? 0) >= 400 ? 'reject' : null),
    envelope: (ev, env) => {
      env.known();
      const ok = ev.result === 'accepted';
      if (ev.stage === 'received') {
        const t = env.tx(ev.mailfrom);
        if (t === undefined) return;
        if (t.rcpts.length === 0) for (const r of ev.rcptto) env.rcpt(t, r, true, null, null);
        env.data(t, ev.code, ok ? null : ev.reason, ev.qp, ok ? 'queued' : ev.code !== null && ev.code < 500 ? 'tempfail' : 'refused');
      } else if (ev.rcptto.length > 0) {
        const t = env.tx(ev.mailfrom);
        const r = ev.rcptto[0];
        if (t !== undefined && r !== undefined) env.rcpt(t, r, ok, ev.code, ok ? null : ev.reason);
      }
    },
  },
  smtpd_pidlog: {
    pid: (ev) => ev.pid,
    envelope: (ev, env) => {
      if (ev.verb === null || ev.addr === null) return;
      env.known();
      if (ev.verb === 'MAIL') env.mail(ev.addr);
      else {
        const t = env.tx(null);
        if (t !== undefined) env.rcpt(t, ev.addr, null, null, null);
      }
    },
  },
  smtpd_title: { pid: (ev) => ev.pid },
  smtpd_logit: {
    ip: (ev) => ev.ip,
    says: () => 'reject',                     // the logit patch logs refusals only
  },
};

/** The rule of an event's kind (typed for that kind), if any. */
export function ruleOf<E extends SmtpdAddonEvent>(ev: E): AddonRule<E> | undefined {
  return (ADDON_RULES as unknown as Readonly<Record<string, AddonRule<E> | undefined>>)[ev.kind];
}

/** An add-on's line that turned the client away (and one that let mail through). */
export function addonSays(ev: SmtpdAddonEvent): AddonSays {
  return ruleOf(ev)?.says?.(ev) ?? null;
}

/** The envelope operations a rule may use on one session, at one line's time. */
export class Envelope {
  constructor(private readonly s: MSession, private readonly time: number, private readonly maxItems: number) {}

  /** The add-ons, not recordio, tell this session's envelope. */
  known(): void { this.s.addonEnvelope = true; }

  /** The current add-on transaction; a new one when the sender changes or data was already seen. */
  tx(from: string | null): MTx | undefined {
    const s = this.s;
    const cur = s.st.tx >= 0 ? s.transactions[s.st.tx] : undefined;
    if (cur !== undefined && cur.data.length === 0 && (from === null || cur.mailFrom === null || cur.mailFrom === from)) {
      if (cur.mailFrom === null && from !== null) cur.mailFrom = from;
      return cur;
    }
    if (s.transactions.length >= this.maxItems) { s.truncated += 1; return undefined; }
    closeTx(s, 'mail');
    s.transactions.push({ start: this.time, mailFrom: from, mailAccepted: from === null ? null : true, mailReply: null,
      rcpts: [], data: [], endedBy: null });
    s.st.tx = s.transactions.length - 1;
    return s.transactions[s.st.tx];
  }

  /** A MAIL the line names: a new transaction (nothing accepted or refused yet). */
  mail(addr: string): void {
    const s = this.s;
    if (s.transactions.length >= this.maxItems) return;
    closeTx(s, 'mail');
    s.transactions.push({ start: this.time, mailFrom: addr, mailAccepted: null, mailReply: null, rcpts: [], data: [], endedBy: null });
    s.st.tx = s.transactions.length - 1;
  }

  rcpt(t: MTx, addr: string, ok: boolean | null, code: number | null, reason: string | null): void {
    if (t.rcpts.length >= this.maxItems) return;
    t.rcpts.push({ time: this.time, addr, accepted: ok, code, text: null, reason });
  }

  /** The message's fate as the add-on reports it (no body seen: 0 bytes). */
  data(t: MTx, code: number | null, reason: string | null, qp: number | null, result: DataResult): void {
    const time = this.time;
    t.data.push({ time, goAhead: true, bodyBytes: 0, bodyLines: 0, end: time, code, text: null, reason, qp, acceptedAt: null, result });
  }
}
