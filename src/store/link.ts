// What the session linker needs from the store: the sessions and messages of a time window.

import type { MessageLite } from '../correlate/link-sessions.js';
import type { Session } from '../correlate/sessions.js';
import type { Db } from './db.js';
import { keySql } from './rows.js';

/** Sessions on the store that were open at some time in [lo, hi]. */
export function sessionsOverlapping(db: Db, lo: number, hi: number): Session[] {
  return (db.prepare(`SELECT detail FROM sessions WHERE start_us <= ? AND COALESCE(end_us, start_us) >= ?`)
    .pluck().all(hi, lo) as string[]).map((j) => JSON.parse(j) as Session);
}

const MESSAGE_LITE = `SELECT ${keySql('m')} AS id, m.host, m.qp, m.uid, m.first_us + COALESCE(m.queued_d, 0) AS queued,
  a.address AS "from" FROM messages m LEFT JOIN addresses a ON a.id = m.sender_id WHERE m.first_us BETWEEN ? AND ?`;

/** Messages first seen in [lo, hi] whose qp is one of these, as the linker sees them. */
export function messagesNamed(db: Db, lo: number, hi: number, qps: readonly number[]): MessageLite[] {
  if (qps.length === 0) return [];
  return db.prepare(`${MESSAGE_LITE} AND m.qp IN (SELECT value FROM json_each(?))`).all(lo, hi, JSON.stringify(qps)) as MessageLite[];
}

/** Messages first seen in [lo, hi] of this uid whose qp is none of these (messagesNamed has those). */
export function messagesOfUid(db: Db, lo: number, hi: number, uid: number, qps: readonly number[]): MessageLite[] {
  return db.prepare(`${MESSAGE_LITE} AND m.uid = ? AND m.qp IS NOT NULL AND m.qp NOT IN (SELECT value FROM json_each(?))`)
    .all(lo, hi, uid, JSON.stringify(qps)) as MessageLite[];
}

export function hasSessions(db: Db): boolean {
  return db.prepare('SELECT 1 FROM sessions LIMIT 1').get() !== undefined;
}
