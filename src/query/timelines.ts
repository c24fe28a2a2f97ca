// Reading timelines back out of the store, in the public view shape.

import { isoFromMicros } from '../../parsers/timestamp.js';
import { idForJson, type MsgId } from '../../parsers/ids.js';
import type { Db } from '../store/db.js';
import { idToSql } from '../store/ids.js';
import { attachDeliveries, keySql, MESSAGE_SELECT, type MessageRow, OUTCOME, parseKey, timelineOf } from '../store/rows.js';
import { keyOf, type Timeline } from '../correlate/timeline.js';
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

interface LinkRow { kind: 'bounce' | 'forward'; from_id: number; to_id: number; from_key: string; to_key: string; qp: number }

const iso = (us: number | null): string | null => (us === null ? null : isoFromMicros(us));
const CHUNK = 500;

function where(f: MessageFilter): { sql: string; args: unknown[] } {
  const c: string[] = [];
  const args: unknown[] = [];
  if (f.msg !== undefined) { c.push('m.msg = ?'); args.push(idToSql(f.msg)); }
  if (f.qp !== undefined) { c.push('m.qp = ?'); args.push(f.qp); }
  if (f.host !== undefined) { c.push('m.host = ?'); args.push(f.host); }
  // the messages_last index: a message's end, else its first line
  if (f.since !== undefined) { c.push('m.first_us + coalesce(m.ended_d, 0) >= ?'); args.push(f.since); }
  if (f.until !== undefined) { c.push('m.first_us < ?'); args.push(f.until); }
  if (f.from !== undefined) {
    c.push("m.sender_id IN (SELECT a.id FROM addresses a WHERE a.address LIKE '%' || ? || '%' ESCAPE '\\')");
    args.push(likeEscape(f.from));
  }
  if (f.to !== undefined) {
    // the recipient's few rows by deliveries_recipient, then their messages (not every message tested)
    const m = addressMatcher(f.to).sql('a.address');
    const oc = f.outcome === undefined ? '' : ' AND r.outcome = ?';
    c.push(`m.id IN (SELECT r.message_id FROM deliveries r WHERE r.last = 1 AND r.recipient_id IN
      (SELECT a.id FROM addresses a WHERE ${m.sql})${oc})`);
    args.push(...m.args);
    if (f.outcome !== undefined) args.push(OUTCOME[f.outcome as keyof typeof OUTCOME] ?? -1);
  } else if (f.outcome !== undefined) {
    c.push('EXISTS (SELECT 1 FROM deliveries r WHERE r.message_id = m.id AND r.last = 1 AND r.outcome = ?)');
    args.push(OUTCOME[f.outcome as keyof typeof OUTCOME] ?? -1);
  }
  if (f.bounces === true) {
    c.push(`(m.sender_id IN (SELECT a.id FROM addresses a WHERE a.address IN ('', '#@[]'))
      OR EXISTS (SELECT 1 FROM links l WHERE l.kind = 'bounce' AND l.to_id = m.id))`);
  }
  if (f.unattempted === true) {
    c.push('m.ended_d IS NULL AND m.lost = 0 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)');
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

/** The timeline stored under this key (`host:first-µs:msg[#n]`, as printed), if any. */
export function timelineByKey(db: Db, key: string): TimelineView | undefined {
  const k = parseKey(key);
  if (k === undefined) return undefined;
  const row = db.prepare(`${MESSAGE_SELECT} WHERE m.first_us = ? AND m.msg = ? AND m.host = ? AND m.dup = ?`)
    .get(k.first, idToSql(k.msg), k.host, k.dup) as MessageRow | undefined;
  return row === undefined ? undefined : assemble(db, [row])[0];
}

/** Timelines matching the filter, assembled a chunk at a time (memory stays flat on big stores). */
export function* findTimelines(db: Db, f: MessageFilter): Generator<TimelineView> {
  const w = where(f);
  const order = f.newestFirst === true ? 'DESC' : 'ASC';
  const limit = f.limit === undefined || f.limit === 0 ? '' : ` LIMIT ${Math.max(0, Math.floor(f.limit))}`;
  // --since and --to find few messages (by messages_last, deliveries_recipient), then sort them
  // (`+`: walking messages_first in order instead would read the whole store)
  const by = f.since === undefined && f.to === undefined ? 'm.first_us' : '+m.first_us';
  const stmt = db.prepare(`${MESSAGE_SELECT} ${w.sql} ORDER BY ${by} ${order}, m.id ${order}${limit}`);
  let chunk: MessageRow[] = [];
  for (const row of stmt.iterate(...w.args) as IterableIterator<MessageRow>) {
    chunk.push(row);
    if (chunk.length >= CHUNK) { yield* assemble(db, chunk); chunk = []; }
  }
  if (chunk.length > 0) yield* assemble(db, chunk);
}

function assemble(db: Db, rows: MessageRow[]): TimelineView[] {
  const byId = new Map<number, Timeline>();
  for (const r of rows) byId.set(r.id, timelineOf(r));
  attachDeliveries(db, byId);
  const ids = [...byId.keys()];
  const idList = ids.map(() => '?').join(',');
  const links = db.prepare(`SELECT l.kind, l.from_id, l.to_id, l.qp, ${keySql('f')} AS from_key, ${keySql('t')} AS to_key
    FROM links l JOIN messages f ON f.id = l.from_id JOIN messages t ON t.id = l.to_id
    WHERE l.from_id IN (${idList}) OR l.to_id IN (${idList})`).all(...ids, ...ids) as LinkRow[];
  const sessions = sessionsOfMessages(db, ids);
  return [...byId].map(([id, t]) => {
    let bounce: LinkView | null = t.bounceQp === null ? null : { qp: t.bounceQp, id: null };
    let bounceOf: string | null = null;
    let forwardOf: string | null = null;
    const forwards: LinkView[] = [];
    for (const l of links) {
      if (l.from_id === id) {
        if (l.kind === 'bounce') bounce = { qp: l.qp, id: l.to_key };
        else forwards.push({ qp: l.qp, id: l.to_key });
      }
      if (l.to_id === id) {
        if (l.kind === 'bounce') bounceOf = l.from_key;
        else forwardOf = l.from_key;
      }
    }
    // Forwards whose copy never showed up still show their qp.
    for (const d of t.deliveries) if (d.forwardQp !== null && !forwards.some((f) => f.qp === d.forwardQp)) forwards.push({ qp: d.forwardQp, id: null });
    return {
      id: keyOf(t), host: t.host, msg: idForJson(t.msg), first_seen: isoFromMicros(t.firstSeen), queued: iso(t.queued),
      ended: iso(t.ended),
      queue_seconds: t.queued !== null && t.ended !== null ? (t.ended - t.queued) / 1e6 : null,
      partial: t.partial, lost: t.lost, bytes: t.bytes, from: t.from, qp: t.qp, uid: t.uid,
      deliveries: t.deliveries.map((d): DeliveryView => ({
        delivery: d.did, run: d.run, channel: d.channel, to: d.to, started: iso(d.started), finished: iso(d.finished),
        result: d.result, reason: d.reason, smtp_code: d.smtpCode, dsn: d.dsn, remote_ip: d.remoteIp, too_long: d.tooLong,
      })),
      recipients: t.recipients.map((r): RecipientView => ({ to: r.to, channel: r.channel, outcome: r.outcome, attempts: r.attempts })),
      bounce, bounce_of: bounceOf, triple_bounce: t.tripleBounce,
      forwards, forward_of: forwardOf, session: sessions.get(id) ?? null,
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
