// The SQLite sink: writes what the correlator drained. Statements are prepared once; the caller
// wraps each batch (data + state) in one transaction, so a kill loses nothing and duplicates nothing.

import type { Output } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { SessionLink } from '../correlate/link-sessions.js';
import { keyOf, messageKey, type Timeline } from '../correlate/timeline.js';
import type { FilePosition, UnknownLine } from '../ingest/pipeline.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { idToSql } from './ids.js';
import { DELIVERY_COLUMNS, deliverySig, deliveryValues, type Interner, MESSAGE_COLUMNS, messageSig, messageValues,
  parseKey, UPDATE_MESSAGE, UPDATE_MESSAGE_MOVED, updateMessage } from './rows.js';
import { RowBuffer } from './row-buffer.js';
import { toBytes } from '../text/escape.js';

const b = (v: boolean): number => (v ? 1 : 0);
const RX_RAW_BYTE = /[\u{10ff00}-\u{10ffff}]/u;

interface Stored { id: number; first: number; msg: number; dels: number[] }

/**
 * What an output's links name: the timelines the correlator handed with them, and the keys of the
 * others (a wait restored from a snapshot, a seam's stitch) with their first_us, a number checked
 * before a key is made. Found by key alone, the ×10 bench's 26,620 bounce links cost 7.6 % of its
 * ingest (the writer's link step skipped); by their timelines, 2.6 % of that came back.
 */
interface Named { readonly timelines: ReadonlySet<Timeline>; readonly keys: ReadonlySet<string>; readonly firsts: ReadonlySet<number> }

function namedBy(links: Output['links']): Named {
  const timelines = new Set<Timeline>();
  const keys = new Set<string>();
  for (const l of links) {
    if (l.fromTimeline !== undefined) timelines.add(l.fromTimeline); else keys.add(l.from);
    if (l.toTimeline !== undefined) timelines.add(l.toTimeline); else keys.add(l.to);
  }
  const firsts = new Set<number>();
  for (const k of keys) { const p = parseKey(k); if (p !== undefined) firsts.add(p.first); }
  return { timelines, keys, firsts };
}

/**
 * Whether an ended (or lost) timeline can still change: only through an attempt still running,
 * whose result the correlator finds by its delivery id (a restart's `interrupted` included). One
 * whose attempts are all finished is never written again, and the writer forgets it: a weak
 * table entry for each ended message (226,620 in the ×10 bench) kept the main thread's old space
 * up to 8 MB fuller between its collections.
 */
function mayChange(t: Timeline): boolean {
  for (const d of t.deliveries) if (d.result === null) return true;
  return false;
}

/** Interned texts kept in memory: enough for a server's addresses and reports, bounded all the same. */
const INTERN_MAX = 20_000;

export class StoreWriter implements Interner {
  readonly #db: Db;
  // new rows go out in batches (RowBuffer); their ids are given here, from the largest stored
  readonly #newMessages: RowBuffer;
  readonly #newDeliveries: RowBuffer;
  readonly #maxId;
  #nextId: number | undefined;
  readonly #updMsg;
  readonly #updMsgMoved;
  readonly #dupTaken;
  readonly #idByKey;
  readonly #putDelivery;
  readonly #one = { values: new Array<unknown>(DELIVERY_COLUMNS.split(',').length).fill(null), at: 0 };
  readonly #cutDeliveries;
  // timelines already stored (written in this run, or read back): their row id and what was
  // written of them, so a commit writes only the rows that changed
  readonly #stored = new WeakMap<Timeline, Stored>();
  // ended ones that may still change keep only their row id; one changed again is rewritten whole
  readonly #ended = new WeakMap<Timeline, number>();
  readonly #segment: number;
  readonly #insLink;
  readonly #insOrphan;
  readonly #insNotice;
  readonly #insStatus;
  readonly #insUnknown;
  readonly #putState;
  readonly #getState;
  readonly #putPos;
  readonly #getPos;
  readonly #upsertSession;
  readonly #delSessionRcpts;
  readonly #insSessionRcpt;
  readonly #delSessionLinks;
  readonly #insSessionLink;
  readonly #sessionId;
  readonly #getAddress;
  readonly #insAddress;
  readonly #getText;
  readonly #insText;
  #addresses = new Map<string, number>();
  #texts = new Map<string, number>();
  // what this output's links name, and the row ids of those it wrote (the others' keys are never
  // made: a map of every written key cost 2 % of an ingest)
  #named: Named | undefined;
  #written = new Map<string, number>();
  #writtenTimelines = new Map<Timeline, number>();
  // an id can only be taken at or below the newest first_us stored: above it, no probe is needed
  #newest: number;

  constructor(db: Db, segment = 0) {
    this.#db = db;
    this.#segment = segment;
    this.#newMessages = new RowBuffer(db, `INSERT INTO messages (id, ${MESSAGE_COLUMNS})`, MESSAGE_COLUMNS.split(',').length + 1);
    this.#newDeliveries = new RowBuffer(db, `INSERT INTO deliveries (${DELIVERY_COLUMNS})`, DELIVERY_COLUMNS.split(',').length);
    this.#maxId = db.prepare('SELECT max(id) FROM messages').pluck();
    this.#updMsg = db.prepare(UPDATE_MESSAGE);
    this.#updMsgMoved = db.prepare(UPDATE_MESSAGE_MOVED);
    this.#dupTaken = db.prepare('SELECT 1 FROM messages WHERE first_us = ? AND msg = ? AND host = ? AND dup = ?').pluck();
    this.#newest = (db.prepare('SELECT max(first_us) FROM messages').pluck().get() as number | null) ?? -Infinity;
    this.#idByKey = db.prepare('SELECT id FROM messages WHERE first_us = ? AND msg = ? AND host = ? AND dup = ?').pluck();
    const dcols = DELIVERY_COLUMNS.split(',').map(() => '?').join(', ');
    this.#putDelivery = db.prepare(`INSERT OR REPLACE INTO deliveries (${DELIVERY_COLUMNS}) VALUES (${dcols})`);
    this.#cutDeliveries = db.prepare('DELETE FROM deliveries WHERE message_id = ? AND seq >= ?');
    this.#insLink = db.prepare('INSERT OR IGNORE INTO links (kind, from_id, to_id, qp) VALUES (?, ?, ?, ?)');
    this.#insOrphan = db.prepare(`INSERT OR IGNORE INTO orphan_results (host, run, did, at_us, result, reason,
      smtp_code, dsn, remote_ip, too_long, forward_qp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#insNotice = db.prepare('INSERT OR IGNORE INTO notices (host, at_us, level, text) VALUES (?, ?, ?, ?)');
    // a second cut by a run boundary is written twice: its peak is the larger of the two
    this.#insStatus = db.prepare(`INSERT INTO send_status
      (host, at_us, local, local_max, remote, remote_max, exitasap) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (host, at_us) DO UPDATE SET local = max(local, excluded.local), remote = max(remote, excluded.remote),
        local_max = excluded.local_max, remote_max = excluded.remote_max, exitasap = max(exitasap, excluded.exitasap)`);
    this.#insUnknown = db.prepare('INSERT OR IGNORE INTO unknown_lines (source, line_no, at_us, raw, length) VALUES (?, ?, ?, ?, ?)');
    this.#putState = db.prepare('INSERT INTO state (name, json) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET json = excluded.json');
    this.#getState = db.prepare('SELECT json FROM state WHERE name = ?').pluck();
    this.#putPos = db.prepare(`INSERT INTO positions (fingerprint, path, stream, dev, ino, offset, lines, last_us, size, complete,
      segment, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET path = excluded.path,
      stream = excluded.stream, dev = excluded.dev, ino = excluded.ino, offset = excluded.offset, lines = excluded.lines,
      last_us = excluded.last_us, size = excluded.size, complete = excluded.complete, segment = excluded.segment,
      updated_at = excluded.updated_at`);
    this.#getPos = db.prepare('SELECT * FROM positions WHERE fingerprint = ?');
    this.#upsertSession = db.prepare(`INSERT INTO sessions (key, host, stream, pid, start_us, end_us, open, client_ip,
      client_port, client_host, local_ip, local_port, tcp, exit_code, rbl_code, rbl_text, helo, auth_user, tls, dialogue,
      queued, verdict, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET end_us = excluded.end_us, open = excluded.open, client_ip = excluded.client_ip,
        client_port = excluded.client_port, client_host = excluded.client_host, local_ip = excluded.local_ip,
        local_port = excluded.local_port, tcp = excluded.tcp, exit_code = excluded.exit_code, rbl_code = excluded.rbl_code,
        rbl_text = excluded.rbl_text, helo = excluded.helo, auth_user = excluded.auth_user, tls = excluded.tls,
        dialogue = excluded.dialogue, queued = excluded.queued, verdict = excluded.verdict, detail = excluded.detail
      RETURNING id`).pluck();
    this.#delSessionRcpts = db.prepare('DELETE FROM session_rcpts WHERE session_id = ?');
    this.#insSessionRcpt = db.prepare(`INSERT INTO session_rcpts (session_id, seq, at_us, sender, recipient, accepted, code, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#delSessionLinks = db.prepare('DELETE FROM session_links WHERE session_id = ?');
    this.#insSessionLink = db.prepare(`INSERT OR REPLACE INTO session_links (session_id, message_id, data_index, qp, link)
      VALUES (?, ?, ?, ?, ?)`);
    this.#sessionId = db.prepare('SELECT id FROM sessions WHERE key = ?').pluck();
    this.#getAddress = db.prepare('SELECT id FROM addresses WHERE address = ?').pluck();
    this.#insAddress = db.prepare('INSERT INTO addresses (address) VALUES (?)');
    this.#getText = db.prepare('SELECT id FROM texts WHERE text = ?').pluck();
    this.#insText = db.prepare('INSERT INTO texts (text) VALUES (?)');
  }

  /** Runs fn in one transaction (BEGIN IMMEDIATE: a second writer waits instead of failing late). */
  transaction(fn: () => void): void {
    try {
      this.#db.transaction(fn).immediate();
    } catch (e) {
      // interned ids of a rolled-back transaction name nothing, nor do rows it held
      this.#addresses.clear();
      this.#texts.clear();
      this.#newMessages.clear();
      this.#newDeliveries.clear();
      this.#nextId = undefined;
      this.#written = new Map();
      this.#writtenTimelines = new Map();
      throw e;
    }
  }

  /** Timelines read back from the store, with their row ids: they are continued, and updated in place. */
  adopt(rows: Iterable<readonly [Timeline, number]>): void {
    for (const [t, id] of rows) {
      const dels = t.deliveries.map((_, i) => deliverySig(t, i)); // exact length: it lives as long as the message is open
      this.#stored.set(t, { id, first: t.firstSeen, msg: messageSig(t, this.#segment), dels });
    }
  }

  address(s: string): number {
    return this.#intern(this.#addresses, s, this.#getAddress, this.#insAddress);
  }

  text(s: string): number {
    return this.#intern(this.#texts, s, this.#getText, this.#insText);
  }

  #intern(cache: Map<string, number>, s: string, get: Statement, ins: Statement): number {
    let id = cache.get(s);
    if (id !== undefined) return id;
    id = (get.get(s) as number | undefined) ?? Number(ins.run(s).lastInsertRowid);
    if (cache.size >= INTERN_MAX) cache.clear();
    cache.set(s, id);
    return id;
  }

  /**
   * Writes a timeline: a new one is inserted, a stored one gets only the rows that changed. A new
   * one whose id is taken (two messages with one id in one stamp, as second-resolution syslog
   * allows, across runs) gets the next free `#n`: returns the old key then.
   */
  timeline(t: Timeline): string | undefined {
    const old = this.#timeline(t);
    this.#flush();
    return old;
  }

  /** New rows wait in the buffers until #flush: a read of them comes after it (the `#n` probe also looks in the buffer). */
  #timeline(t: Timeline): string | undefined {
    let s = this.#stored.get(t);
    if (s === undefined) {
      const id = this.#ended.get(t);
      if (id !== undefined) {
        this.#cutDeliveries.run(id, 0);
        s = { id, first: t.firstSeen, msg: NaN, dels: [] };
        this.#ended.delete(t);
        this.#stored.set(t, s);
      }
    }
    if (s === undefined) {
      const msg = idToSql(t.msg);
      const was = t.dup;
      let dup = was;
      if (t.firstSeen <= this.#newest) {
        // taken in the store, or by a row of this output still in the buffer
        while (this.#dupTaken.get(t.firstSeen, msg, t.host, dup) !== undefined ||
          this.#buffered(t.host, t.firstSeen, msg, dup)) dup = dup === 0 ? 2 : dup + 1;
      } else {
        this.#newest = t.firstSeen;
      }
      t.dup = dup;
      this.#nextId ??= ((this.#maxId.get() as number | null) ?? 0) + 1;
      const id = this.#nextId++;
      messageValues(this.#newMessages, id, t, dup, msg, this.#segment, this);
      this.#newMessages.row();
      for (let i = 0; i < t.deliveries.length; i++) this.#newDelivery(id, t, i);
      if (t.ended === null && !t.lost) this.adopt([[t, id]]);
      else if (mayChange(t)) this.#ended.set(t, id);
      this.#wrote(t, was, id);
      return dup === was ? undefined : messageKey(t.host, t.firstSeen, t.msg, was);
    }
    this.#wrote(t, t.dup, s.id);
    const moved = s.first !== t.firstSeen; // times are stored after first_us: all rows change
    const sig = messageSig(t, this.#segment);
    if (moved || sig !== s.msg) {
      updateMessage(moved ? this.#updMsgMoved : this.#updMsg, s.id, t, this.#segment, this, moved);
      s.msg = sig;
      s.first = t.firstSeen;
    }
    const n = t.deliveries.length;
    for (let i = 0; i < n; i++) {
      const ds = deliverySig(t, i);
      if (i < s.dels.length) {
        if (!moved && s.dels[i] === ds) continue;
        this.#one.at = 0;
        deliveryValues(this.#one, s.id, t, i, this);
        this.#putDelivery.run(...this.#one.values);
        s.dels[i] = ds;
      } else {
        this.#newDelivery(s.id, t, i);
        s.dels.push(ds);
      }
    }
    if (s.dels.length > n) {
      this.#cutDeliveries.run(s.id, n);
      s.dels.length = n;
    }
    if (t.ended !== null || t.lost) {
      this.#stored.delete(t);
      if (mayChange(t)) this.#ended.set(t, s.id);
    }
    return undefined;
  }

  /** A row this output wrote, under its key, if a link names it (by that key, or by the one it had before a `#n` was added). */
  #wrote(t: Timeline, was: number, id: number): void {
    const n = this.#named;
    if (n === undefined) return;
    if (n.timelines.has(t)) this.#writtenTimelines.set(t, id);
    if (!n.firsts.has(t.firstSeen)) return;
    const key = keyOf(t);
    if (n.keys.has(key) || (was !== t.dup && n.keys.has(messageKey(t.host, t.firstSeen, t.msg, was)))) this.#written.set(key, id);
  }

  /** A message row with these id parts waits in the buffer (not yet where #dupTaken looks). */
  #buffered(host: string, first: number, msg: number | bigint, dup: number): boolean {
    const b = this.#newMessages;
    const v = b.values;
    for (let i = 0; i < b.at; i += b.width) if (v[i + 3] === first && v[i + 2] === msg && v[i + 1] === host && v[i + 4] === dup) return true;
    return false;
  }

  #newDelivery(id: number, t: Timeline, i: number): void {
    deliveryValues(this.#newDeliveries, id, t, i, this);
    this.#newDeliveries.row();
  }

  #flush(): void {
    this.#newMessages.flush();
    this.#newDeliveries.flush();
    this.#nextId = undefined; // others may add rows between outputs (a seam's stitch)
  }

  /** The row id of a link's message: by its timeline where the link holds it and the writer knows it, else by key. */
  #linked(t: Timeline | undefined, key: string, renamed: Map<string, string> | undefined): number | undefined {
    if (t !== undefined) {
      const id = this.#writtenTimelines.get(t) ?? this.#stored.get(t)?.id ?? this.#ended.get(t);
      if (id !== undefined) return id;
    }
    return this.#messageId(renamed?.get(key) ?? key);
  }

  /** The row id of the message with this public id (written by this output, or stored). */
  #messageId(key: string): number | undefined {
    const id = this.#written.get(key);
    if (id !== undefined) return id;
    const k = parseKey(key);
    return k === undefined ? undefined : (this.#idByKey.get(k.first, idToSql(k.msg), k.host, k.dup) as number | undefined);
  }

  /**
   * Each part in a method of its own: V8 compiled one long `output` while in its timelines loop
   * (on-stack replacement), and the code after that loop, without type feedback then, threw the
   * compiled code away at each commit (12 compilations of ~20 ms in the ×10 bench).
   */
  output(o: Output): void {
    this.#named = o.links.length === 0 ? undefined : namedBy(o.links);
    const renamed = this.#timelines(o.timelines);
    this.#flush();
    this.#links(o.links, renamed);
    this.#written = new Map();
    if (this.#writtenTimelines.size > 0) this.#writtenTimelines = new Map();
    this.#named = undefined;
    this.#rest(o);
  }

  /** Writes the timelines; returns the keys a `#n` changed (old → new), if any. */
  #timelines(ts: readonly Timeline[]): Map<string, string> | undefined {
    let renamed: Map<string, string> | undefined;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      const old = this.#timeline(t);
      if (old !== undefined) (renamed ??= new Map()).set(old, keyOf(t));
    }
    return renamed;
  }

  #links(links: Output['links'], renamed: Map<string, string> | undefined): void {
    for (const l of links) {
      // both sides are stored by now (a link is made when the correlator holds both); no closure
      // per output here: V8 optimized each new one afresh (23 compilations in the ×10 bench)
      const from = this.#linked(l.fromTimeline, l.from, renamed), to = this.#linked(l.toTimeline, l.to, renamed);
      if (from !== undefined && to !== undefined) this.#insLink.run(l.kind, from, to, l.qp);
    }
  }

  #rest(o: Output): void {
    for (const r of o.orphans) {
      this.#insOrphan.run(r.host, r.run, r.did, r.at, r.result, r.reason, r.smtpCode, r.dsn, r.remoteIp, b(r.tooLong), r.forwardQp);
    }
    for (const n of o.notices) this.#insNotice.run(n.host, n.at, n.level, n.text);
    for (const s of o.statuses) {
      this.#insStatus.run(s.host, s.at, s.local, s.localMax, s.remote, s.remoteMax, b(s.exitasap));
    }
  }

  session(s: Session): void {
    const id = this.#upsertSession.get(sessionKey(s), s.host, s.stream, s.pid, s.start, s.end, b(s.open), s.client.ip,
      s.client.port, s.client.host, s.local.ip, s.local.port, s.tcp, s.exit?.code ?? null, s.rbl?.code ?? null,
      s.rbl?.text ?? null, s.helo?.arg ?? null, s.auth?.user ?? null, b(s.tls), b(s.dialogue),
      s.queued === null ? null : b(s.queued), s.verdict, JSON.stringify(s)) as number;
    this.#delSessionRcpts.run(id);
    let seq = 0;
    for (const t of s.transactions) {
      for (const r of t.rcpts) {
        this.#insSessionRcpt.run(id, seq++, r.time, t.mailFrom, r.addr, r.accepted === null ? null : b(r.accepted), r.code, r.reason);
      }
    }
  }

  /** Replaces the links of these sessions with the ones given. */
  sessionLinks(sessionKeys: Iterable<string>, links: readonly SessionLink[]): void {
    const ids = new Map<string, number | undefined>();
    const sid = (k: string): number | undefined => {
      if (!ids.has(k)) ids.set(k, this.#sessionId.get(k) as number | undefined);
      return ids.get(k);
    };
    for (const k of sessionKeys) {
      const id = sid(k);
      if (id !== undefined) this.#delSessionLinks.run(id);
    }
    for (const l of links) {
      const s = sid(`${l.host}:${l.stream ?? ''}:${l.pid}:${l.start}`);
      const m = this.#messageId(l.messageId);
      if (s !== undefined && m !== undefined) this.#insSessionLink.run(s, m, l.dataIndex, l.qp, l.link);
    }
  }

  /** A line that is not UTF-8 is kept as its bytes (a BLOB): as text its odd bytes would take four each. */
  unknown(u: UnknownLine): void {
    this.#insUnknown.run(u.source, u.lineNo, u.at, RX_RAW_BYTE.test(u.raw) ? toBytes(u.raw) : u.raw, u.length);
  }

  notice(n: { readonly host: string; readonly at: number; readonly level: string; readonly text: string }): void {
    this.#insNotice.run(n.host, n.at, n.level, n.text);
  }

  putState(name: string, value: unknown): void {
    this.#putState.run(name, JSON.stringify(value));
  }

  getState<T>(name: string): T | undefined {
    const j = this.#getState.get(name) as string | undefined;
    return j === undefined ? undefined : (JSON.parse(j) as T);
  }

  putPosition(p: FilePosition): void {
    this.#putPos.run(p.fingerprint, p.path, p.stream, p.dev, p.ino, p.offset, p.lines, p.lastUs, p.size, b(p.complete), p.segment,
      new Date().toISOString());
  }

  /** What was read of the file with this fingerprint, or undefined. */
  position(fingerprint: string): FilePosition | undefined {
    const r = this.#getPos.get(fingerprint) as { fingerprint: string; path: string; stream: string; dev: number | null; ino: number | null;
      offset: number; lines: number; last_us: number | null; size: number | null; complete: number; segment: number } | undefined;
    if (r === undefined) return undefined;
    return { fingerprint: r.fingerprint, path: r.path, stream: r.stream, dev: r.dev ?? 0, ino: r.ino ?? 0, offset: r.offset,
      lines: r.lines, lastUs: r.last_us, size: r.size, complete: r.complete === 1, segment: r.segment };
  }
}

export function sessionKey(s: { readonly host: string; readonly stream: string; readonly pid: number; readonly start: number }): string {
  return `${s.host}:${s.stream}:${s.pid}:${s.start}`;
}
