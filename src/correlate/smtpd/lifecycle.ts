// Sessions by key: smtpd-side events in, one record per connection out. A connection is keyed by
// (host, stream, pid, start): tcpserver's `pid P` opens it, `end P` closes it, and everything that
// carries P in between (rblsmtpd, recordio, pid-logging add-ons) belongs to it. P is reused right
// after `end`, so the session closes there; records that the log shows a little after `end`
// (recordio's last `> 221`/`[EOF]` often are) still reach it during a short grace period, measured
// in log time. Idle sessions expire, the open ones are capped. No clock but the log's: replaying a
// log gives the same sessions; the state is plain data, so snapshot() is JSON (snapshot.ts).
//
// Each (host, stream) is a lane with its own clock and a small number; a session's map key is that
// number and the pid in one number, so an event finds its session without building a string.

import type { SmtpdAddonEvent, SmtpdEvent } from '../../../parsers/smtpd-events.js';
import type { Notice } from '../correlator.js';
import { Envelope, ruleOf } from './addon-rules.js';
import { endDialogue } from './dialogue.js';
import { freeze } from './freeze.js';
import { clientEof, clientLine, clientRest, recordIn, recordOut } from './recordio-join.js';
import type { HandedSession, Session, SessionCorrelatorOptions, SessionStats } from './session-types.js';
import { readSnapshot, SNAPSHOT_VERSION, splitStreamKey, streamKey, type SessionSnapshot } from './snapshot.js';
import { closingKey, newSession, type Closing, type MSession } from './state.js';

const DEFAULTS = { graceUs: 2_000_000, idleUs: 7_200_000_000, maxOpen: 10_000, maxItems: 1000 } as const;

interface Lane { readonly host: string; readonly stream: string; readonly id: number; clock: number; ticked: boolean }

type Key = number | string;
const LANES = 65_536;
const PIDS = 2 ** 36;                           // LANES × PIDS stays below 2^53

function keyOf(lane: Lane, pid: number): Key {
  return Number.isInteger(pid) && pid >= 0 && pid < PIDS && lane.id < LANES ? pid * LANES + lane.id : `${lane.id}:${pid}`;
}

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address. */
function plainIp(ip: string): string { return ip.startsWith('::ffff:') ? ip.slice(7) : ip; }

export class SessionCorrelator {
  readonly #opts: Required<SessionCorrelatorOptions>;
  #open = new Map<Key, MSession>();
  #closing = new Map<Key, Closing>();
  #done: Session[] = [];
  #notices: Notice[] = [];
  #lanes = new Map<string, Map<string, Lane>>();
  #lastLane: Lane | undefined;                 // most events come in runs of one stream
  #laneCount = 0;
  #ticked: Lane[] = [];                        // lanes with a clock, in the order they got it
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
    const lane = this.#push(time, host, stream, ev);
    // a session begun without its start keeps its events for a seam (capped like its lists)
    const pid = (ev as { pid?: unknown }).pid;
    if (typeof pid !== 'number') return;
    const key = keyOf(lane, pid);
    const s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    if (s === undefined || s.startSeen) return;
    s.seam ??= { events: [], complete: true };
    if (s.seam.events.length < this.#opts.maxItems) s.seam.events.push([time, ev]);
    else s.seam.complete = false;
  }

  /** Takes a session out (open or closing), for another run's state to continue it. */
  handOver(host: string, stream: string, pid: number): HandedSession | undefined {
    const key = keyOf(this.#lane(host, stream), pid);
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
   * and time only: the caller calls it inferred. A scan of the open sessions: add-on lines are few.
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

  #lane(host: string, stream: string): Lane {
    const last = this.#lastLane;
    if (last !== undefined && last.host === host && last.stream === stream) return last;
    let byStream = this.#lanes.get(host);
    if (byStream === undefined) { byStream = new Map(); this.#lanes.set(host, byStream); }
    let lane = byStream.get(stream);
    if (lane === undefined) {
      lane = { host, stream, id: this.#laneCount++, clock: Number.NEGATIVE_INFINITY, ticked: false };
      byStream.set(stream, lane);
    }
    this.#lastLane = lane;
    return lane;
  }

  #push(time: number, host: string, stream: string, ev: SmtpdEvent): Lane {
    this.#stats.events += 1;
    const lane = this.#lane(host, stream);
    if (!lane.ticked) { lane.ticked = true; lane.clock = time; this.#ticked.push(lane); }
    else if (time > lane.clock) lane.clock = time;
    if (time >= this.#nextExpiry) this.#expire();
    if (time >= this.#nextSweep) this.#sweep(time);

    switch (ev.kind) {
      case 'tcp_status':
        return lane;
      case 'tcp_warning': case 'tcp_fatal':   // tcpserver itself in trouble: for `qtrace notices`
        this.#notices.push({ host, at: time, level: ev.kind === 'tcp_fatal' ? 'alert' : 'warning',
          text: `tcpserver (${stream}): ${ev.kind === 'tcp_fatal' ? 'fatal' : 'warning'}: ${ev.text}` });
        return lane;
      case 'tcp_pid': {
        const s = this.#begin(time, lane, ev.pid);
        s.client.ip = ev.ip;
        return lane;
      }
      case 'tcp_ok': case 'tcp_deny': {
        let s = this.#open.get(keyOf(lane, ev.pid));
        if (s === undefined || s.tcp !== null || s.dialogue) s = this.#begin(time, lane, ev.pid);
        s.lastSeen = time;
        s.tcp = ev.kind === 'tcp_ok' ? 'ok' : 'deny';
        if (ev.kind === 'tcp_deny' && ev.limit !== undefined) s.tcpLimit = ev.limit.name;
        s.client = { ip: ev.remote.ip, port: ev.remote.port, host: ev.remote.host, info: ev.remote.info };
        s.local = { ip: ev.local.ip, port: ev.local.port, host: ev.local.host };
        return lane;
      }
      case 'tcp_end': {
        const key = keyOf(lane, ev.pid);
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
        this.#closing.set(key, { key: closingKey(host, stream, ev.pid), deadline, s });
        if (deadline < this.#nextExpiry) this.#nextExpiry = deadline;
        return lane;
      }
      case 'rbl': case 'rbl_greetdelay': case 'rbl_info': {
        const s = this.#find(time, lane, ev.pid);
        if (ev.kind === 'rbl') s.rbl = { code: ev.code, text: ev.text, ...(ev.list === undefined ? {} : { list: ev.list }) };
        if (s.client.ip === null) s.client.ip = ev.ip;
        return lane;
      }
      case 'rec_in': case 'rec_out': case 'rec_eof': {
        const s = this.#find(time, lane, ev.pid);
        s.dialogue = true;
        const max = this.#opts.maxItems;
        if (ev.kind === 'rec_in') recordIn(s, time, ev.text, ev.partial, ev.cr, max);
        else if (ev.kind === 'rec_out') { if (!recordOut(s, time, ev.text, ev.partial, ev.cr)) this.#stats.badRecords += 1; }
        else if (ev.dir === 'in') clientEof(s, time, max);
        else s.serverEof = time;
        return lane;
      }
      default:
        this.#addon(time, lane, ev);
        return lane;
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
    const snap: SessionSnapshot = {
      v: SNAPSHOT_VERSION, opts: this.#opts, open: [...this.#open.values()], closing: [...this.#closing.values()],
      done: this.#done, clock: this.#ticked.map((l) => [streamKey(l.host, l.stream), l.clock]), stats: this.#stats,
    };
    return snap;
  }

  /** Rebuild from snapshot(); throws TypeError when the value is not a snapshot this code reads. */
  static restore(value: unknown): SessionCorrelator {
    const snap = readSnapshot(value);
    const c = new SessionCorrelator(snap.opts);
    for (const [k, time] of snap.clock) {
      const [host, stream] = splitStreamKey(k);
      const lane = c.#lane(host, stream);
      if (!lane.ticked) c.#ticked.push(lane);
      lane.ticked = true;
      lane.clock = time;
    }
    for (const s of snap.open) c.#open.set(keyOf(c.#lane(s.host, s.stream), s.pid), s);
    for (const cl of snap.closing) {
      c.#closing.set(keyOf(c.#lane(cl.s.host, cl.s.stream), cl.s.pid), cl);
      if (cl.deadline < c.#nextExpiry) c.#nextExpiry = cl.deadline;
    }
    c.#done = snap.done.slice();
    c.#stats = { ...c.#stats, ...snap.stats };
    return c;
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

  // --- lifecycle -----------------------------------------------------------------------------

  /** A new connection for pid: whatever still holds the pid is finished first. */
  #begin(time: number, lane: Lane, pid: number): MSession {
    const key = keyOf(lane, pid);
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
    const s = newSession(lane.host, lane.stream, pid, time, true);
    this.#open.set(key, s);
    this.#stats.opened += 1;
    if (this.#open.size > this.#opts.maxOpen) this.#evictOldest();
    return s;
  }

  /** The session that holds pid now: open, else in its grace period, else a new one (log began mid-session). */
  #find(time: number, lane: Lane, pid: number): MSession {
    const key = keyOf(lane, pid);
    const s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    if (s !== undefined) {
      if (time > s.lastSeen) s.lastSeen = time;
      return s;
    }
    const n = newSession(lane.host, lane.stream, pid, time, false);
    this.#open.set(key, n);
    this.#stats.opened += 1;
    if (this.#open.size > this.#opts.maxOpen) this.#evictOldest();
    return n;
  }

  #finish(c: Closing): void {
    this.#done.push(this.#close(c.s));
  }

  #close(s: MSession): Session {
    this.#stats.closed += 1;
    return this.#settle(s);
  }

  /** What closing makes of a session: a pending line completed, a DATA cut short marked. */
  #settle(s: MSession): Session {
    const rest = clientRest(s.st);
    if (rest !== undefined) clientLine(s, s.lastSeen, rest, this.#opts.maxItems);
    endDialogue(s);
    return freeze(s);
  }

  /** The clock of a session's lane (its stream's latest time), if that stream has pushed anything. */
  #now(s: MSession): number | undefined {
    const lane = this.#lane(s.host, s.stream);
    return lane.ticked ? lane.clock : undefined;
  }

  #expire(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const [key, c] of this.#closing) {    // deleting the entry being visited is safe
      const now = this.#now(c.s) ?? Number.NEGATIVE_INFINITY;
      if (now > c.deadline) {
        this.#closing.delete(key);
        this.#finish(c);
      } else if (c.deadline < next) next = c.deadline;
    }
    this.#nextExpiry = next;
  }

  /** Close sessions idle longer than idleUs (checked at most once per minute of log time). */
  #sweep(time: number): void {
    this.#nextSweep = time + 60_000_000;
    for (const [key, s] of this.#open) {
      const now = this.#now(s) ?? time;
      if (now - s.lastSeen > this.#opts.idleUs) {
        this.#open.delete(key);
        this.#stats.evicted += 1;
        this.#done.push(this.#close(s));
      }
    }
  }

  #evictOldest(): void {
    let oldestKey: Key | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, s] of this.#open) if (s.lastSeen < oldest) { oldest = s.lastSeen; oldestKey = key; }
    if (oldestKey === null) return;
    const s = this.#open.get(oldestKey);
    this.#open.delete(oldestKey);
    if (s === undefined) return;
    this.#stats.evicted += 1;
    this.#done.push(this.#close(s));
  }

  // --- add-ons (addon-rules.ts) --------------------------------------------------------------

  #addon(time: number, lane: Lane, ev: SmtpdAddonEvent): void {
    const rule = ruleOf(ev);
    const pid = rule?.pid?.(ev) ?? null;
    let s: MSession | undefined;
    if (rule?.detached?.(ev) === true) s = undefined;
    else if (pid !== null) {
      const key = keyOf(lane, pid);
      s = this.#open.get(key) ?? this.#closing.get(key)?.s;
    } else s = this.#byAdjacency(lane, rule?.ip?.(ev) ?? null);
    if (s === undefined) { this.#stats.orphanAddons += 1; return; }
    if (time > s.lastSeen) s.lastSeen = time;
    if (s.addons.length < this.#opts.maxItems) s.addons.push({ time, event: ev });
    else s.truncated += 1;
    if (rule?.wrapper !== undefined) s.queueWrapper = rule.wrapper;
    rule?.session?.(ev, s);
    if (!s.dialogue && rule?.envelope !== undefined) rule.envelope(ev, new Envelope(s, time, this.#opts.maxItems));
  }

  /** No pid on the line: the one open session of this stream with that client IP (or the only one). */
  #byAdjacency(lane: Lane, ip: string | null): MSession | undefined {
    let found: MSession | undefined;
    let count = 0;
    for (const s of this.#open.values()) {
      if (s.host !== lane.host || s.stream !== lane.stream) continue;
      if (ip !== null && ip !== '' && s.client.ip !== null && s.client.ip !== ip) continue;
      found = s;
      count += 1;
      if (count > 1) return undefined;
    }
    return found;
  }
}
