// After an ingest: (re)link the sessions of the time span it touched to the messages they queued.
// Done over the store, not in the stream, because the smtpd and send logs are separate files
// whose lines may arrive in either order and across runs.

import { linkSessions, toSessionLite, type MessageLite } from '../correlate/link-sessions.js';
import type { Session } from '../correlate/sessions.js';
import type { Db } from './db.js';
import { sessionKey, type StoreWriter } from './writer.js';

/** Margin around the span: a message is queued at most this long after its session's DATA. */
const MARGIN_US = 120 * 1_000_000;

export function linkSessionsInStore(db: Db, w: StoreWriter, fromUs: number, toUs: number): { exact: number; inferred: number } {
  const lo = fromUs - MARGIN_US;
  const hi = toUs + MARGIN_US;
  const sessions = (db.prepare(`SELECT detail FROM sessions WHERE start_us <= ? AND COALESCE(end_us, start_us) >= ?`)
    .pluck().all(hi, lo) as string[]).map((j) => JSON.parse(j) as Session);
  const messages = db.prepare(`SELECT key AS id, host, qp, uid, COALESCE(queued_us, first_us) AS queued, sender AS "from"
    FROM messages WHERE first_us BETWEEN ? AND ?`).all(lo, hi) as MessageLite[];
  const links = linkSessions(sessions.map(toSessionLite), messages);
  w.transaction(() => w.sessionLinks(sessions.map(sessionKey), links));
  let exact = 0;
  for (const l of links) if (l.link === 'exact') exact++;
  return { exact, inferred: links.length - exact };
}
