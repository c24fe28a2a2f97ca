// The state machine that turns qmail-send events into per-message timelines.
// It knows nothing of SQLite or terminals: it is fed (time, host, event) and hands out what changed.
// Time comes from the log lines only, so a replay gives identical output.

import type { SendEvent } from '../../parsers/events.js';
import { flatCopy } from '../../parsers/flat.js';
import { idForJson, msgId, type MsgId } from '../../parsers/ids.js';
import type { SeamBefore, WantedAtSeam } from './stitch.js';
import { keyOf, messageKey, newTimeline, parseKey, recipientsOf, type Delivery, type KeyParts, type Timeline } from './timeline.js';
import { INFO_BEFORE_US, QP_WINDOW_US } from './windows.js';

export type LinkKind = 'bounce' | 'forward';

/** How a qtrace notice of a qmail-send restart begins (its delivery ids start again at 1). */
export const RESTART_NOTICE = 'qmail-send restarted';

export interface Link {
  readonly kind: LinkKind;
  readonly from: string;   // key of the original message
  readonly to: string;     // key of the bounce / forwarded copy
  readonly qp: number;
  /** The two timelines where this run holds them, so that the store need not look them up by key. */
  readonly fromTimeline?: Timeline | undefined;
  readonly toTimeline?: Timeline | undefined;
}

export interface OrphanResult {
  readonly host: string;
  readonly run: number;
  readonly did: number;
  readonly at: number;
  readonly result: 'success' | 'failure' | 'deferral';
  readonly reason: string;
  readonly smtpCode: number | null;
  readonly dsn: string | null;
  readonly remoteIp: string | null;
  readonly tooLong: boolean;
  readonly forwardQp: number | null;
}

export interface Notice {
  readonly host: string;
  readonly at: number;
  readonly level: 'warning' | 'alert' | 'qtrace';
  readonly text: string;
}

/** qmail-send's concurrency: the peak of one second. */
export interface StatusSample {
  readonly host: string; readonly at: number; readonly local: number; readonly localMax: number;
  readonly remote: number; readonly remoteMax: number; readonly exitasap: boolean;
}

/** Everything the correlator produced since the last drain. */
export interface Output {
  readonly timelines: Timeline[];     // changed (open or just closed)
  readonly links: Link[];
  readonly orphans: OrphanResult[];
  readonly notices: Notice[];
  readonly statuses: StatusSample[];
}

interface InFlight { t: Timeline; d: Delivery }

interface HostState {
  last: number;                           // newest event time: where this host's history stands
  keysAt: number;                         // the stamp of the counts below (second-resolution logs repeat it)
  keyFirst: MsgId | undefined;            // the first message opened at that stamp, and its count:
  keyFirstN: number;                      // most stamps open one, and then no map is touched
  keys: Map<MsgId, number>;               // the others opened at that stamp
  status: { -readonly [K in keyof StatusSample]: StatusSample[K] } | undefined; // this second's peak
  run: number;
  lastDid: number;
  open: Map<MsgId, Timeline>;            // msg id → its current incarnation
  inflight: Map<number, InFlight>;        // delivery id (this run) → attempt
  // by qp, in time order (for #purge): no key string per event
  recentInfo: Map<number, QpEntry>;       // recent `info msg` (for forwards whose info line came first)
  wanted: Map<number, QpEntry>;           // an original waiting for its bounce / forwarded copy
}

/**
 * A qp waiting to be matched: its timeline while this run holds it (a key is made only if a link
 * asks), or, restored from a snapshot, its key's parts.
 */
interface QpEntry { t: Timeline | undefined; ref: KeyParts | undefined; at: number; kind: LinkKind | undefined }

const entryKey = (e: QpEntry): string => (e.t !== undefined ? keyOf(e.t) : messageKey(e.ref!.host, e.ref!.first, e.ref!.msg, e.ref!.dup));
const isOf = (e: QpEntry, t: Timeline): boolean =>
  e.t === t || (e.t === undefined && e.ref!.first === t.firstSeen && e.ref!.msg === t.msg && e.ref!.dup === t.dup && e.ref!.host === t.host);

/** Values per entry of a snapshot's qp map: qp, µs before `base`, the message's first_us before `base`, its msg id, its `#n`, its kind. */
const QP_ROW = 6;
const KIND: readonly (LinkKind | undefined)[] = [undefined, 'bounce', 'forward'];

/** A qp entry as the snapshot keeps it. */
export interface QpRow { readonly qp: number; readonly at: number; readonly ref: KeyParts; readonly kind: LinkKind | undefined }

/**
 * One entry onto a host's qp map as the snapshot keeps it (version 4): flat numbers, times as µs
 * before `base` (small integers), a msg id beyond 2^53 as its digits. As `host|qp` pairs with key
 * strings, the thousands of entries a busy log holds at each commit cost 6 % of the ×10 bench's ingest.
 */
function pushQp(out: Array<number | string>, base: number, qp: number, at: number, first: number, msg: MsgId, dup: number,
  kind: LinkKind | undefined): void {
  out.push(qp, base - at, base - first, idForJson(msg), dup, KIND.indexOf(kind));
}

export function encodeQp(rows: Iterable<QpRow>, base: number): Array<number | string> {
  const out: Array<number | string> = [];
  for (const r of rows) pushQp(out, base, r.qp, r.at, r.ref.first, r.ref.msg, r.ref.dup, r.kind);
  return out;
}

export function decodeQp(host: string, flat: ReadonlyArray<number | string>, base: number): QpRow[] {
  const out: QpRow[] = [];
  for (let i = 0; i + QP_ROW <= flat.length; i += QP_ROW) {
    const m = flat[i + 3]!;
    out.push({ qp: Number(flat[i]), at: base - Number(flat[i + 1]), kind: KIND[Number(flat[i + 5])],
      ref: { host, first: base - Number(flat[i + 2]), msg: typeof m === 'string' ? msgId(m) : m, dup: Number(flat[i + 4]) } });
  }
  return out;
}

/** A live qp map into its snapshot rows, in its time order (no object per entry). */
function snapQp(m: Map<number, QpEntry>, base: number): Array<number | string> {
  const out: Array<number | string> = [];
  for (const [qp, e] of m) {
    const t = e.t;
    if (t !== undefined) pushQp(out, base, qp, e.at, t.firstSeen, t.msg, t.dup, e.kind);
    else pushQp(out, base, qp, e.at, e.ref!.first, e.ref!.msg, e.ref!.dup, e.kind);
  }
  return out;
}

/** Version 3 kept the qp maps beside the hosts, as `host|qp` pairs naming messages by key: read still. */
interface SnapshotV3 {
  readonly version: 3;
  readonly hosts: ReadonlyArray<HostSnapshot>;
  readonly recentInfo: ReadonlyArray<[string, { key: string; at: number; kind?: LinkKind }]>;
  readonly wanted: ReadonlyArray<[string, { key: string; at: number; kind?: LinkKind }]>;
}

/** A stored snapshot as version 4 (a version 3 one converted), or undefined for one of another version. */
export function currentSnapshot(s: unknown): CorrelatorSnapshot | undefined {
  const v = s as CorrelatorSnapshot | SnapshotV3 | undefined;
  if (v?.version === 4) return v;
  if (v?.version !== 3) return undefined;
  const hosts = v.hosts.map((h) => ({ ...h }));
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  for (const which of ['recentInfo', 'wanted'] as const) {
    const rows = new Map<string, QpRow[]>();
    for (const [k, e] of v[which]) {
      const i = k.lastIndexOf('|');
      const ref = parseKey(e.key);
      if (i < 0 || ref === undefined) continue;
      const host = k.slice(0, i);
      let l = rows.get(host);
      if (l === undefined) rows.set(host, (l = []));
      l.push({ qp: Number(k.slice(i + 1)), at: e.at, ref, kind: e.kind });
    }
    for (const [host, l] of rows) {
      let h = byHost.get(host);
      if (h === undefined) { h = { host, run: 1, lastDid: 0, inflight: [], last: null, keysAt: null, keys: [] }; hosts.push(h); byHost.set(host, h); }
      h[which] = encodeQp(l, h.last ?? 0);
    }
  }
  return { version: 4, hosts };
}

export interface CorrelatorStats {
  events: number;
  messagesOpened: number;
  messagesClosed: number;
  messagesLost: number;
  partial: number;
  interrupted: number;
  restarts: number;
  orphanResults: number;
}

/**
 * The state between runs, without the open timelines themselves: those are in the store already
 * (every changed timeline is written at each commit), so the snapshot stays small however long
 * the queue is. restore() takes them back from whoever kept them.
 */
export interface HostSnapshot {
  host: string; run: number; lastDid: number; inflight: Array<[number, string, number]>;
  last: number | null; keysAt: number | null; keys: Array<[string, number]>;
  status?: StatusSample | undefined;  // the second in progress: its peak so far
  /** The qp maps (encodeQp), times before `last` (or before 0 when it is null). */
  recentInfo?: Array<number | string>;
  wanted?: Array<number | string>;
}

export interface CorrelatorSnapshot {
  readonly version: 4;
  readonly hosts: ReadonlyArray<HostSnapshot>;
}

/**
 * Open timelines kept in memory (all hosts). Past it, the oldest are let go at a commit, with a
 * notice: they stay in the store as they stood, and a later line of one starts a partial timeline.
 * A queue this long is an outage of its own; memory stays bounded through it.
 */
export const MAX_OPEN = 100_000;

/** Distinct senders and recipients kept as shared copies: a busy queue repeats them. */
const INTERN_MAX = 20_000;

/** Drops a qp map's entries older than `before` (its insertion order is time order). */
function purgeBefore(m: Map<number, QpEntry>, before: number): void {
  for (const [k, e] of m) {
    if (e.at >= before) return;
    m.delete(k);
  }
}

/** A host's counts at its last stamp as the snapshot keeps them: by base key, `host:at:msg`. */
function keysOf(host: string, h: HostState): Array<[string, number]> {
  if (h.keyFirst === undefined || !Number.isFinite(h.keysAt)) return [];
  const out: Array<[string, number]> = [[`${host}:${h.keysAt}:${h.keyFirst}`, h.keyFirstN]];
  for (const [msg, n] of h.keys) out.push([`${host}:${h.keysAt}:${msg}`, n]);
  return out;
}

export class Correlator {
  readonly #hosts = new Map<string, HostState>();
  readonly #interned = new Map<string, string>();
  #dirty = new Set<Timeline>();
  #links: Link[] = [];
  #orphans: OrphanResult[] = [];
  #notices: Notice[] = [];
  #statuses: StatusSample[] = [];
  #lastPurge = 0;
  readonly #maxOpen: number;
  /** Open timelines let go because of the cap, ever. */
  evicted = 0;

  constructor(opts: { readonly maxOpen?: number } = {}) {
    this.#maxOpen = opts.maxOpen ?? MAX_OPEN;
  }
  readonly stats: CorrelatorStats = {
    events: 0, messagesOpened: 0, messagesClosed: 0, messagesLost: 0, partial: 0, interrupted: 0,
    restarts: 0, orphanResults: 0,
  };

  #intern(s: string): string {
    const known = this.#interned.get(s);
    if (known !== undefined) return known;
    if (this.#interned.size >= INTERN_MAX) this.#interned.clear();
    const f = flatCopy(s);
    this.#interned.set(f, f);
    return f;
  }

  #host(host: string): HostState {
    let h = this.#hosts.get(host);
    if (h === undefined) {
      h = { last: -Infinity, keysAt: -Infinity, keyFirst: undefined, keyFirstN: 0, keys: new Map(), status: undefined, run: 1, lastDid: 0, open: new Map(), inflight: new Map(),
        recentInfo: new Map(), wanted: new Map() };
      this.#hosts.set(host, h);
    }
    return h;
  }

  push(at: number, host: string, ev: SendEvent): void {
    this.stats.events++;
    const h = this.#host(host);
    if (at > h.last) h.last = at;
    switch (ev.kind) {
      case 'new_msg': {
        const old = h.open.get(ev.msg);
        if (old !== undefined) this.#lose(h, old, at);
        this.#open(h, host, ev.msg, at, false);
        break;
      }
      case 'info_msg': {
        const t = h.open.get(ev.msg) ?? this.#open(h, host, ev.msg, at, true);
        t.bytes = ev.bytes; t.from = this.#intern(ev.from); t.qp = ev.qp; t.uid = ev.uid; t.info = at;
        this.#dirty.add(t);
        this.#infoSeen(h, t, at);
        break;
      }
      case 'delivery_start': {
        if (ev.did <= h.lastDid) this.#restart(h, host, at, `delivery ids went back to ${ev.did}`);
        h.lastDid = ev.did;
        const t = h.open.get(ev.msg) ?? this.#open(h, host, ev.msg, at, true);
        const d: Delivery = {
          run: h.run, did: ev.did, channel: ev.channel, to: this.#intern(ev.to), started: at, finished: null, result: null,
          reason: null, smtpCode: null, dsn: null, remoteIp: null, tooLong: false, forwardQp: null, rcpt: 0,
        };
        // a first attempt in an array of one: a push into [] reserves 16 slots, carried while the message is open
        if (t.deliveries.length === 0) t.deliveries = [d]; else t.deliveries.push(d);
        h.inflight.set(ev.did, { t, d });
        this.#dirty.add(t);
        break;
      }
      case 'delivery_result': {
        const f = h.inflight.get(ev.did);
        const rep = ev.report;
        if (f === undefined) {
          this.stats.orphanResults++;
          this.#orphans.push({ host, run: h.run, did: ev.did, at, result: ev.result, reason: rep.text,
            smtpCode: rep.smtpCode ?? null, dsn: rep.dsn ?? null, remoteIp: rep.ip ?? null, tooLong: rep.tooLong === true,
            forwardQp: rep.forwardQp ?? null });
          break;
        }
        h.inflight.delete(ev.did);
        const d = f.d;
        d.finished = at; d.result = ev.result; d.reason = rep.text;
        d.smtpCode = rep.smtpCode ?? null; d.dsn = rep.dsn ?? null; d.remoteIp = rep.ip ?? null;
        d.tooLong = rep.tooLong === true;
        d.forwardQp = rep.forwardQp ?? null;
        this.#dirty.add(f.t);
        if (rep.forwardQp !== undefined) this.#want(h, f.t, rep.forwardQp, at, 'forward');
        break;
      }
      case 'delivery_mangled': {
        const f = h.inflight.get(ev.did);
        if (f !== undefined) {
          h.inflight.delete(ev.did);
          f.d.finished = at; f.d.result = 'deferral'; f.d.reason = 'report mangled, will defer';
          this.#dirty.add(f.t);
        }
        break;
      }
      case 'bounce_msg': {
        const t = h.open.get(ev.msg) ?? this.#open(h, host, ev.msg, at, true);
        t.bounceQp = ev.qp;
        this.#dirty.add(t);
        this.#want(h, t, ev.qp, at, 'bounce');
        break;
      }
      case 'triple_bounce':
      case 'double_bounce_discard': {
        const t = h.open.get(ev.msg) ?? this.#open(h, host, ev.msg, at, true);
        t.tripleBounce = true;
        this.#dirty.add(t);
        break;
      }
      case 'end_msg': {
        const t = h.open.get(ev.msg) ?? this.#open(h, host, ev.msg, at, true);
        t.ended = at;
        h.open.delete(ev.msg); // from here only an attempt still running (h.inflight) can change t
        this.stats.messagesClosed++;
        this.#dirty.add(t);
        break;
      }
      case 'status': {
        // One sample per second (its peaks): a status line follows every start and every result.
        const sec = at - (at % 1_000_000);
        const st = h.status;
        if (st !== undefined && st.at === sec) {
          if (ev.local > st.local) st.local = ev.local;
          if (ev.remote > st.remote) st.remote = ev.remote;
          st.localMax = ev.localMax; st.remoteMax = ev.remoteMax;
          st.exitasap ||= ev.exitasap;
        } else {
          if (st !== undefined) this.#statuses.push(st);
          h.status = { host, at: sec, local: ev.local, localMax: ev.localMax, remote: ev.remote,
            remoteMax: ev.remoteMax, exitasap: ev.exitasap };
        }
        // A startup line (0 running) while we still hold running deliveries: qmail-send was
        // restarted without a `status: exiting` we could see (killed, or the line was lost).
        if (ev.local + ev.remote === 0 && !ev.exitasap && h.inflight.size > 0) {
          this.#restart(h, host, at, 'qmail-send restarted with deliveries in flight');
        }
        break;
      }
      case 'status_exiting':
        this.#restart(h, host, at, undefined);
        break;
      case 'warning':
        this.#notices.push({ host, at, level: 'warning', text: ev.text });
        break;
      case 'alert':
        this.#notices.push({ host, at, level: 'alert', text: ev.text });
        break;
      case 'daemon':
      case 'dispatch':
        break; // indimail's bookkeeping: nothing a timeline needs
    }
    if (at - this.#lastPurge > INFO_BEFORE_US) this.#purge(at);
  }

  #open(h: HostState, host: string, msg: MsgId, at: number, partial: boolean): Timeline {
    const t = newTimeline(host, msg, at, partial);
    // a timeline's key is unique by construction: a repeat within one stamp gets `#n`
    const n = this.#opened(h, msg, at);
    if (n > 1) t.dup = n;
    h.open.set(msg, t);
    this.stats.messagesOpened++;
    if (partial) this.stats.partial++;
    this.#dirty.add(t);
    return t;
  }

  /** How many timelines of this message id its host opened at this stamp, this one included. */
  #opened(h: HostState, msg: MsgId, at: number): number {
    if (h.keysAt !== at || h.keyFirst === undefined) {
      h.keysAt = at; h.keyFirst = msg; h.keyFirstN = 1;
      if (h.keys.size > 0) h.keys.clear();
      return 1;
    }
    if (h.keyFirst === msg) return ++h.keyFirstN;
    const n = (h.keys.get(msg) ?? 0) + 1;
    h.keys.set(msg, n);
    return n;
  }

  #lose(h: HostState, t: Timeline, at: number): void {
    t.lost = true;
    h.open.delete(t.msg);
    for (const [did, f] of h.inflight) if (f.t === t) h.inflight.delete(did);
    this.stats.messagesLost++;
    this.#dirty.add(t);
    this.#notices.push({ host: t.host, at, level: 'qtrace',
      text: `msg ${t.msg} reused by a new message before its end msg; the earlier one is marked lost` });
  }

  /** A new qmail-send run: running deliveries will never report; ids start again at 1. */
  #restart(h: HostState, host: string, at: number, why: string | undefined): void {
    let n = 0;
    for (const { t, d } of h.inflight.values()) {
      d.result = 'interrupted'; d.finished = at; d.reason = 'qmail-send stopped during the delivery';
      n++;
      this.#dirty.add(t);
    }
    this.stats.interrupted += n;
    h.inflight.clear();
    h.run++;
    h.lastDid = 0;
    this.stats.restarts++;
    this.#notices.push({ host, at, level: 'qtrace',
      text: `${RESTART_NOTICE} (${why ?? 'status: exiting'})${n > 0 ? `: ${n} running deliveries interrupted` : ''}` });
  }

  #infoSeen(h: HostState, t: Timeline, at: number): void {
    const k = t.qp!;
    const w = h.wanted.get(k);
    if (w !== undefined && at - w.at <= QP_WINDOW_US && !isOf(w, t)) {
      // A bounce is queued by qmail-send itself with a null (or #@[]) sender; anything else with
      // that qp is a pid reuse, not our bounce.
      if (w.kind !== 'bounce' || t.from === '' || t.from === '#@[]') {
        h.wanted.delete(k);
        this.#links.push({ kind: w.kind!, from: entryKey(w), to: keyOf(t), qp: k, fromTimeline: w.t, toTimeline: t });
        return;
      }
    }
    h.recentInfo.delete(k); // re-insert: keeps the map in time order for #purge
    h.recentInfo.set(k, { t, ref: undefined, at, kind: undefined });
  }

  #want(h: HostState, t: Timeline, qp: number, at: number, kind: LinkKind): void {
    // A bounce's own `info msg` always comes after `bounce msg` (qmail-send logs the injection
    // before it scans todo/), so an earlier info with that qp is a pid reuse. Forwards race.
    const seen = kind === 'forward' ? h.recentInfo.get(qp) : undefined;
    if (seen !== undefined && at - seen.at <= INFO_BEFORE_US && !isOf(seen, t)) {
      h.recentInfo.delete(qp);
      this.#links.push({ kind, from: keyOf(t), to: entryKey(seen), qp, fromTimeline: t, toTimeline: seen.t });
      return;
    }
    h.wanted.set(qp, { t, ref: undefined, at, kind });
  }

  #purge(now: number): void {
    this.#lastPurge = now;
    for (const h of this.#hosts.values()) {
      purgeBefore(h.recentInfo, now - INFO_BEFORE_US);
      purgeBefore(h.wanted, now - QP_WINDOW_US);
    }
  }

  /** What changed since the last call. Closed timelines leave memory here. */
  drain(final = false): Output {
    if (final) {
      for (const h of this.#hosts.values()) {
        if (h.status !== undefined) { this.#statuses.push(h.status); h.status = undefined; }
      }
    }
    this.#cap();
    const timelines = [...this.#dirty];
    for (const t of timelines) t.recipients = recipientsOf(t.deliveries);
    this.#dirty = new Set();
    const out: Output = { timelines, links: this.#links, orphans: this.#orphans, notices: this.#notices,
      statuses: this.#statuses };
    this.#links = []; this.#orphans = []; this.#notices = []; this.#statuses = [];
    return out;
  }

  /** Over the cap: the oldest open timelines (and their running deliveries) are let go, a tenth below it. */
  #cap(): void {
    const n = this.openCount();
    if (n <= this.#maxOpen) return;
    const keep = Math.floor(this.#maxOpen * 0.9);
    const all = this.openTimelines().sort((a, b) => a.firstSeen - b.firstSeen);
    const drop = all.slice(0, n - keep);
    const gone = new Set(drop);
    let at = -Infinity;
    for (const h of this.#hosts.values()) {
      if (h.last > at) at = h.last;
      for (const [did, f] of h.inflight) if (gone.has(f.t)) h.inflight.delete(did);
    }
    for (const t of drop) this.#host(t.host).open.delete(t.msg);
    this.evicted += drop.length;
    this.#notices.push({ host: drop[0]!.host, at: Number.isFinite(at) ? at : drop[0]!.firstSeen, level: 'qtrace',
      text: `${n} messages open, over the cap of ${this.#maxOpen}: the ${drop.length} oldest (from ${new Date(drop[0]!.firstSeen / 1000).toISOString()}) ` +
        'are no longer followed; they stay in the store as they stood, and a later line of one starts a partial timeline' });
  }

  /** At the end of older lines read on their own: what each host leaves open at its seam. */
  seams(): SeamBefore[] {
    const out: SeamBefore[] = [];
    for (const [host, h] of this.#hosts) {
      if (!Number.isFinite(h.last)) continue;
      const inflight = [...h.inflight].map(([did, f]) => ({ did, t: f.t, d: f.d }));
      const wanted: WantedAtSeam[] = [];
      for (const [qp, e] of h.wanted) if (e.kind !== undefined) wanted.push({ qp, key: entryKey(e), at: e.at, kind: e.kind });
      out.push({ host, seam: h.last, run: h.run, lastDid: h.lastDid, open: [...h.open.values()], inflight, wanted });
    }
    return out;
  }

  /** Where each host's history stands: its newest event time. */
  frontier(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [host, h] of this.#hosts) if (Number.isFinite(h.last)) out.set(host, h.last);
    return out;
  }

  openCount(): number {
    let n = 0;
    for (const h of this.#hosts.values()) n += h.open.size;
    return n;
  }

  /** The messages in the queue (not ended, not lost), in no particular order. */
  openTimelines(): Timeline[] {
    const out: Timeline[] = [];
    for (const h of this.#hosts.values()) for (const t of h.open.values()) out.push(t);
    return out;
  }

  snapshot(): CorrelatorSnapshot {
    const hosts: HostSnapshot[] = [];
    for (const [host, h] of this.#hosts) {
      const inflight: Array<[number, string, number]> = [];
      for (const [did, f] of h.inflight) inflight.push([did, keyOf(f.t), f.t.deliveries.indexOf(f.d)]);
      const last = Number.isFinite(h.last) ? h.last : null;
      const hs: HostSnapshot = { host, run: h.run, lastDid: h.lastDid, inflight, last,
        keysAt: Number.isFinite(h.keysAt) ? h.keysAt : null, keys: keysOf(host, h), status: h.status === undefined ? undefined : { ...h.status } };
      if (h.recentInfo.size > 0) hs.recentInfo = snapQp(h.recentInfo, last ?? 0);
      if (h.wanted.size > 0) hs.wanted = snapQp(h.wanted, last ?? 0);
      hosts.push(hs);
    }
    return { version: 4, hosts };
  }

  /** A snapshot of another version is ignored (state starts afresh; the open timelines still count). */
  static restore(stored: unknown, open: readonly Timeline[], opts: { readonly maxOpen?: number } = {}): Correlator {
    const c = new Correlator(opts);
    const byKey = new Map<string, Timeline>();
    for (const t of open) {
      byKey.set(keyOf(t), t);
      c.#host(t.host).open.set(t.msg, t);
    }
    const s = currentSnapshot(stored);
    if (s === undefined) return c;
    for (const hs of s.hosts) {
      const h = c.#host(hs.host);
      h.run = hs.run; h.lastDid = hs.lastDid;
      h.last = hs.last ?? -Infinity; h.keysAt = hs.keysAt ?? -Infinity;
      for (const [key, n] of hs.keys) {
        const msg = msgId(key.slice(key.lastIndexOf(':') + 1));
        if (h.keyFirst === undefined) { h.keyFirst = msg; h.keyFirstN = n; } else h.keys.set(msg, n);
      }
      if (hs.status !== undefined) h.status = { ...hs.status };
      for (const [did, key, idx] of hs.inflight) {
        const t = byKey.get(key);
        const d = t?.deliveries[idx];
        if (t !== undefined && d !== undefined) h.inflight.set(did, { t, d });
      }
      for (const r of decodeQp(hs.host, hs.recentInfo ?? [], hs.last ?? 0)) h.recentInfo.set(r.qp, { t: undefined, ref: r.ref, at: r.at, kind: r.kind });
      for (const r of decodeQp(hs.host, hs.wanted ?? [], hs.last ?? 0)) h.wanted.set(r.qp, { t: undefined, ref: r.ref, at: r.at, kind: r.kind });
    }
    return c;
  }
}
