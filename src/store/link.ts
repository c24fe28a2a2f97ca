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

/** Messages first seen in [lo, hi], as the linker sees them. */
export function messagesBetween(db: Db, lo: number, hi: number): MessageLite[] {
  return db.prepare(`SELECT ${keySql('m')} AS id, m.host, m.qp, m.uid, m.first_us + COALESCE(m.queued_d, 0) AS queued,
    a.address AS "from" FROM messages m LEFT JOIN addresses a ON a.id = m.sender_id WHERE m.first_us BETWEEN ? AND ?`).all(lo, hi) as MessageLite[];
}

export function hasSessions(db: Db): boolean {
  return db.prepare('SELECT 1 FROM sessions LIMIT 1').get() !== undefined;
}
