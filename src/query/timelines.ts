// Reading timelines back out of the store, in the public view shape.

import { isoFromMicros } from '../../parsers/timestamp.js';
import type { MsgId } from '../../parsers/ids.js';
import type { Db } from '../store/db.js';
import { idForView, idFromSql, idToSql } from '../store/ids.js';
import { addressMatcher } from './address.js';
import { sessionsOfMessages } from './sessions.js';
import type { DeliveryView, LinkView, RecipientView, TimelineView } from './view.js';

export interface MessageFilter {
  readonly msg?: MsgId | undefined;
  readonly qp?: number | undefined;
  readonly host?: string | undefined;
  readonly since?: number | undefined;   // µs
  readonly until?: number | undefined;   // µs
  readonly to?: string | undefined;      // a recipient matches (query/address.ts)
  readonly from?: string | undefined;    // sender contains (case-insensitive)
  readonly outcome?: string | undefined; // some recipient has this outcome (with --to: the same one)
  readonly bounces?: boolean | undefined;      // only bounce messages (null or #@[] sender, or linked as one)
  readonly unattempted?: boolean | undefined;  // only messages still queued with no delivery attempt
  readonly newestFirst?: boolean | undefined;
  readonly limit?: number | undefined;
}

interface MsgRow {
  id: number; key: string; host: string; msg_text: string; first_us: number; queued_us: number | null;
  ended_us: number | null; partial: number; lost: number; bytes: number | null; sender: string | null;
  qp: number | null; uid: number | null; bounce_qp: number | null; triple_bounce: number;
}
interface DelRow {
  message_id: number; run: number; did: number; channel: 'local' | 'remote'; recipient: string;
  started_us: number | null; finished_us: number | null; result: DeliveryView['result']; reason: string | null;
  smtp_code: number | null; dsn: string | null; remote_ip: string | null; too_long: number; forward_qp: number | null;
}
interface RcptRow { message_id: number; recipient: string; channel: 'local' | 'remote'; outcome: RecipientView['outcome']; attempts: number }
interface LinkRow { kind: 'bounce' | 'forward'; from_key: string; to_key: string; qp: number }

/** A message row with its id exact (as text: a double would round ids beyond 2^53). */
const MSG_COLUMNS = 'm.*, CAST(m.msg AS TEXT) AS msg_text';
const iso = (us: number | null): string | null => (us === null ? null : isoFromMicros(us));
const CHUNK = 500;

function where(f: MessageFilter): { sql: string; args: unknown[] } {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.msg !== undefined) { c.push('m.msg = ?'); args.push(idToSql(f.msg)); }
  if (f.qp !== undefined) { c.push('m.qp = ?'); args.push(f.qp); }
  if (f.host !== undefined) { c.push('m.host = ?'); args.push(f.host); }
  if (f.since !== undefined) { c.push('COALESCE(m.ended_us, m.first_us) >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('m.first_us < ?'); args.push(f.until); }
  if (f.from !== undefined) { c.push("m.sender LIKE '%' || ? || '%' ESCAPE '\\'"); args.push(likeEscape(f.from)); }
  if (f.to !== undefined || f.outcome !== undefined) {
    const rc: string[] = ['r.message_id = m.id'];
    if (f.to !== undefined) { const m = addressMatcher(f.to).sql('r.recipient'); rc.push(m.sql); args.push(...m.args); }
    if (f.outcome !== undefined) { rc.push('r.outcome = ?'); args.push(f.outcome); }
    c.push(`EXISTS (SELECT 1 FROM recipients r WHERE ${rc.join(' AND ')})`);
  }
  if (f.bounces === true) {
    c.push("(m.sender IN ('', '#@[]') OR EXISTS (SELECT 1 FROM links l WHERE l.kind = 'bounce' AND l.to_key = m.key))");
  }
  if (f.unattempted === true) {
    c.push('m.ended_us IS NULL AND m.lost = 0 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)');
  }
  return { sql: c.length === 0 ? '' : 'WHERE ' + c.join(' AND '), args };
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => '\\' + ch);
}

/** How many timelines match (for "N more" under a limited list). */
export function countTimelines(db: Db, f: MessageFilter): number {
  const w = where(f);
  return db.prepare(`SELECT count(*) FROM messages m ${w.sql}`).pluck().get(...w.args) as number;
}

/** The timeline stored under this key (`host:first-µs:msg`, as printed), if any. */
export function timelineByKey(db: Db, key: string): TimelineView | undefined {
  const row = db.prepare(`SELECT ${MSG_COLUMNS} FROM messages m WHERE m.key = ?`).get(key) as MsgRow | undefined;
  return row === undefined ? undefined : assemble(db, [row])[0];
}

/** Timelines matching the filter, assembled a chunk at a time (memory stays flat on big stores). */
export function* findTimelines(db: Db, f: MessageFilter): Generator<TimelineView> {
  const w = where(f);
  const order = f.newestFirst === true ? 'DESC' : 'ASC';
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.max(0, Math.floor(f.limit))}`;
  const stmt = db.prepare(`SELECT ${MSG_COLUMNS} FROM messages m ${w.sql} ORDER BY m.first_us ${order}, m.id ${order}${limit}`);
  let chunk: MsgRow[] = [];
  for (const row of stmt.iterate(...w.args) as IterableIterator<MsgRow>) {
    chunk.push(row);
    if (chunk.length >= CHUNK) { yield* assemble(db, chunk); chunk = []; }
  }
  if (chunk.length > 0) yield* assemble(db, chunk);
}

function assemble(db: Db, rows: MsgRow[]): TimelineView[] {
  const ids = rows.map((r) => r.id);
  const keys = rows.map((r) => r.key);
  const idList = ids.map(() => '?').join(',');
  const keyList = keys.map(() => '?').join(',');
  const dels = db.prepare(`SELECT * FROM deliveries WHERE message_id IN (${idList}) ORDER BY message_id, seq`).all(...ids) as DelRow[];
  const rcpts = db.prepare(`SELECT * FROM recipients WHERE message_id IN (${idList}) ORDER BY message_id, seq`).all(...ids) as RcptRow[];
  const links = db.prepare(`SELECT * FROM links WHERE from_key IN (${keyList}) OR to_key IN (${keyList})`).all(...keys, ...keys) as LinkRow[];
  const byId = new Map<number, { d: DeliveryView[]; r: RecipientView[]; fwd: number[] }>();
  for (const id of ids) byId.set(id, { d: [], r: [], fwd: [] });
  for (const d of dels) {
    if (d.forward_qp !== null) byId.get(d.message_id)!.fwd.push(d.forward_qp);
    byId.get(d.message_id)!.d.push({
      delivery: d.did, run: d.run, channel: d.channel, to: d.recipient, started: iso(d.started_us),
      finished: iso(d.finished_us), result: d.result, reason: d.reason, smtp_code: d.smtp_code, dsn: d.dsn,
      remote_ip: d.remote_ip, too_long: d.too_long === 1,
    });
  }
  for (const r of rcpts) {
    byId.get(r.message_id)!.r.push({ to: r.recipient, channel: r.channel, outcome: r.outcome, attempts: r.attempts });
  }
  const sessions = sessionsOfMessages(db, keys);
  return rows.map((m) => {
    const parts = byId.get(m.id)!;
    let bounce: LinkView | null = m.bounce_qp === null ? null : { qp: m.bounce_qp, id: null };
    let bounceOf: string | null = null;
    let forwardOf: string | null = null;
    const forwards: LinkView[] = [];
    for (const l of links) {
      if (l.from_key === m.key) {
        if (l.kind === 'bounce') bounce = { qp: l.qp, id: l.to_key };
        else forwards.push({ qp: l.qp, id: l.to_key });
      }
      if (l.to_key === m.key) {
        if (l.kind === 'bounce') bounceOf = l.from_key;
        else forwardOf = l.from_key;
      }
    }
    // Forwards whose copy never showed up still show their qp.
    for (const q of parts.fwd) if (!forwards.some((f) => f.qp === q)) forwards.push({ qp: q, id: null });
    return {
      id: m.key, host: m.host, msg: idForView(idFromSql(m.msg_text)), first_seen: isoFromMicros(m.first_us), queued: iso(m.queued_us),
      ended: iso(m.ended_us),
      queue_seconds: m.queued_us !== null && m.ended_us !== null ? (m.ended_us - m.queued_us) / 1e6 : null,
      partial: m.partial === 1, lost: m.lost === 1, bytes: m.bytes, from: m.sender, qp: m.qp, uid: m.uid,
      deliveries: parts.d, recipients: parts.r, bounce, bounce_of: bounceOf, triple_bounce: m.triple_bounce === 1,
      forwards, forward_of: forwardOf, session: sessions.get(m.key) ?? null,
    };
  });
}

/** What `--at` chose, and why, so the CLI can say so when it was not the only candidate. */
export interface AtPick<T> {
  readonly chosen: T | undefined;
  readonly alive: readonly T[];           // every one alive at T (newest first, as given)
  readonly how: 'alive' | 'nearest' | 'none';
}

/**
 * `show … --at T`: of several lives of one id (messages, or sessions of one pid), the one alive
 * at T (the first given, i.e. the newest, when several were), else the one that began nearest to it.
 */
export function pickAt<T>(all: readonly T[], atUs: number, span: (x: T) => readonly [string, string | null]): AtPick<T> {
  let best: T | undefined;
  let bestDist = Infinity;
  const alive: T[] = [];
  for (const x of all) {
    const [from, to] = span(x);
    const start = Date.parse(from) * 1000 + Number(from.slice(23, 26) || 0);
    const end = to === null ? Infinity : Date.parse(to) * 1000 + 1000;
    if (start <= atUs && atUs <= end) alive.push(x);
    const dist = Math.abs(start - atUs);
    if (dist < bestDist) { bestDist = dist; best = x; }
  }
  if (alive.length > 0) return { chosen: alive[0], alive, how: 'alive' };
  return { chosen: best, alive, how: best === undefined ? 'none' : 'nearest' };
}
