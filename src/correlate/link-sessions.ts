// Link SMTP sessions to the messages qmail-send logged, precision first: a wrong link is worse than
// none. Pure: sessions and messages in, links out.
//
// exact    — a DATA reply `250 ok T qp Q` and a message whose `info msg … qp Q` is on the same host
//            within ±60 s (the nearest one; pids wrap, so Q alone is not an identity). Skipped when
//            the senders disagree (a QMAILQUEUE wrapper broke qp identity), and for sessions that show
//            a wrapper (simscan: the smtpd qp is the wrapper's pid) unless the senders agree.
// inferred — plain tcpserver + qmail-smtpd logs no qp. A message M's possible parents are the
//            sessions on its host that were open when M was queued (start ≤ queued ≤ end + 30 s:
//            qmail-send can log late), that could have queued something we do not know about (no
//            recordio dialogue, not blocked by tcprules/rblsmtpd, not exact-linked), and that pid
//            order does not rule out: with pids allocated upwards, qmail-queue Q was forked after
//            every session P′ with pid < Q, so a session that had already ended when such a P′
//            started (beyond a 1 ms slack) cannot be Q's grandparent. M is linked to S only when
//            S is its only possible parent, M is S's only possible message, M's uid is qmaild's
//            (learned from the exact links, else opts.qmaildUid), 0 < qp − pid ≤ 50 and
//            queued ≤ end + 2 s. A session that queued several messages is therefore never linked:
//            the first-message-only "qp just above pid" heuristic is wrong for the later ones.

import type { Session } from './sessions.js';

export interface MessageLite {
  readonly id: string;
  readonly host: string;
  readonly qp: number | null;
  readonly uid: number | null;
  readonly queued: number;                      // unix µs (`new msg`/`info msg` line)
  readonly from: string | null;                 // sender as qmail-send logged it
}

export interface SessionDataLite {
  readonly time: number;                        // unix µs of the DATA reply (or command)
  readonly qp: number | null;
  readonly sender: string | null;
  readonly queued: boolean;                     // 2xx final reply
}

export interface SessionLite {
  readonly host: string;
  readonly stream?: string;
  readonly pid: number;
  readonly start: number;
  readonly startSeen?: boolean;                 // start is tcpserver's fork (default true)
  readonly end: number | null;
  readonly client: { readonly ip: string | null; readonly port: number | null };
  readonly data: readonly SessionDataLite[];
  readonly dialogue: boolean;                   // the DATA list is complete (recordio / qlog seen)
  readonly blocked: boolean;                    // tcprules deny or rblsmtpd: nothing was queued
  readonly queueWrapper: string | null;
}

export interface LinkOptions {
  readonly exactWindowUs?: number;              // ±, default 60 s
  readonly skewUs?: number;                     // queued may trail the session end by this, default 2 s
  readonly horizonUs?: number;                  // …and a session that ended this long before still makes
                                                // the message ambiguous (qmail-send stalls), default 30 s
  readonly maxQpGap?: number;                   // 0 < qp − pid ≤ this, default 50
  readonly qmaildUid?: number;                  // used when no exact link teaches it
  readonly forkOrder?: boolean;                 // pid-order elimination, default true
  readonly forkSlackUs?: number;                // tolerance on that comparison, default 1 ms
  /** Time ranges the smtpd logs cover, per host and stream. A message is inferred only when every
   *  stream of its host covers its queue time (a session we never saw could be its parent).
   *  Default: per host, from the first session start to the last session end. */
  readonly coverage?: readonly { readonly host: string; readonly stream: string; readonly from: number; readonly to: number }[];
}

export interface SessionLink {
  readonly host: string;
  readonly stream: string | null;
  readonly pid: number;
  readonly start: number;
  readonly dataIndex: number | null;            // index into SessionLite.data (exact links)
  readonly messageId: string;
  readonly qp: number | null;
  readonly link: 'exact' | 'inferred';
}

/** What linkSessions needs of a Session: every DATA, flattened in order. */
export function toSessionLite(s: Session): SessionLite {
  const data: SessionDataLite[] = [];
  for (const t of s.transactions) {
    for (const d of t.data) {
      data.push({ time: d.end ?? d.time, qp: d.qp, sender: t.mailFrom, queued: d.result === 'queued' });
    }
  }
  return {
    host: s.host, stream: s.stream, pid: s.pid, start: s.start, startSeen: s.startSeen, end: s.end,
    client: { ip: s.client.ip, port: s.client.port }, data,
    dialogue: (s.dialogue && !s.tls && s.startSeen && s.truncated === 0) || s.queued === true,
    blocked: s.tcp === 'deny' || s.rbl !== null, queueWrapper: s.queueWrapper,
  };
}

/** A sender compared the way qmail-send logs it: bytes < 33, > 126 and '%' become '_'. */
function logsafe(addr: string): string {
  let out = '';
  for (const ch of addr) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') continue;                    // qmail-smtpd's addrparse drops quotes
    if (c < 33 || c === 37) out += '_';
    else if (c > 126) out += '_'.repeat(c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);
    else out += ch;
  }
  return out;
}

/** true/false when both are known; '_' (qmail-send) and '?' (syslog) match any one byte. */
export function sendersMatch(smtp: string | null, logged: string | null): boolean | null {
  if (smtp === null || logged === null) return null;
  const a = logsafe(smtp);
  const b = logsafe(logged);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && x !== 95 && y !== 95 && x !== 63 && y !== 63) return false;
  }
  return true;
}

function mode(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  let best: number | undefined;
  let bestN = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestN) { best = v; bestN = n; }
  }
  return best;
}

interface Claim { s: SessionLite; i: number; m: MessageLite; dt: number }

/**
 * The qps the sessions' queued DATA name. Of a window's messages, only those with one of these
 * qps (exact links) or with qmaild's uid (inferred links, once the exact ones taught it: see
 * learnedUid) can be linked: the store reads only those.
 */
export function namedQps(sessions: readonly SessionLite[]): number[] {
  const qps = new Set<number>();
  for (const s of sessions) for (const d of s.data) if (d.qp !== null && d.queued) qps.add(d.qp);
  return [...qps].sort((a, b) => a - b);
}

/** qmaild's uid as linkSessions learns it: the commonest uid of the exactly linked messages, else opts.qmaildUid. */
export function learnedUid(sessions: readonly SessionLite[], messages: readonly MessageLite[], opts: LinkOptions = {}): number | undefined {
  return mode(exactLinks(sessions, messages, opts.exactWindowUs ?? 60_000_000).uids) ?? opts.qmaildUid;
}

export function linkSessions(sessions: readonly SessionLite[], messages: readonly MessageLite[],
  opts: LinkOptions = {}): SessionLink[] {
  const skew = opts.skewUs ?? 2_000_000;
  const gap = opts.maxQpGap ?? 50;
  const slack = opts.forkSlackUs ?? 1_000;
  const horizon = Math.max(opts.horizonUs ?? 30_000_000, skew);
  const { links, claims, qpSeen, linked, uids } = exactLinks(sessions, messages, opts.exactWindowUs ?? 60_000_000);

  // --- inferred --------------------------------------------------------------------------------
  const uid = mode(uids) ?? opts.qmaildUid;
  if (uid !== undefined) {
    for (const l of inferLinks(sessions, messages, uid, claims, qpSeen, linked, skew, horizon, gap, slack,
      opts.forkOrder !== false, coverageOf(sessions, opts.coverage))) links.push(l);
  }
  return links.sort((a, b) => a.start - b.start || a.pid - b.pid || (a.dataIndex ?? -1) - (b.dataIndex ?? -1));
}

interface Exact {
  readonly links: SessionLink[];
  readonly claims: ReadonlyMap<string, Claim | null>;  // message id → best claim (null = contested)
  readonly qpSeen: ReadonlySet<string>;                  // messages some smtpd DATA names by qp
  readonly linked: ReadonlySet<SessionLite>;
  readonly uids: number[];                               // of the linked messages, in claim order
}

function exactLinks(sessions: readonly SessionLite[], messages: readonly MessageLite[], window: number): Exact {
  const byQp = new Map<string, MessageLite[]>();
  for (const m of messages) {
    if (m.qp === null) continue;
    const k = `${m.host}\u0000${m.qp}`;
    const list = byQp.get(k);
    if (list === undefined) byQp.set(k, [m]);
    else list.push(m);
  }

  // --- exact -----------------------------------------------------------------------------------
  const claims = new Map<string, Claim | null>();          // message id → best claim (null = contested)
  const qpSeen = new Set<string>();                         // messages some smtpd DATA names by qp
  for (const s of sessions) {
    s.data.forEach((d, i) => {
      if (d.qp === null || !d.queued) return;
      const list = byQp.get(`${s.host}\u0000${d.qp}`) ?? [];
      let best: MessageLite | undefined;
      let bestDt = Number.POSITIVE_INFINITY;
      let tie = false;
      for (const m of list) {
        const dt = Math.abs(m.queued - d.time);
        if (dt > window) continue;
        qpSeen.add(m.id);
        if (dt < bestDt) { best = m; bestDt = dt; tie = false; } else if (dt === bestDt) tie = true;
      }
      if (best === undefined || tie) return;
      const same = sendersMatch(d.sender, best.from);
      if (same === false) return;                          // a wrapper (seen or not) broke qp identity
      if (s.queueWrapper !== null && same !== true) return;
      const prev = claims.get(best.id);
      if (prev === undefined) claims.set(best.id, { s, i, m: best, dt: bestDt });
      else if (prev !== null && bestDt < prev.dt) claims.set(best.id, { s, i, m: best, dt: bestDt });
      else if (prev !== null && bestDt === prev.dt) claims.set(best.id, null);
    });
  }
  const links: SessionLink[] = [];
  const linked = new Set<SessionLite>();
  const uids: number[] = [];
  for (const c of claims.values()) {
    if (c === null) continue;
    links.push({ host: c.s.host, stream: c.s.stream ?? null, pid: c.s.pid, start: c.s.start, dataIndex: c.i,
      messageId: c.m.id, qp: c.m.qp, link: 'exact' });
    linked.add(c.s);
    if (c.m.uid !== null) uids.push(c.m.uid);
  }
  return { links, claims, qpSeen, linked, uids };
}

/**
 * A message's possible parents are all sessions on its host that were open when it was queued and
 * whose DATA results are not fully known (no recordio, or a queued DATA without qp), minus those
 * pid order rules out. The link is made only when that set is one session S, S has no other
 * possible message, and the qp is just above S's pid. Sessions are swept in start order, so the
 * cost is (messages + sessions) × concurrent sessions.
 */
function inferLinks(sessions: readonly SessionLite[], messages: readonly MessageLite[], uid: number,
  claims: ReadonlyMap<string, Claim | null>, qpSeen: ReadonlySet<string>, linked: ReadonlySet<SessionLite>,
  skew: number, horizon: number, gap: number, slack: number, forkOrder: boolean,
  covered: (host: string, t: number) => boolean): SessionLink[] {
  const unknown = (s: SessionLite): boolean => !s.blocked && !linked.has(s)
    && (!s.dialogue || s.data.some((d) => d.queued && d.qp === null));
  const byHost = new Map<string, SessionLite[]>();           // every session, sorted by pid: fork-order evidence
  for (const s of sessions) {
    const list = byHost.get(s.host);
    if (list === undefined) byHost.set(s.host, [s]); else list.push(s);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.pid - b.pid);

  /** S cannot be qp's parent: some session P′ with S.pid < P′ < qp started after S had ended. */
  const ruledOut = (s: SessionLite, m: MessageLite, qp: number): boolean => {
    if (!forkOrder || s.end === null || qp <= s.pid) return false;
    const list = byHost.get(s.host) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid]?.pid ?? 0) <= s.pid) lo = mid + 1; else hi = mid;
    }
    for (let i = lo; i < list.length; i += 1) {
      const p = list[i];
      if (p === undefined || p.pid >= qp) break;
      if (p.startSeen === false || p.start < s.start || p.start > m.queued + horizon) continue;   // another pid epoch
      if (s.end + slack < p.start) return true;
    }
    return false;
  };

  // a session whose start we did not see may have begun at any time before
  const from = (s: SessionLite): number => (s.startSeen === false ? Number.NEGATIVE_INFINITY : s.start);
  const cands = sessions.filter(unknown).sort((a, b) => from(a) - from(b));
  const msgs = messages.filter((m) => m.qp !== null && m.uid === uid && !claims.has(m.id) && !qpSeen.has(m.id)
    && covered(m.host, m.queued)).sort((a, b) => a.queued - b.queued);
  const parents = new Map<MessageLite, SessionLite[]>();
  const children = new Map<SessionLite, number>();
  let next = 0;
  let active: SessionLite[] = [];
  for (const m of msgs) {
    const qp = m.qp ?? 0;
    for (let s = cands[next]; s !== undefined && from(s) <= m.queued; s = cands[next]) {
      active.push(s);
      next += 1;
    }
    active = active.filter((s) => s.end === null || s.end + horizon >= m.queued);
    const ps: SessionLite[] = [];
    for (const s of active) {
      if (s.host !== m.host) continue;
      if (qp <= s.pid && s.pid - qp < 1000) continue;       // qmail-queue is younger than its session (no pid wrap)
      if (ruledOut(s, m, qp)) continue;
      ps.push(s);
      children.set(s, (children.get(s) ?? 0) + 1);
    }
    parents.set(m, ps);
  }
  const out: SessionLink[] = [];
  for (const [m, ps] of parents) {
    const s = ps[0];
    if (ps.length !== 1 || s === undefined || children.get(s) !== 1) continue;
    const d = (m.qp ?? 0) - s.pid;
    if (d <= 0 || d > gap || (s.end !== null && m.queued > s.end + skew)) continue;
    out.push({ host: s.host, stream: s.stream ?? null, pid: s.pid, start: s.start, dataIndex: null,
      messageId: m.id, qp: m.qp, link: 'inferred' });
  }
  return out;
}

function coverageOf(sessions: readonly SessionLite[],
  given: LinkOptions['coverage']): (host: string, t: number) => boolean {
  if (given !== undefined) {
    const byHost = new Map<string, { from: number; to: number }[]>();
    for (const c of given) {
      const list = byHost.get(c.host);
      if (list === undefined) byHost.set(c.host, [c]); else list.push(c);
    }
    return (host, t) => (byHost.get(host) ?? []).every((c) => c.from <= t && t <= c.to);
  }
  const span = new Map<string, { from: number; to: number }>();
  for (const s of sessions) {
    const end = s.end ?? Number.POSITIVE_INFINITY;
    const cur = span.get(s.host);
    if (cur === undefined) span.set(s.host, { from: s.start, to: end });
    else { if (s.start < cur.from) cur.from = s.start; if (end > cur.to) cur.to = end; }
  }
  return (host, t) => { const c = span.get(host); return c !== undefined && c.from <= t && t <= c.to + 2_000_000; };
}
