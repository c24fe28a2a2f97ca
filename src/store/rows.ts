// The one mapping between the store's message and delivery rows and a Timeline (migration 005):
// public ids made from (host, first_us, msg, dup), times as µs after the message's first line,
// channel/result/outcome as small integers, addresses and reports by id. The writer, the
// ingest's read-back (open.ts, stitch.ts) and the queries all go through here.

import { messageKey, recipientsOf, type Channel, type Delivery, type DeliveryResult, type Outcome, type Recipient, type Timeline } from '../correlate/timeline.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { idFromSql } from './ids.js';
import type { RowSink } from './row-buffer.js';

export const CHANNELS: readonly Channel[] = ['local', 'remote'];
export const RESULTS: readonly DeliveryResult[] = ['success', 'failure', 'deferral', 'interrupted'];
export const OUTCOMES: readonly Outcome[] = ['delivered', 'failed', 'deferred', 'pending'];
export const CHANNEL = { local: 0, remote: 1 } as const satisfies Record<Channel, number>;
export const RESULT = { success: 0, failure: 1, deferral: 2, interrupted: 3 } as const satisfies Record<DeliveryResult, number>;
export const OUTCOME = { delivered: 0, failed: 1, deferred: 2, pending: 3 } as const satisfies Record<Outcome, number>;

const sqlCase = (col: string, names: readonly string[]): string =>
  `CASE ${col} ${names.map((n, i) => `WHEN ${i} THEN '${n}'`).join(' ')} END`;
/** SQL: the names of a delivery row's integer columns (alias `d`). */
export const channelSql = (d: string): string => `CASE ${d}.channel WHEN 0 THEN 'local' ELSE 'remote' END`;
export const resultSql = (d: string): string => sqlCase(`${d}.result`, RESULTS);
export const outcomeSql = (d: string): string => sqlCase(`${d}.outcome`, OUTCOMES);
/** SQL: a message row's public id, host:first-µs:msg[#n] (msg unsigned: ids beyond 2^63 are stored two's complement). */
export const keySql = (m: string): string =>
  `${m}.host || ':' || ${m}.first_us || ':' || printf('%u', ${m}.msg) || CASE WHEN ${m}.dup > 0 THEN '#' || ${m}.dup ELSE '' END`;

export { parseKey, type KeyParts } from '../correlate/timeline.js';

/** Message rows with their id exact (as text: a double would round ids beyond 2^53). Alias m. */
export const MESSAGE_SELECT = `SELECT m.id, m.host, CAST(m.msg AS TEXT) AS msg_text, m.first_us, m.dup, m.queued_d, m.info_d,
  m.ended_d, m.partial, m.lost, m.bytes, ms.address AS sender, m.qp, m.uid, m.bounce_qp, m.triple_bounce
  FROM messages m LEFT JOIN addresses ms ON ms.id = m.sender_id`;
const DELIVERY_SELECT = `SELECT d.message_id, d.run, d.did, d.channel, da.address AS recipient, d.started_d, d.finished_d,
  d.result, dt.text AS reason, d.smtp_code, d.dsn, d.remote_ip, d.too_long, d.forward_qp, d.rcpt, d.last, d.outcome, d.attempts
  FROM deliveries d JOIN addresses da ON da.id = d.recipient_id LEFT JOIN texts dt ON dt.id = d.reason_id`;

export interface MessageRow {
  id: number; host: string; msg_text: string; first_us: number; dup: number; queued_d: number | null; info_d: number | null;
  ended_d: number | null; partial: number; lost: number; bytes: number | null; sender: string | null; qp: number | null;
  uid: number | null; bounce_qp: number | null; triple_bounce: number;
}
interface DeliveryRow {
  message_id: number; run: number; did: number; channel: number; recipient: string; started_d: number | null;
  finished_d: number | null; result: number | null; reason: string | null; smtp_code: number | null; dsn: string | null;
  remote_ip: string | null; too_long: number; forward_qp: number | null; rcpt: number; last: number; outcome: number | null;
  attempts: number | null;
}

const plus = (first: number, d: number | null): number | null => (d === null ? null : first + d);
const minus = (at: number | null, first: number): number | null => (at === null ? null : at - first);
const b = (v: boolean): number => (v ? 1 : 0);

export function timelineOf(m: MessageRow): Timeline {
  const f = m.first_us;
  return {
    dup: m.dup, host: m.host, msg: idFromSql(m.msg_text), firstSeen: f,
    queued: plus(f, m.queued_d), info: plus(f, m.info_d), ended: plus(f, m.ended_d), partial: m.partial === 1, lost: m.lost === 1,
    bytes: m.bytes, from: m.sender, qp: m.qp, uid: m.uid, bounceQp: m.bounce_qp, tripleBounce: m.triple_bounce === 1,
    deliveries: [], recipients: [],
  };
}

/** Loads the attempts of these timelines (by row id), in order, and their recipients as stored. */
export function attachDeliveries(db: Db, byId: ReadonlyMap<number, Timeline>, inSql?: { sql: string; args: readonly unknown[] }): void {
  if (byId.size === 0) return;
  const ids = [...byId.keys()];
  const where = inSql ?? { sql: ids.map(() => '?').join(','), args: ids };
  const rows = db.prepare(`${DELIVERY_SELECT} WHERE d.message_id IN (${where.sql}) ORDER BY d.message_id, d.seq`)
    .all(...where.args) as DeliveryRow[];
  const recipients = new Map<Timeline, Recipient[]>();
  for (const d of rows) {
    const t = byId.get(d.message_id);
    if (t === undefined) continue;
    const f = t.firstSeen;
    const i = t.deliveries.length;
    const channel = CHANNELS[d.channel]!;
    t.deliveries.push({
      run: d.run, did: d.did, channel, to: d.recipient, started: plus(f, d.started_d), finished: plus(f, d.finished_d),
      result: d.result === null ? null : RESULTS[d.result]!, reason: d.reason, smtpCode: d.smtp_code, dsn: d.dsn,
      remoteIp: d.remote_ip, tooLong: d.too_long === 1, forwardQp: d.forward_qp, rcpt: d.rcpt,
    });
    if (d.last === 1) {
      let rs = recipients.get(t);
      if (rs === undefined) recipients.set(t, (rs = []));
      rs[d.rcpt] = { to: d.recipient, channel, outcome: OUTCOMES[d.outcome ?? OUTCOME.pending]!, attempts: d.attempts ?? 1, last: i };
    }
  }
  for (const t of byId.values()) {
    const rs = recipients.get(t) ?? [];
    let whole = true;
    for (let i = 0; i < rs.length; i++) if (rs[i] === undefined) whole = false;
    // rows written by an older qtrace without a recipient's latest mark: recomputed as the correlator would
    t.recipients = whole && rs.length === new Set(t.deliveries.map((d) => d.rcpt)).size ? rs : recipientsOf(t.deliveries);
  }
}

/** Timelines whose message row matches `where` (alias m), with their row ids. */
export function loadTimelines(db: Db, where: string, args: readonly unknown[]): Array<[Timeline, number]> {
  const rows = db.prepare(`${MESSAGE_SELECT} WHERE ${where}`).all(...args) as MessageRow[];
  if (rows.length === 0) return [];
  const byId = new Map<number, Timeline>();
  for (const m of rows) byId.set(m.id, timelineOf(m));
  attachDeliveries(db, byId, rows.length > 200 ? { sql: `SELECT m.id FROM messages m WHERE ${where}`, args } : undefined);
  return [...byId.entries()].map(([id, t]) => [t, id]);
}

/** Interned ids of the texts a row names (the writer's). */
export interface Interner {
  address(s: string): number;
  text(s: string): number;
}

/** messages columns after id, in the writer's order. */
export const MESSAGE_COLUMNS = 'host, msg, first_us, dup, queued_d, info_d, ended_d, partial, lost, bytes, sender_id, qp, uid, bounce_qp, triple_bounce, segment';

/** Writes a new message row's values into a sink: its id, then MESSAGE_COLUMNS. */
export function messageValues(out: RowSink, id: number, t: Timeline, dup: number, msg: number | bigint, segment: number, ix: Interner): void {
  const f = t.firstSeen;
  const v = out.values;
  let i = out.at;
  v[i++] = id; v[i++] = t.host; v[i++] = msg; v[i++] = f; v[i++] = dup;
  v[i++] = minus(t.queued, f); v[i++] = minus(t.info, f); v[i++] = minus(t.ended, f); v[i++] = b(t.partial); v[i++] = b(t.lost);
  v[i++] = t.bytes; v[i++] = t.from === null ? null : ix.address(t.from); v[i++] = t.qp; v[i++] = t.uid; v[i++] = t.bounceQp;
  v[i++] = b(t.tripleBounce); v[i++] = segment;
  out.at = i;
}

/**
 * The UPDATE of a stored message row's changing columns, by row id; first_us only when it moved
 * (a seam's join): SQLite rewrites the entries of every index on a column the SET names.
 */
const UPDATE_SET = `queued_d = ?, info_d = ?, ended_d = ?, partial = ?, lost = ?, bytes = ?, sender_id = ?, qp = ?, uid = ?,
  bounce_qp = ?, triple_bounce = ?, segment = ?`;
export const UPDATE_MESSAGE = `UPDATE messages SET ${UPDATE_SET} WHERE id = ?`;
export const UPDATE_MESSAGE_MOVED = `UPDATE messages SET ${UPDATE_SET}, first_us = ? WHERE id = ?`;

/** `stmt` is UPDATE_MESSAGE, or UPDATE_MESSAGE_MOVED when the message's first_us moved. */
export function updateMessage(stmt: Statement, id: number, t: Timeline, segment: number, ix: Interner, moved: boolean): void {
  const f = t.firstSeen;
  const from = t.from === null ? null : ix.address(t.from);
  if (moved) {
    stmt.run(minus(t.queued, f), minus(t.info, f), minus(t.ended, f), b(t.partial), b(t.lost), t.bytes, from, t.qp, t.uid,
      t.bounceQp, b(t.tripleBounce), segment, f, id);
  } else {
    stmt.run(minus(t.queued, f), minus(t.info, f), minus(t.ended, f), b(t.partial), b(t.lost), t.bytes, from, t.qp, t.uid,
      t.bounceQp, b(t.tripleBounce), segment, id);
  }
}

// What was written of a row, as a 53-bit hash of its fields (two 32-bit FNV-1a lanes): the writer
// keeps one number per row instead of the row, and rewrites a row when its hash moves.
class Hash {
  a = 0x811c9dc5;
  b = 0x01000193;
  num(v: number | null): this {
    const x = v === null ? 0x7fffffff : v;
    const lo = x | 0, hi = (x / 4294967296) | 0;
    this.a = Math.imul(this.a ^ lo, 0x01000193); this.a = Math.imul(this.a ^ hi, 0x01000193);
    this.b = Math.imul(this.b ^ lo, 0x5bd1e995); this.b = Math.imul(this.b ^ hi ^ (this.b >>> 13), 0x5bd1e995);
    return this;
  }
  str(v: string | null): this {
    if (v === null) return this.num(null).num(-1);
    this.num(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      this.a = Math.imul(this.a ^ c, 0x01000193);
      this.b = Math.imul(this.b ^ c ^ (this.b >>> 15), 0x5bd1e995);
    }
    return this;
  }
  get value(): number {
    return (this.a >>> 0) * 2097152 + (this.b >>> 11);
  }
}

/** What of a message row can change, as a hash (the writer compares it to what it wrote). */
export function messageSig(t: Timeline, segment: number): number {
  return new Hash().num(t.queued).num(t.info).num(t.ended).num(b(t.partial) + 2 * b(t.lost) + 4 * b(t.tripleBounce))
    .num(t.bytes).str(t.from).num(t.qp).num(t.uid).num(t.bounceQp).num(segment).value;
}

/** deliveries columns, in the writer's order. */
export const DELIVERY_COLUMNS = `message_id, seq, run, did, channel, recipient_id, started_d, finished_d, result, reason_id, smtp_code,
  dsn, remote_ip, too_long, forward_qp, rcpt, last, outcome, attempts`;

/** Writes the values of attempt i of t into a sink, in DELIVERY_COLUMNS' order. */
export function deliveryValues(out: RowSink, id: number, t: Timeline, i: number, ix: Interner): void {
  const d = t.deliveries[i]!;
  const r = t.recipients[d.rcpt];
  const last = r !== undefined && r.last === i;
  const f = t.firstSeen;
  const v = out.values;
  let k = out.at;
  v[k++] = id; v[k++] = i; v[k++] = d.run; v[k++] = d.did; v[k++] = CHANNEL[d.channel]; v[k++] = ix.address(d.to);
  v[k++] = minus(d.started, f); v[k++] = minus(d.finished, f); v[k++] = d.result === null ? null : RESULT[d.result];
  v[k++] = d.reason === null ? null : ix.text(d.reason); v[k++] = d.smtpCode; v[k++] = d.dsn; v[k++] = d.remoteIp;
  v[k++] = b(d.tooLong); v[k++] = d.forwardQp; v[k++] = d.rcpt; v[k++] = b(last); v[k++] = last ? OUTCOME[r.outcome] : null;
  v[k++] = last ? r.attempts : null;
  out.at = k;
}

/** Everything of an attempt's row, as a hash: equal hashes, equal rows. */
export function deliverySig(t: Timeline, i: number): number {
  const d: Delivery = t.deliveries[i]!;
  const r = t.recipients[d.rcpt];
  const last = r !== undefined && r.last === i;
  return new Hash().num(d.run).num(d.did).num(CHANNEL[d.channel]).str(d.to).num(d.started).num(d.finished)
    .num(d.result === null ? null : RESULT[d.result]).num(d.smtpCode).str(d.dsn).str(d.remoteIp).num(b(d.tooLong)).num(d.forwardQp)
    .num(d.rcpt).num(last ? OUTCOME[r.outcome] : -1).num(last ? r.attempts : -1).str(d.reason).value;
}
