// What each qmail-smtpd add-on's line means to a session, one rule per event kind: where it
// belongs (its smtpd pid, else the client IP), whether it turned the client away or let mail
// through (for the verdict), the QMAILQUEUE wrapper it shows, and the envelope it reports when
// recordio does not log the dialogue, or the refusal that ended the connection. A new add-on is a
// new entry here; a kind without one is kept on the only open session of its stream and says nothing.

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
  /** The line belongs to no session (counted as an orphan add-on line, like one whose session is gone). */
  readonly detached?: (ev: E) => boolean;
  /** The connection was refused outright (an RBL): the session's verdict. */
  readonly refusal?: (ev: E) => string | null;
  /** What the line says of the session itself (AUTH, client IP), dialogue logged or not. */
  readonly session?: (ev: E, s: MSession) => void;
}

type Rules = { readonly [K in SmtpdAddonEvent['kind']]?: AddonRule<Extract<SmtpdAddonEvent, { kind: K }>> };

export const ADDON_RULES: Rules = {
  chkuser: {
    ip: (ev) => ev.remoteIp,
    says: (ev) => (ev.accepted ? 'accept' : 'reject'),
    envelope: (ev, env) => {
      env.known();
      const t = env.tx(ev.sender);
      if (t === undefined) return;
      if (ev.stage === 'sender') env.mailVerdict(t, ev.accepted, ev.accepted ? null : 'chkuser');
      else env.rcpt(t, ev.rcpt, ev.accepted, null, ev.accepted ? null : ev.threshold ? 'chkuser_threshold' : 'chkuser');
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
    says: (ev) => (ev.action === 'reject' ? 'reject' : 'accept'),   // drop: accepted, then discarded
    wrapper: 'simscan',
  },
  simscan_debug: { pid: (ev) => ev.ppid },
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
  rbl_listed: {
    ip: (ev) => ev.ip,
    says: () => 'reject',
    refusal: (ev) => `rblsmtpd (${ev.list})`,
    session: (ev, s) => { s.client.ip ??= ev.ip; },
  },
  smtpd_rbl: {
    ip: (ev) => ev.ip,
    says: () => 'reject',
    refusal: (ev) => `smtpd RBL ${ev.code} (${ev.list})`,
    session: (ev, s) => { s.client.ip ??= ev.ip; },
  },
  goodrcptto: {
    pid: (ev) => ev.pid,
    says: (ev) => (ev.ok ? 'accept' : 'reject'),
    envelope: (ev, env) => {
      if (ev.rcpt === null) return;
      env.known();
      const t = env.tx(ev.sender);
      if (t !== undefined) env.rcpt(t, ev.rcpt, ev.ok, null, ev.ok ? null : 'goodrcptto');
    },
  },
  smtpd_recv: {
    pid: (ev) => ev.pid,
    says: () => 'accept',
    envelope: (ev, env) => {
      env.known();
      const t = env.tx(ev.sender);
      if (t !== undefined) env.data(t, null, null, ev.qp, 'queued');
    },
  },
  smtpd_policy: {                             // no pid, no IP: the only open session of its stream
    session: (ev, s) => {
      if (ev.authenticated && (s.auth === null || s.auth.user === null)) {
        s.auth = { mechanism: s.auth?.mechanism ?? null, user: ev.from, ok: true };
      }
    },
  },
  spamdyke_note: { pid: (ev) => ev.pid },
  indimail: {
    pid: (ev) => ev.pid,
    detached: (ev) => ev.program !== 'qmail-smtpd',   // qmail-local / qmail-remote fifo lines
    says: (ev) => (ev.line === 'accepted' ? 'accept' : ev.line === 'queue_error' ? 'reject' : null),
    envelope: (ev, env) => {
      if (ev.line !== 'accepted' && ev.line !== 'queue_error') return;
      env.known();
      const t = env.tx(ev.from);
      if (t === undefined) return;
      if (ev.line === 'accepted') { if (ev.rcpt !== null) env.rcpt(t, ev.rcpt, true, null, null); }
      else env.data(t, null, 'queue', ev.qp, ev.permanent === true ? 'refused' : 'tempfail');
    },
    session: (ev, s) => {
      if (ev.line === 'auth_failure') s.auth = { mechanism: ev.method, user: ev.auth, ok: false };
    },
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

/** The first outright refusal an add-on logged for the session, if any. */
export function addonRefusal(s: MSession): string | null {
  for (const a of s.addons) {
    const r = ruleOf(a.event)?.refusal?.(a.event) ?? null;
    if (r !== null) return r;
  }
  return null;
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

  /** The add-on's verdict on the MAIL (no SMTP reply logged). */
  mailVerdict(t: MTx, ok: boolean, reason: string | null): void {
    t.mailAccepted = ok;
    if (reason !== null) t.mailReason = reason;
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
