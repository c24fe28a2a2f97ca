// Reading timelines back out of the store, in the public view shape.

import { isoFromMicros } from '../../parsers/timestamp.js';
import type { MsgId } from '../../parsers/ids.js';
import type { Db } from '../store/db.js';
import { idForView, idFromSql, idToSql } from '../store/ids.js';
import { sessionsOfMessages } from './sessions.js';
import type { DeliveryView, LinkView, RecipientView, TimelineView } from './view.js';

export interface MessageFilter {
  readonly msg?: MsgId | undefined;
  readonly qp?: number | undefined;
  readonly host?: string | undefined;
  readonly since?: number | undefined;   // µs
  readonly until?: number | undefined;   // µs
  readonly to?: string | undefined;      // recipient contains (case-insensitive)
  readonly from?: string | undefined;    // sender contains (case-insensitive)
  readonly outcome?: string | undefined; // some recipient has this outcome
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
    if (f.to !== undefined) { rc.push("r.recipient LIKE '%' || ? || '%' ESCAPE '\\'"); args.push(likeEscape(f.to)); }
    if (f.outcome !== undefined) { rc.push('r.outcome = ?'); args.push(f.outcome); }
    c.push(`EXISTS (SELECT 1 FROM recipients r WHERE ${rc.join(' AND ')})`);
  }
  return { sql: c.length === 0 ? '' : 'WHERE ' + c.join(' AND '), args };
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => '\\' + ch);
}

/** Timelines matching the filter, assembled a chunk at a time (memory stays flat on big stores). */
export function* findTimelines(db: Db, f: MessageFilter): Generator<TimelineView> {
  const w = where(f);
  const order = f.newestFirst === true ? 'DESC' : 'ASC';
  const limit = f.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(f.limit))}`;
  const stmt = db.prepare(`SELECT m.*, CAST(m.msg AS TEXT) AS msg_text FROM messages m ${w.sql} ORDER BY m.first_us ${order}, m.id ${order}${limit}`);
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

/**
 * `show … --at T`: of several lives of one id (messages, or sessions of one pid), the one alive
 * at T, else the one that began nearest to it.
 */
export function pickAt<T>(all: readonly T[], atUs: number, span: (x: T) => readonly [string, string | null]): T | undefined {
  let best: T | undefined;
  let bestDist = Infinity;
  for (const x of all) {
    const [from, to] = span(x);
    const start = Date.parse(from) * 1000;
    const end = to === null ? Infinity : Date.parse(to) * 1000 + 1000;
    if (start <= atUs && atUs <= end) return x;
    const dist = Math.abs(start - atUs);
    if (dist < bestDist) { bestDist = dist; best = x; }
  }
  return best;
}
