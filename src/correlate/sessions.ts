// SMTP session state machine: smtpd-side events (parsers/smtpd.ts) in, one record per connection
// out. A connection is keyed by (host, stream, pid, start): tcpserver's `pid P` opens it, `end P`
// closes it, and everything that carries P in between (rblsmtpd, recordio, pid-logging add-ons)
// belongs to it. P is reused right after `end`, so the session closes there; records that the log
// shows a little after `end` (recordio's last `> 221`/`[EOF]` often are) still reach it during a
// short grace period, measured in log time.
//
// recordio records are joined ('+' pieces) before they are read as SMTP; client lines are paired
// with server replies through a FIFO (pipelining), the DATA body is counted in bytes and never kept,
// and transactions are split at RSET, HELO/EHLO and a second MAIL. No clock but the log's: replaying
// a log gives the same sessions. The state is plain data, so snapshot() is JSON.

import type { SmtpdAddonEvent, SmtpdEvent } from '../../parsers/smtpd-events.js';
import type { ReplyReason } from '../../parsers/recordio.js';
import { parseSmtpCommand, parseSmtpReply } from '../../parsers/recordio.js';
import type { Notice } from './correlator.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface SessionReply {
  readonly code: number;
  readonly text: string;                      // first line of a multi-line reply
  readonly reason: ReplyReason | string | null;
}

export interface RcptRecord {
  readonly time: number;
  readonly addr: string;
  readonly accepted: boolean | null;           // null: no reply seen
  readonly code: number | null;
  readonly text: string | null;
  readonly reason: ReplyReason | string | null; // why it was refused: rcpthosts, chkuser, badrcptto, …
}

export type DataResult = 'queued' | 'refused' | 'tempfail' | 'dropped' | 'unknown';

export interface DataRecord {
  readonly time: number;                       // the DATA command
  readonly goAhead: boolean;                   // 354 seen
  readonly bodyBytes: number;                  // bytes between 354 and the lone '.', lines counted with CRLF
  readonly bodyLines: number;
  readonly end: number | null;                 // final reply (or last body line when dropped)
  readonly code: number | null;                // final reply, or the refusal of DATA itself
  readonly text: string | null;
  readonly reason: ReplyReason | string | null;
  readonly qp: number | null;                  // `250 ok T qp Q`
  readonly acceptedAt: number | null;          // T, unix seconds
  readonly result: DataResult;
}

export interface Transaction {
  readonly start: number;
  readonly mailFrom: string | null;            // null: RCPT/DATA seen without MAIL (add-on data)
  readonly mailAccepted: boolean | null;
  readonly mailReply: SessionReply | null;
  readonly rcpts: readonly RcptRecord[];
  readonly data: readonly DataRecord[];
  readonly endedBy: 'rset' | 'mail' | 'helo' | 'quit' | 'close' | null;
}

export interface OtherCommand {
  readonly time: number;
  readonly verb: string;                       // NOOP, VRFY, HELP, OTHER, or RCPT/DATA outside a transaction
  readonly word: string;
  readonly code: number | null;
}

export interface AddonRecord { readonly time: number; readonly event: SmtpdAddonEvent }

export interface Session {
  readonly host: string;
  readonly stream: string;
  readonly pid: number;
  readonly start: number;                      // unix µs: `pid P` line (or the first line seen for P)
  readonly end: number | null;                 // unix µs: `end P` line
  readonly lastSeen: number;
  readonly open: boolean;                      // not closed by `end` (end of input, eviction, pid reuse)
  readonly startSeen: boolean;                 // tcpserver pid/ok/deny line seen
  readonly endSeen: boolean;
  readonly client: { readonly ip: string | null; readonly port: number | null; readonly host: string | null;
    readonly info: string | null };
  readonly local: { readonly ip: string | null; readonly port: number | null; readonly host: string | null };
  readonly tcp: 'ok' | 'deny' | null;
  readonly exit: { readonly status: number; readonly code: number | null; readonly signal: number | null } | null;
  readonly rbl: { readonly code: number; readonly text: string } | null;
  readonly dialogue: boolean;                  // recordio records seen: the SMTP dialogue is known
  readonly greeting: SessionReply | null;
  readonly helo: { readonly verb: 'HELO' | 'EHLO'; readonly arg: string } | null;
  readonly auth: { readonly mechanism: string | null; readonly user: string | null; readonly ok: boolean | null } | null;
  readonly tls: boolean;                       // STARTTLS accepted (the dialogue after it is not readable)
  readonly quit: boolean;
  readonly clientEof: number | null;
  readonly serverEof: number | null;
  readonly unsolicited: SessionReply | null;   // a reply no command asked for (e.g. 451 timeout)
  readonly transactions: readonly Transaction[];
  readonly otherCommands: readonly OtherCommand[];
  readonly addons: readonly AddonRecord[];
  readonly queueWrapper: string | null;        // 'simscan' when its line shows a QMAILQUEUE wrapper
  readonly queued: boolean | null;             // null: cannot tell from the logs
  readonly verdict: string;
  readonly refused: boolean;                   // the logs show the client was turned away (see verdictOf)
  readonly truncated: number;                  // entries dropped by the per-session caps
  readonly seam?: SeamEvents;                  // begun without its start: its events (not shown)
}

export interface SessionCorrelatorOptions {
  /** Records for a pid within this long after its `end` still join that session (µs). */
  readonly graceUs?: number;
  /** A session with no event for this long is closed as open (µs); qmail-smtpd's own timeout is 1200 s. */
  readonly idleUs?: number;
  /** Open sessions kept at most; the longest idle is closed as open beyond it. */
  readonly maxOpen?: number;
  /** Caps on list lengths inside one session. */
  readonly maxItems?: number;
}

export interface SessionStats {
  readonly events: number;
  readonly opened: number;
  readonly closed: number;
  readonly evicted: number;                    // closed by maxOpen or idleUs
  readonly reused: number;                     // pid seen again before its `end`
  readonly orphanAddons: number;               // add-on lines no session could take
  readonly badRecords: number;                 // recordio replies that were no SMTP reply
}

// ---------------------------------------------------------------------------------------------
// Internal, mutable and plain (snapshot = JSON of these)

type Mode = 'cmd' | 'body' | 'auth' | 'tls';
type PendingCmd = 'HELO' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | 'DATA_END' | 'RSET' | 'QUIT' | 'AUTH' | 'AUTH_DATA'
  | 'STARTTLS' | 'OTHER';
interface Pending { c: PendingCmd; tx: number; i: number }

type MData = { -readonly [K in keyof DataRecord]: DataRecord[K] };
type MRcpt = { -readonly [K in keyof RcptRecord]: RcptRecord[K] };
interface MTx {
  start: number; mailFrom: string | null; mailAccepted: boolean | null; mailReply: SessionReply | null;
  rcpts: MRcpt[]; data: MData[]; endedBy: Transaction['endedBy'];
}
interface MOther { time: number; verb: string; word: string; code: number | null }

interface ParseState {
  mode: Mode;
  inBuf: string | null; inBytes: number;       // pending '+' pieces, client side
  outBuf: string | null;                       // pending '+' pieces, server side
  pending: Pending[];
  multi: SessionReply | null;                  // first line of a multi-line reply in progress
  tx: number;                                  // current transaction, -1 = none
  body: number;                                // data index in transactions[tx] being received
  authData: number;                            // AUTH client lines seen in the current exchange
  replies: number;                             // complete replies seen
}

interface MSession {
  host: string; stream: string; pid: number; start: number; end: number | null; lastSeen: number;
  open: boolean; startSeen: boolean; endSeen: boolean;
  client: { ip: string | null; port: number | null; host: string | null; info: string | null };
  local: { ip: string | null; port: number | null; host: string | null };
  tcp: 'ok' | 'deny' | null;
  exit: { status: number; code: number | null; signal: number | null } | null;
  rbl: { code: number; text: string } | null;
  dialogue: boolean; addonEnvelope: boolean;
  greeting: SessionReply | null; helo: { verb: 'HELO' | 'EHLO'; arg: string } | null;
  auth: { mechanism: string | null; user: string | null; ok: boolean | null } | null;
  tls: boolean; quit: boolean; clientEof: number | null; serverEof: number | null;
  unsolicited: SessionReply | null;
  transactions: MTx[]; otherCommands: MOther[]; addons: AddonRecord[];
  queueWrapper: string | null; truncated: number;
  st: ParseState;
  seam?: SeamEvents;                           // a session begun without its start: its events, for a seam
}

/** The events of a session that began without tcpserver's line, kept so that older history read
 *  later can replay them into the session they continue (see stitch.ts). */
export interface SeamEvents { readonly events: Array<[number, SmtpdEvent]>; complete: boolean }

interface Closing { key: string; deadline: number; s: MSession }

const SNAPSHOT_VERSION = 1;
const DEFAULTS = { graceUs: 2_000_000, idleUs: 7_200_000_000, maxOpen: 10_000, maxItems: 1000 } as const;
const RX_BASE64 = /^[A-Za-z0-9+/]+=*$/;
const MAX_LINE = 4096;                          // chars kept of a joined line (bytes are still counted)

function keyOf(host: string, stream: string, pid: number): string {
  return `${host}\u0000${stream}\u0000${pid}`;
}

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** AUTH user from an initial/continuation response; never keeps the password. */
function authUser(mech: string | null, b64: string, nth: number): string | null {
  if (b64.length === 0 || b64 === '*') return null;
  if (!RX_BASE64.test(b64)) return null;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  if (mech === 'PLAIN') {                      // authzid \0 authcid \0 password
    const parts = text.split('\u0000');
    return parts.length >= 3 ? (parts[1] ?? null) : null;
  }
  if (mech === 'LOGIN') return nth === 0 ? text : null;
  if (mech === 'CRAM-MD5') {                   // "user digest"
    const sp = text.lastIndexOf(' ');
    return sp > 0 ? text.slice(0, sp) : null;
  }
  return null;
}

function newSession(host: string, stream: string, pid: number, time: number, startSeen: boolean): MSession {
  return {
    host, stream, pid, start: time, end: null, lastSeen: time, open: true, startSeen, endSeen: false,
    client: { ip: null, port: null, host: null, info: null }, local: { ip: null, port: null, host: null },
    tcp: null, exit: null, rbl: null, dialogue: false, addonEnvelope: false, greeting: null, helo: null, auth: null,
    tls: false, quit: false, clientEof: null, serverEof: null, unsolicited: null,
    transactions: [], otherCommands: [], addons: [], queueWrapper: null, truncated: 0,
    st: { mode: 'cmd', inBuf: null, inBytes: 0, outBuf: null, pending: [], multi: null, tx: -1, body: -1, authData: 0, replies: 0 },
  };
}

// ---------------------------------------------------------------------------------------------
// Verdict

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

interface Verdict { verdict: string; queued: boolean | null; refused: boolean }

/** An add-on's line that turned the client away (and one that let mail through). */
function addonSays(ev: SmtpdAddonEvent): 'reject' | 'accept' | null {
  switch (ev.kind) {
    case 'chkuser': return ev.accepted ? 'accept' : 'reject';
    case 'spamdyke': return ev.allowed ? 'accept' : 'reject';
    case 'sqmail': return /^reject/i.test(ev.action) ? 'reject' : /^accept/i.test(ev.action) ? 'accept' : null;
    case 'qlog': return ev.result === 'accepted' ? 'accept' : /reject/i.test(ev.result) || (ev.code ?? 0) >= 400 ? 'reject' : null;
    case 'smtpd_logit': return 'reject';           // the logit patch logs refusals only
    case 'simscan': return /^clean/i.test(ev.result) ? 'accept' : 'reject';
    default: return null;
  }
}

/**
 * Why a session ended as it did. `refused` only where the logs show a refusal: tcprules deny,
 * rblsmtpd, an SMTP 4xx/5xx (MAIL, every RCPT, DATA) after which nothing was queued, or an
 * add-on's reject with nothing let through. A session whose dialogue is not logged is never
 * refused: its verdict is "unknown" (what it did cannot be read from these logs).
 */
function verdictOf(s: MSession): Verdict {
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

function freeze(s: MSession): Session {
  const v = verdictOf(s);
  return {
    host: s.host, stream: s.stream, pid: s.pid, start: s.start, end: s.end, lastSeen: s.lastSeen, open: s.open,
    startSeen: s.startSeen, endSeen: s.endSeen, client: { ...s.client }, local: { ...s.local }, tcp: s.tcp,
    exit: s.exit === null ? null : { ...s.exit }, rbl: s.rbl === null ? null : { ...s.rbl }, dialogue: s.dialogue,
    greeting: s.greeting, helo: s.helo, auth: s.auth === null ? null : { ...s.auth }, tls: s.tls, quit: s.quit,
    clientEof: s.clientEof, serverEof: s.serverEof, unsolicited: s.unsolicited,
    transactions: s.transactions.map((t) => ({
      start: t.start, mailFrom: t.mailFrom, mailAccepted: t.mailAccepted, mailReply: t.mailReply,
      rcpts: t.rcpts.map((r) => ({ ...r })), data: t.data.map((d) => ({ ...d })), endedBy: t.endedBy,
    })),
    otherCommands: s.otherCommands.map((o) => ({ ...o })), addons: s.addons.slice(), queueWrapper: s.queueWrapper,
    queued: v.queued, verdict: v.verdict, refused: v.refused, truncated: s.truncated,
    ...(s.seam === undefined ? {} : { seam: s.seam }),
  };
}

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address. */
function plainIp(ip: string): string { return ip.startsWith('::ffff:') ? ip.slice(7) : ip; }

// ---------------------------------------------------------------------------------------------

export class SessionCorrelator {
  readonly #opts: Required<SessionCorrelatorOptions>;
  #open = new Map<string, MSession>();
  #closing = new Map<string, Closing>();
  #done: Session[] = [];
  #notices: Notice[] = [];
  #clock = new Map<string, number>();          // latest time per host+stream
  #nextExpiry = Number.POSITIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;
  #stats = { events: 0, opened: 0, closed: 0, evicted: 0, reused: 0, orphanAddons: 0, badRecords: 0 };

  constructor(opts: SessionCorrelatorOptions = {}) {
    this.#opts = Object.freeze({
      graceUs: opts.graceUs ?? DEFAULTS.graceUs, idleUs: opts.idleUs ?? DEFAULTS.idleUs,
      maxOpen: opts.maxOpen ?? DEFAULTS.maxOpen, maxItems: opts.maxItems ?? DEFAULTS.maxItems,
    });
  }

  get stats(): SessionStats { return { ...this.#stats }; }
  get openCount(): number { return this.#open.size + this.#closing.size; }

  push(time: number, host: string, stream: string, ev: SmtpdEvent): void {
    this.#push(time, host, stream, ev);
    // a session begun without its start keeps its events for a seam (capped like its lists)
    const pid = (ev as { pid?: unknown }).pid;
    if (typeof pid !== 'number') return;
    const key = keyOf(host, stream, pid);
    const s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    if (s === undefined || s.startSeen) return;
    s.seam ??= { events: [], complete: true };
    if (s.seam.events.length < this.#opts.maxItems) s.seam.events.push([time, ev]);
    else s.seam.complete = false;
  }

  /** Takes a session out (open or closing), for another run's state to continue it. */
  handOver(host: string, stream: string, pid: number): HandedSession | undefined {
    const key = keyOf(host, stream, pid);
    const c = this.#closing.get(key);
    if (c !== undefined) {
      this.#closing.delete(key);
      return { s: structuredClone(c.s), closing: { key: c.key, deadline: c.deadline }, now: this.#settle(structuredClone(c.s)) };
    }
    const s = this.#open.get(key);
    if (s === undefined) return undefined;
    this.#open.delete(key);
    return { s: structuredClone(s), closing: null, now: this.#settle(structuredClone(s)) };
  }

  /**
   * The session open from `ip` on `host` at `at` (the latest begun, when several are): where an
   * add-on's line that names only an IP (vchkpw's SMTP AUTH, qmail-scanner's RC) belongs. By IP
   * and time only: the caller calls it inferred.
   */
  openFrom(host: string, ip: string, at: number): { host: string; stream: string; pid: number; start: number } | undefined {
    const want = plainIp(ip);
    let best: MSession | undefined;
    for (const s of this.#open.values()) {
      if (s.host !== host || s.start > at || s.client.ip === null || plainIp(s.client.ip) !== want) continue;
      if (best === undefined || s.start > best.start) best = s;
    }
    return best === undefined ? undefined : { host: best.host, stream: best.stream, pid: best.pid, start: best.start };
  }

  /** Older history's sessions still open at its seam: the ones a later part may continue. */
  openAtSeam(): Array<{ host: string; stream: string; pid: number; lastSeen: number }> {
    const out: Array<{ host: string; stream: string; pid: number; lastSeen: number }> = [];
    for (const s of this.#open.values()) out.push({ host: s.host, stream: s.stream, pid: s.pid, lastSeen: s.lastSeen });
    return out;
  }

  #push(time: number, host: string, stream: string, ev: SmtpdEvent): void {
    this.#stats.events += 1;
    const sk = `${host}\u0000${stream}`;
    const prev = this.#clock.get(sk);
    if (prev === undefined || time > prev) this.#clock.set(sk, time);
    if (time >= this.#nextExpiry) this.#expire();
    if (time >= this.#nextSweep) this.#sweep(time);

    switch (ev.kind) {
      case 'tcp_status':
        return;
      case 'tcp_warning': case 'tcp_fatal':   // tcpserver itself in trouble: for `qtrace notices`
        this.#notices.push({ host, at: time, level: ev.kind === 'tcp_fatal' ? 'alert' : 'warning',
          text: `tcpserver (${stream}): ${ev.kind === 'tcp_fatal' ? 'fatal' : 'warning'}: ${ev.text}` });
        return;
      case 'tcp_pid': {
        const s = this.#begin(time, host, stream, ev.pid);
        s.client.ip = ev.ip;
        return;
      }
      case 'tcp_ok': case 'tcp_deny': {
        let s = this.#open.get(keyOf(host, stream, ev.pid));
        if (s === undefined || s.tcp !== null || s.dialogue) s = this.#begin(time, host, stream, ev.pid);
        s.lastSeen = time;
        s.tcp = ev.kind === 'tcp_ok' ? 'ok' : 'deny';
        s.client = { ip: ev.remote.ip, port: ev.remote.port, host: ev.remote.host, info: ev.remote.info };
        s.local = { ip: ev.local.ip, port: ev.local.port, host: ev.local.host };
        return;
      }
      case 'tcp_end': {
        const key = keyOf(host, stream, ev.pid);
        let s = this.#open.get(key);
        if (s === undefined) {                   // log began mid-session
          s = newSession(host, stream, ev.pid, time, false);
          this.#stats.opened += 1;
        } else this.#open.delete(key);
        s.lastSeen = time;
        s.end = time;
        s.endSeen = true;
        s.open = false;
        s.exit = { status: ev.status, code: ev.exitCode, signal: ev.signal };
        const old = this.#closing.get(key);
        if (old !== undefined) this.#finish(old);
        const deadline = time + this.#opts.graceUs;
        this.#closing.set(key, { key, deadline, s });
        if (deadline < this.#nextExpiry) this.#nextExpiry = deadline;
        return;
      }
      case 'rbl': case 'rbl_greetdelay': case 'rbl_info': {
        const s = this.#find(time, host, stream, ev.pid);
        if (ev.kind === 'rbl') s.rbl = { code: ev.code, text: ev.text };
        if (s.client.ip === null) s.client.ip = ev.ip;
        return;
      }
      case 'rec_in': case 'rec_out': case 'rec_eof': {
        const s = this.#find(time, host, stream, ev.pid);
        s.dialogue = true;
        if (ev.kind === 'rec_eof') this.#eof(s, time, ev.dir);
        else if (ev.kind === 'rec_in') this.#recIn(s, time, ev.text, ev.partial, ev.cr);
        else this.#recOut(s, time, ev.text, ev.partial, ev.cr);
        return;
      }
      default:
        this.#addon(time, host, stream, ev);
    }
  }

  /** tcpserver's warnings and fatal errors since the last call, as notices (the notices table). */
  drainNotices(): Notice[] {
    const out = this.#notices;
    this.#notices = [];
    return out;
  }

  /** Sessions closed since the last drain, in the order they were finalized. */
  drain(): Session[] {
    const out = this.#done;
    this.#done = [];
    return out;
  }

  /**
   * End of a run: sessions whose `end` was seen (still in their grace period) are final; they
   * leave the state. Sessions without an `end` stay, for the next run to continue.
   */
  flushClosing(): Session[] {
    const out: Session[] = [];
    for (const c of this.#closing.values()) out.push(this.#close(c.s));
    this.#closing.clear();
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    return out;
  }

  /** End of input: every session still open or in its grace period, oldest first; state is emptied. */
  flushOpen(): Session[] {
    const out = this.flushClosing();
    const open = [...this.#open.values()].sort((a, b) => a.start - b.start);
    this.#open.clear();
    for (const s of open) {
      s.open = true;
      out.push(this.#close(s));
    }
    return out;
  }

  snapshot(): unknown {
    return {
      v: SNAPSHOT_VERSION, opts: this.#opts, open: [...this.#open.values()], closing: [...this.#closing.values()],
      done: this.#done, clock: [...this.#clock.entries()], stats: this.#stats,
    };
  }

  /** Rebuild from snapshot(); throws TypeError when the value is not a snapshot of this version. */
  static restore(snap: unknown): SessionCorrelator {
    if (typeof snap !== 'object' || snap === null) throw new TypeError('session snapshot: not an object');
    const o = snap as Record<string, unknown>;
    if (o['v'] !== SNAPSHOT_VERSION || !Array.isArray(o['open']) || !Array.isArray(o['closing'])
      || !Array.isArray(o['done']) || !Array.isArray(o['clock']) || typeof o['opts'] !== 'object' || o['opts'] === null
      || typeof o['stats'] !== 'object' || o['stats'] === null) {
      throw new TypeError(`session snapshot: expected version ${SNAPSHOT_VERSION}`);
    }
    const c = new SessionCorrelator(o['opts'] as SessionCorrelatorOptions);
    for (const s of o['open'] as MSession[]) c.#open.set(keyOf(s.host, s.stream, s.pid), s);
    for (const cl of o['closing'] as Closing[]) {
      c.#closing.set(cl.key, cl);
      if (cl.deadline < c.#nextExpiry) c.#nextExpiry = cl.deadline;
    }
    c.#done = (o['done'] as Session[]).slice();
    c.#clock = new Map(o['clock'] as [string, number][]);
    c.#stats = { ...c.#stats, ...(o['stats'] as SessionStats) };
    return c;
  }

  // --- session lifecycle ---------------------------------------------------------------------

  /** A new connection for pid: whatever still holds the pid is finished first. */
  #begin(time: number, host: string, stream: string, pid: number): MSession {
    const key = keyOf(host, stream, pid);
    const closing = this.#closing.get(key);
    if (closing !== undefined) {
      this.#closing.delete(key);
      this.#finish(closing);
    }
    const old = this.#open.get(key);
    if (old !== undefined) {
      if (!old.startSeen && old.tcp === null && !old.dialogue && old.addons.length === 0 && old.rbl === null) {
        old.start = time;                      // nothing learnt yet: keep it
        old.startSeen = true;
        delete old.seam;
        old.lastSeen = time;
        return old;
      }
      this.#open.delete(key);
      this.#stats.reused += 1;
      this.#done.push(this.#close(old));
    }
    const s = newSession(host, stream, pid, time, true);
    this.#open.set(key, s);
    this.#stats.opened += 1;
    if (this.#open.size > this.#opts.maxOpen) this.#evictOldest();
    return s;
  }

  /** The session that holds pid now: open, else in its grace period, else a new one (log began mid-session). */
  #find(time: number, host: string, stream: string, pid: number): MSession {
    const key = keyOf(host, stream, pid);
    const s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    if (s !== undefined) {
      if (time > s.lastSeen) s.lastSeen = time;
      return s;
    }
    const n = newSession(host, stream, pid, time, false);
    this.#open.set(key, n);
    this.#stats.opened += 1;
    if (this.#open.size > this.#opts.maxOpen) this.#evictOldest();
    return n;
  }

  #finish(c: Closing): void {
    this.#done.push(this.#close(c.s));
  }

  /**
   * The sessions in progress as they stand, without closing them: a live commit stores them so
   * queries and links see a connection while it lasts (the final version replaces them by key).
   * Open ones only once tcpserver's start was seen (before that their start may still move),
   * unless `all`: at the end of a run every session is stored as it stands.
   */
  peek(all = false): Session[] {
    const out: Session[] = [];
    for (const c of this.#closing.values()) out.push(this.#settle(structuredClone(c.s)));
    for (const s of this.#open.values()) if (all || s.startSeen) out.push(this.#settle(structuredClone(s)));
    return out;
  }

  #close(s: MSession): Session {
    this.#stats.closed += 1;
    return this.#settle(s);
  }

  /** What closing makes of a session: a pending line completed, a DATA cut short marked. */
  #settle(s: MSession): Session {
    const st = s.st;
    if (st.inBuf !== null) this.#completeIn(s, s.lastSeen, st.inBuf, st.inBytes, '', true);
    st.inBuf = null;
    const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
    if (st.mode === 'body' && t !== undefined) {
      const d = t.data[st.body];
      if (d !== undefined && d.result === 'unknown') {
        d.result = 'dropped';
        d.end = s.lastSeen;
      }
    }
    if (t !== undefined && t.endedBy === null) t.endedBy = 'close';
    return freeze(s);
  }

  #expire(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const c of [...this.#closing.values()]) {
      const now = this.#clock.get(`${c.s.host}\u0000${c.s.stream}`) ?? Number.NEGATIVE_INFINITY;
      if (now > c.deadline) {
        this.#closing.delete(c.key);
        this.#finish(c);
      } else if (c.deadline < next) next = c.deadline;
    }
    this.#nextExpiry = next;
  }

  /** Close sessions idle longer than idleUs (checked at most once per minute of log time). */
  #sweep(time: number): void {
    this.#nextSweep = time + 60_000_000;
    for (const [key, s] of this.#open) {
      const now = this.#clock.get(`${s.host}\u0000${s.stream}`) ?? time;
      if (now - s.lastSeen > this.#opts.idleUs) {
        this.#open.delete(key);
        this.#stats.evicted += 1;
        this.#done.push(this.#close(s));
      }
    }
  }

  #evictOldest(): void {
    let oldestKey: string | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, s] of this.#open) if (s.lastSeen < oldest) { oldest = s.lastSeen; oldestKey = key; }
    if (oldestKey === null) return;
    const s = this.#open.get(oldestKey);
    this.#open.delete(oldestKey);
    if (s === undefined) return;
    this.#stats.evicted += 1;
    this.#done.push(this.#close(s));
  }

  // --- recordio ------------------------------------------------------------------------------

  #eof(s: MSession, time: number, dir: 'in' | 'out'): void {
    const st = s.st;
    if (dir === 'in') {
      s.clientEof = time;
      if (st.inBuf !== null) this.#completeIn(s, time, st.inBuf, st.inBytes, '', true);
      st.inBuf = null;
      st.inBytes = 0;
    } else s.serverEof = time;
  }

  #recIn(s: MSession, time: number, text: string, partial: boolean, cr: string): void {
    const st = s.st;
    if (partial) {
      st.inBytes += utf8Bytes(text);
      st.inBuf = st.inBuf === null ? text : st.inBuf.length < MAX_LINE ? st.inBuf + text : st.inBuf;
      return;
    }
    if (st.inBuf === null) {
      this.#completeIn(s, time, text, utf8Bytes(text), cr, false);
      return;
    }
    let line = st.inBuf.length < MAX_LINE ? st.inBuf + text : st.inBuf;
    let bytes = st.inBytes + utf8Bytes(text);
    let ending = cr;
    if (cr === '' && text === '' && (line.endsWith('\r') || line.endsWith('?'))) {  // CR split from its LF
      ending = line.slice(-1);
      line = line.slice(0, -1);
      bytes -= 1;
    }
    st.inBuf = null;
    st.inBytes = 0;
    this.#completeIn(s, time, line, bytes, ending, false);
  }

  /** A whole client line. `eof`: the client closed before its newline. */
  #completeIn(s: MSession, time: number, line: string, bytes: number, cr: string, eof: boolean): void {
    const st = s.st;
    switch (st.mode) {
      case 'tls':
        return;
      case 'body': {
        const d = s.transactions[st.tx]?.data[st.body];
        if (d === undefined) { st.mode = 'cmd'; return; }
        if (line === '.' && !eof) {
          st.mode = 'cmd';
          this.#expect(s, { c: 'DATA_END', tx: st.tx, i: st.body });
          d.end = time;
          return;
        }
        d.bodyBytes += bytes + (eof ? 0 : cr === '' ? 1 : 2);
        d.bodyLines += 1;
        d.end = time;
        return;
      }
      case 'auth': {
        st.mode = 'cmd';
        if (eof) return;
        const a = s.auth;
        if (a !== null && a.user === null) {
          const u = authUser(a.mechanism, line.trim(), st.authData);
          if (u !== null) a.user = u;
        }
        st.authData += 1;
        this.#expect(s, { c: 'AUTH_DATA', tx: st.tx, i: -1 });
        return;
      }
      case 'cmd':
        if (!eof) this.#command(s, time, line);
    }
  }

  #expect(s: MSession, p: Pending): void {
    const q = s.st.pending;
    if (q.length >= this.#opts.maxItems) { q.shift(); s.truncated += 1; }
    q.push(p);
  }

  #closeTx(s: MSession, by: Transaction['endedBy']): void {
    const t = s.st.tx >= 0 ? s.transactions[s.st.tx] : undefined;
    if (t !== undefined && t.endedBy === null) t.endedBy = by;
    s.st.tx = -1;
  }

  #other(s: MSession, time: number, verb: string, word: string): number {
    if (s.otherCommands.length >= this.#opts.maxItems) { s.truncated += 1; return -1; }
    s.otherCommands.push({ time, verb, word: word.slice(0, 64), code: null });
    return s.otherCommands.length - 1;
  }

  #command(s: MSession, time: number, line: string): void {
    const st = s.st;
    const cmd = parseSmtpCommand(line);
    switch (cmd.verb) {
      case 'HELO': case 'EHLO':
        s.helo = { verb: cmd.verb, arg: cmd.arg.slice(0, 255) };
        this.#closeTx(s, 'helo');
        this.#expect(s, { c: cmd.verb, tx: -1, i: -1 });
        return;
      case 'MAIL': {
        const cur = st.tx >= 0 ? s.transactions[st.tx] : undefined;
        if (cur !== undefined && (cur.mailFrom !== null || cur.rcpts.length > 0 || cur.data.length > 0)) this.#closeTx(s, 'mail');
        if (s.transactions.length >= this.#opts.maxItems) { s.truncated += 1; this.#expect(s, { c: 'OTHER', tx: -1, i: -1 }); return; }
        s.transactions.push({ start: time, mailFrom: cmd.addr ?? '', mailAccepted: null, mailReply: null, rcpts: [], data: [], endedBy: null });
        st.tx = s.transactions.length - 1;
        this.#expect(s, { c: 'MAIL', tx: st.tx, i: -1 });
        return;
      }
      case 'RCPT': {
        const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
        if (t === undefined || t.rcpts.length >= this.#opts.maxItems) {
          if (t !== undefined) s.truncated += 1;
          this.#expect(s, { c: 'OTHER', tx: -1, i: t === undefined ? this.#other(s, time, 'RCPT', cmd.word) : -1 });
          return;
        }
        t.rcpts.push({ time, addr: cmd.addr ?? '', accepted: null, code: null, text: null, reason: null });
        this.#expect(s, { c: 'RCPT', tx: st.tx, i: t.rcpts.length - 1 });
        return;
      }
      case 'DATA': {
        const t = st.tx >= 0 ? s.transactions[st.tx] : undefined;
        if (t === undefined || t.data.length >= this.#opts.maxItems) {
          if (t !== undefined) s.truncated += 1;
          this.#expect(s, { c: 'OTHER', tx: -1, i: t === undefined ? this.#other(s, time, 'DATA', cmd.word) : -1 });
          return;
        }
        t.data.push({ time, goAhead: false, bodyBytes: 0, bodyLines: 0, end: null, code: null, text: null, reason: null,
          qp: null, acceptedAt: null, result: 'unknown' });
        this.#expect(s, { c: 'DATA', tx: st.tx, i: t.data.length - 1 });
        return;
      }
      case 'RSET':
        this.#closeTx(s, 'rset');
        this.#expect(s, { c: 'RSET', tx: -1, i: -1 });
        return;
      case 'QUIT':
        s.quit = true;
        this.#closeTx(s, 'quit');
        this.#expect(s, { c: 'QUIT', tx: -1, i: -1 });
        return;
      case 'AUTH': {
        const sp = cmd.arg.indexOf(' ');
        const mech = (sp < 0 ? cmd.arg : cmd.arg.slice(0, sp)).toUpperCase().slice(0, 32);
        s.auth = { mechanism: mech.length > 0 ? mech : null, user: null, ok: null };
        st.authData = 0;
        if (sp >= 0) {                          // initial response
          s.auth.user = authUser(s.auth.mechanism, cmd.arg.slice(sp + 1).trim(), 0);
          st.authData = 1;
        }
        this.#expect(s, { c: 'AUTH', tx: -1, i: -1 });
        return;
      }
      case 'STARTTLS':
        this.#expect(s, { c: 'STARTTLS', tx: -1, i: -1 });
        return;
      default:
        this.#expect(s, { c: 'OTHER', tx: -1, i: this.#other(s, time, cmd.verb, cmd.word) });
    }
  }

  #recOut(s: MSession, time: number, text: string, partial: boolean, cr: string): void {
    const st = s.st;
    if (partial) {
      st.outBuf = st.outBuf === null ? text : st.outBuf.length < MAX_LINE ? st.outBuf + text : st.outBuf;
      return;
    }
    let line = text;
    if (st.outBuf !== null) {
      line = st.outBuf.length < MAX_LINE ? st.outBuf + text : st.outBuf;
      if (cr === '' && text === '' && (line.endsWith('\r') || line.endsWith('?'))) line = line.slice(0, -1);
      st.outBuf = null;
    }
    if (st.mode === 'tls') return;
    const r = parseSmtpReply(line);
    if (r === undefined) { this.#stats.badRecords += 1; return; }
    if (r.more) {
      if (st.multi === null) st.multi = { code: r.code, text: r.text.slice(0, 255), reason: r.reason ?? null };
      return;
    }
    const reply: SessionReply = st.multi === null
      ? { code: r.code, text: r.text.slice(0, 255), reason: r.reason ?? null }
      : { code: st.multi.code, text: st.multi.text, reason: r.reason ?? st.multi.reason };
    st.multi = null;
    st.replies += 1;
    if (st.replies === 1 && s.startSeen && (reply.code === 220 || reply.code === 421 || reply.code === 554)) {
      s.greeting = reply;                      // the first reply is the greeting, even if the client talked first
      return;
    }
    const p = st.pending.shift();
    if (p === undefined) {
      if (st.mode === 'body') {                // e.g. 451 bare LF or timeout in the middle of the body
        const d = s.transactions[st.tx]?.data[st.body];
        if (d !== undefined) this.#dataFinal(d, time, reply, r.qp, r.time);
        st.mode = 'cmd';
        return;
      }
      if (s.greeting === null && s.transactions.length === 0 && s.otherCommands.length === 0) s.greeting = reply;
      else s.unsolicited = reply;
      return;
    }
    this.#answer(s, time, p, reply, r.qp, r.time);
  }

  #dataFinal(d: MData, time: number, reply: SessionReply, qp: number | undefined, at: number | undefined): void {
    d.end = time;
    d.code = reply.code;
    d.text = reply.text;
    d.reason = reply.reason;
    if (reply.code >= 200 && reply.code < 300) {
      d.result = 'queued';
      d.qp = qp ?? null;
      d.acceptedAt = at ?? null;
    } else d.result = reply.code >= 500 ? 'refused' : reply.code >= 400 ? 'tempfail' : 'unknown';
  }

  #answer(s: MSession, time: number, p: Pending, reply: SessionReply, qp: number | undefined, at: number | undefined): void {
    const st = s.st;
    const ok = reply.code >= 200 && reply.code < 400;
    switch (p.c) {
      case 'MAIL': {
        const t = s.transactions[p.tx];
        if (t !== undefined) { t.mailAccepted = ok; t.mailReply = reply; }
        return;
      }
      case 'RCPT': {
        const r = s.transactions[p.tx]?.rcpts[p.i];
        if (r !== undefined) {
          r.accepted = ok;
          r.code = reply.code;
          r.text = reply.text;
          r.reason = ok ? null : reply.reason;
        }
        return;
      }
      case 'DATA': {
        const d = s.transactions[p.tx]?.data[p.i];
        if (d === undefined) return;
        if (reply.code === 354) {
          d.goAhead = true;
          st.mode = 'body';
          st.tx = p.tx;
          st.body = p.i;
          return;
        }
        this.#dataFinal(d, time, reply, qp, at);
        return;
      }
      case 'DATA_END': {
        const d = s.transactions[p.tx]?.data[p.i];
        if (d !== undefined) this.#dataFinal(d, time, reply, qp, at);
        return;
      }
      case 'AUTH': case 'AUTH_DATA':
        if (s.auth === null) return;
        if (reply.code === 334) st.mode = 'auth';
        else s.auth.ok = reply.code === 235 ? true : reply.code >= 400 ? false : s.auth.ok;
        return;
      case 'STARTTLS':
        if (reply.code === 220) {
          s.tls = true;
          st.mode = 'tls';
          st.pending.length = 0;
        }
        return;
      case 'OTHER': {
        const o = p.i >= 0 ? s.otherCommands[p.i] : undefined;
        if (o !== undefined) o.code = reply.code;
        return;
      }
      default:
        return;
    }
  }

  // --- add-ons -------------------------------------------------------------------------------

  #addon(time: number, host: string, stream: string, ev: SmtpdAddonEvent): void {
    let pid: number | null = null;
    let ip: string | null = null;
    switch (ev.kind) {
      case 'spamdyke': pid = ev.pid; ip = ev.originIp; break;
      case 'simscan': pid = ev.ppid; break;
      case 'sqmail': case 'smtpd_pidlog': case 'smtpd_title': pid = ev.pid; break;
      case 'qlog': pid = ev.pid; ip = ev.remoteip; break;
      case 'chkuser': ip = ev.remoteIp; break;
      case 'smtpd_logit': ip = ev.ip; break;
      case 'simscan_debug': break;
    }
    let s: MSession | undefined;
    if (pid !== null) {
      const key = keyOf(host, stream, pid);
      s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    } else s = this.#byAdjacency(host, stream, ip);
    if (s === undefined) { this.#stats.orphanAddons += 1; return; }
    if (time > s.lastSeen) s.lastSeen = time;
    if (s.addons.length < this.#opts.maxItems) s.addons.push({ time, event: ev });
    else s.truncated += 1;
    if (ev.kind === 'simscan') s.queueWrapper = 'simscan';
    if (!s.dialogue) this.#addonEnvelope(s, time, ev);
  }

  /** No pid on the line: the one open session of this stream with that client IP (or the only one). */
  #byAdjacency(host: string, stream: string, ip: string | null): MSession | undefined {
    let found: MSession | undefined;
    let count = 0;
    for (const s of this.#open.values()) {
      if (s.host !== host || s.stream !== stream) continue;
      if (ip !== null && ip !== '' && s.client.ip !== null && s.client.ip !== ip) continue;
      found = s;
      count += 1;
      if (count > 1) return undefined;
    }
    return found;
  }

  /** Without recordio, the envelope the add-ons report (qlog, s/qmail, chkuser, pid patch, spamdyke). */
  #addonEnvelope(s: MSession, time: number, ev: SmtpdAddonEvent): void {
    switch (ev.kind) {
      case 'qlog': {
        s.addonEnvelope = true;
        const ok = ev.result === 'accepted';
        if (ev.stage === 'received') {
          const t = this.#addonTx(s, time, ev.mailfrom);
          if (t === undefined) return;
          if (t.rcpts.length === 0) for (const r of ev.rcptto) this.#addonRcpt(t, time, r, true, null, null);
          t.data.push({ time, goAhead: true, bodyBytes: 0, bodyLines: 0, end: time, code: ev.code,
            text: null, reason: ok ? null : ev.reason, qp: ev.qp, acceptedAt: null,
            result: ok ? 'queued' : ev.code !== null && ev.code < 500 ? 'tempfail' : 'refused' });
        } else if (ev.rcptto.length > 0) {
          const t = this.#addonTx(s, time, ev.mailfrom);
          const r = ev.rcptto[0];
          if (t !== undefined && r !== undefined) this.#addonRcpt(t, time, r, ok, ev.code, ok ? null : ev.reason);
        }
        return;
      }
      case 'sqmail': {
        if (ev.type !== 'RCPT' && ev.type !== 'ORIG' && ev.type !== 'SNDR' && ev.type !== 'DATA') return;
        s.addonEnvelope = true;
        const t = this.#addonTx(s, time, ev.from ?? '');
        if (t === undefined) return;
        const ok = ev.action === 'Accept';
        if (ev.type === 'DATA') {
          t.data.push({ time, goAhead: true, bodyBytes: 0, bodyLines: 0, end: time, code: null, text: null,
            reason: ok ? null : ev.condition === 'Invalid_Size' ? 'databytes' : ev.condition, qp: null, acceptedAt: null,
            result: ok ? 'queued' : 'refused' });
        } else if (ev.rcpt !== null && ev.rcpt !== '') this.#addonRcpt(t, time, ev.rcpt, ok, null, ok ? null : ev.condition);
        return;
      }
      case 'chkuser': {
        s.addonEnvelope = true;
        const t = this.#addonTx(s, time, ev.sender);
        if (t !== undefined) this.#addonRcpt(t, time, ev.rcpt, ev.accepted, null, ev.accepted ? null : 'chkuser');
        return;
      }
      case 'spamdyke': {
        if (ev.to === '(unknown)') return;
        s.addonEnvelope = true;
        const t = this.#addonTx(s, time, ev.from === '(unknown)' ? '' : ev.from);
        if (t !== undefined) this.#addonRcpt(t, time, ev.to, ev.allowed, null, ev.allowed ? null : ev.result);
        return;
      }
      case 'smtpd_pidlog': {
        if (ev.verb === null || ev.addr === null) return;
        s.addonEnvelope = true;
        if (ev.verb === 'MAIL') {
          if (s.transactions.length < this.#opts.maxItems) {
            this.#closeTx(s, 'mail');
            s.transactions.push({ start: time, mailFrom: ev.addr, mailAccepted: null, mailReply: null, rcpts: [], data: [], endedBy: null });
            s.st.tx = s.transactions.length - 1;
          }
        } else {
          const t = this.#addonTx(s, time, null);
          if (t !== undefined) this.#addonRcpt(t, time, ev.addr, null, null, null);
        }
        return;
      }
      default:
        return;
    }
  }

  /** The current add-on transaction; a new one when the sender changes or data was already seen. */
  #addonTx(s: MSession, time: number, from: string | null): MTx | undefined {
    const cur = s.st.tx >= 0 ? s.transactions[s.st.tx] : undefined;
    if (cur !== undefined && cur.data.length === 0 && (from === null || cur.mailFrom === null || cur.mailFrom === from)) {
      if (cur.mailFrom === null && from !== null) cur.mailFrom = from;
      return cur;
    }
    if (s.transactions.length >= this.#opts.maxItems) { s.truncated += 1; return undefined; }
    this.#closeTx(s, 'mail');
    s.transactions.push({ start: time, mailFrom: from, mailAccepted: from === null ? null : true, mailReply: null,
      rcpts: [], data: [], endedBy: null });
    s.st.tx = s.transactions.length - 1;
    return s.transactions[s.st.tx];
  }

  #addonRcpt(t: MTx, time: number, addr: string, ok: boolean | null, code: number | null, reason: string | null): void {
    if (t.rcpts.length >= this.#opts.maxItems) return;
    t.rcpts.push({ time, addr, accepted: ok, code, text: null, reason });
  }
}

// ---------------------------------------------------------------------------------------------
// Seams: older history read after newer (see stitch.ts). A session still open at the end of the
// older lines and the first session of that pid after them that began without tcpserver's line
// are one connection.

/** One session from its older part (open at the seam) and its later part (begun without a start). */
export function joinSessions(a: Session, b: Session): Session {
  const m: MSession = {
    host: a.host, stream: a.stream, pid: a.pid, start: a.start, end: b.end, lastSeen: b.lastSeen, open: b.open,
    startSeen: a.startSeen, endSeen: b.endSeen,
    client: { ...(a.client.ip !== null ? a.client : b.client) }, local: { ...(a.local.ip !== null ? a.local : b.local) },
    tcp: a.tcp ?? b.tcp, exit: b.exit ?? a.exit, rbl: a.rbl ?? b.rbl, dialogue: a.dialogue || b.dialogue,
    addonEnvelope: a.addons.length + b.addons.length > 0 && !(a.dialogue || b.dialogue),
    greeting: a.greeting ?? b.greeting, helo: a.helo ?? b.helo, auth: a.auth ?? b.auth, tls: a.tls || b.tls,
    quit: a.quit || b.quit, clientEof: b.clientEof ?? a.clientEof, serverEof: b.serverEof ?? a.serverEof,
    unsolicited: b.unsolicited ?? a.unsolicited,
    transactions: [...a.transactions, ...b.transactions].map((t) => ({ ...t, rcpts: t.rcpts.map((r) => ({ ...r })),
      data: t.data.map((d) => ({ ...d })) })),
    otherCommands: [...a.otherCommands, ...b.otherCommands].map((o) => ({ ...o })),
    addons: [...a.addons, ...b.addons], queueWrapper: a.queueWrapper ?? b.queueWrapper, truncated: a.truncated + b.truncated,
    st: { mode: 'cmd', inBuf: null, inBytes: 0, outBuf: null, pending: [], multi: null, tx: -1, body: -1, authData: 0, replies: 0 },
  };
  // the older part was closed at the seam as if the connection ended there: undo that mark
  const lastA = m.transactions[a.transactions.length - 1];
  if (lastA !== undefined && lastA.endedBy === 'close' && b.transactions.length > 0) lastA.endedBy = null;
  return freeze(m);
}

/** A session open in a snapshot (still running in the present) takes on its older part. */
export function prependToSnapshot(snap: unknown, a: Session, laterStart: number): boolean {
  const o = snap as { open?: MSession[] } | null;
  const s = o?.open?.find((x) => x.host === a.host && x.stream === a.stream && x.pid === a.pid && x.start === laterStart);
  if (s === undefined) return false;
  s.start = a.start; s.startSeen = a.startSeen;
  if (s.client.ip === null) s.client = { ...a.client };
  if (s.local.ip === null) s.local = { ...a.local };
  s.tcp ??= a.tcp; s.rbl ??= a.rbl; s.helo ??= a.helo; s.auth ??= a.auth; s.greeting ??= a.greeting;
  s.dialogue ||= a.dialogue;
  const n = a.transactions.length;
  s.transactions = [...a.transactions.map((t) => ({ ...t, rcpts: t.rcpts.map((r) => ({ ...r })), data: t.data.map((d) => ({ ...d })) })),
    ...s.transactions];
  if (s.st.tx >= 0) s.st.tx += n;
  for (const p of s.st.pending) if (p.tx >= 0) p.tx += n;
  s.otherCommands = [...a.otherCommands.map((x) => ({ ...x })), ...s.otherCommands];
  s.addons = [...a.addons, ...s.addons];
  return true;
}

/** A session's place in a snapshot: still open, or in its grace period after `end`. */
interface SnapshotLists { open?: MSession[]; closing?: Closing[] }

/** True when a snapshot holds this session (open or closing): the run it belongs to continues it. */
export function inSnapshot(snap: unknown, host: string, stream: string, pid: number, start: number): boolean {
  const o = snap as SnapshotLists | null | undefined;
  const is = (s: MSession): boolean => s.host === host && s.stream === stream && s.pid === pid && s.start === start;
  return (o?.open ?? []).some(is) || (o?.closing ?? []).some((c) => is(c.s));
}

/**
 * Older history's session, continued by replaying its later part, replaces that later part in
 * the present's snapshot (which goes on with it: the later lines were its, the rest of the log is
 * the present's). Returns false when the snapshot does not hold the later part.
 */
export function takeOver(snap: unknown, laterStart: number, handed: HandedSession): boolean {
  const o = snap as SnapshotLists | null | undefined;
  if (o === null || o === undefined) return false;
  const s = handed.s as MSession;
  const is = (x: MSession): boolean => x.host === s.host && x.stream === s.stream && x.pid === s.pid && x.start === laterStart;
  const open = (o.open ?? []).filter((x) => !is(x));
  const closing = (o.closing ?? []).filter((c) => !is(c.s));
  if (open.length === (o.open ?? []).length && closing.length === (o.closing ?? []).length) return false;
  if (handed.closing === null) open.push(s);
  else closing.push({ key: handed.closing.key, deadline: handed.closing.deadline, s });
  o.open = open;
  o.closing = closing;
  return true;
}

/** A session taken out of a correlator, as plain data, with how it stands now. */
export interface HandedSession { readonly s: unknown; readonly closing: { key: string; deadline: number } | null; readonly now: Session }
