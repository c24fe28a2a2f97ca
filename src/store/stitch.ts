// The store's side of a seam (see correlate/stitch.ts): what lies after it, and the rows a join
// changes. Runs no correlation: it reads candidates and applies what the stitch decided.

import { RESTART_NOTICE, type OrphanResult } from '../correlate/correlator.js';
import type { Candidate, Joined, SeamAfter } from '../correlate/stitch.js';
import type { Session } from '../correlate/sessions.js';
import { keyOf, type Timeline } from '../correlate/timeline.js';
import type { MsgId } from '../../parsers/ids.js';
import type { Db } from './db.js';
import { idToSql } from './ids.js';
import { keySql, loadTimelines, parseKey } from './rows.js';

interface OrphanRow {
  host: string; run: number; did: number; at_us: number; result: OrphanResult['result']; reason: string | null;
  smtp_code: number | null; dsn: string | null; remote_ip: string | null; too_long: number; forward_qp: number | null;
}

/** What the present holds after `seam` for one host: continuations, orphans, the first restart, bounce copies. */
export function afterSeam(db: Db, host: string, seam: number, segment: number, msgs: readonly MsgId[], qps: readonly number[],
  horizon: number): { after: SeamAfter; rowids: Map<Timeline, number> } {
  const next = new Map<MsgId, Timeline>();
  const rowids = new Map<Timeline, number>();
  const first = db.prepare(`SELECT id FROM messages WHERE host = ? AND msg = ? AND first_us >= ? AND segment <> ?
    ORDER BY first_us, id LIMIT 1`).pluck();
  for (const msg of msgs) {
    const id = first.get(host, idToSql(msg), seam, segment) as number | undefined;
    if (id === undefined) continue;
    const [t] = loadTimelines(db, 'm.id = ?', [id]);
    if (t !== undefined) { next.set(msg, t[0]); rowids.set(t[0], t[1]); }
  }
  const orphans = (db.prepare(`SELECT * FROM orphan_results WHERE host = ? AND at_us >= ? AND at_us <= ? ORDER BY at_us`)
    .all(host, seam, horizon) as OrphanRow[]).map((o): OrphanResult => ({
    host: o.host, run: o.run, did: o.did, at: o.at_us, result: o.result, reason: o.reason ?? '', smtpCode: o.smtp_code,
    dsn: o.dsn, remoteIp: o.remote_ip, tooLong: o.too_long === 1, forwardQp: o.forward_qp }));
  const restartAt = (db.prepare(`SELECT min(at_us) FROM notices WHERE host = ? AND level = 'qtrace' AND at_us >= ?
    AND text LIKE ? || '%'`).pluck().get(host, seam, RESTART_NOTICE) as number | null) ?? null;
  const candidates: Candidate[] = [];
  const byQp = db.prepare(`SELECT ${keySql('m')} AS key, m.qp, m.first_us AS first, a.address AS "from" FROM messages m
    LEFT JOIN addresses a ON a.id = m.sender_id
    WHERE m.qp = ? AND m.host = ? AND m.first_us >= ? AND m.first_us <= ? AND m.segment <> ?`);
  for (const qp of qps) candidates.push(...(byQp.all(qp, host, seam, horizon, segment) as Candidate[]));
  return { after: { next, orphans, restartAt, candidates }, rowids };
}

/** A later timeline folded into the older one: its row goes, and whatever named it names the older. */
export function dropJoined(db: Db, j: Joined): void {
  const byKey = db.prepare('SELECT id FROM messages WHERE first_us = ? AND msg = ? AND host = ? AND dup = ?').pluck();
  const id = (key: string): number | undefined => {
    const k = parseKey(key);
    return k === undefined ? undefined : byKey.get(k.first, idToSql(k.msg), k.host, k.dup) as number | undefined;
  };
  const laterRowid = id(keyOf(j.from));
  if (laterRowid === undefined) return;
  const into = id(keyOf(j.into));
  db.prepare('DELETE FROM deliveries WHERE message_id = ?').run(laterRowid);
  db.prepare('DELETE FROM messages WHERE id = ?').run(laterRowid);
  if (into !== undefined) {
    db.prepare('UPDATE OR IGNORE links SET from_id = ? WHERE from_id = ?').run(into, laterRowid);
    db.prepare('UPDATE OR IGNORE links SET to_id = ? WHERE to_id = ?').run(into, laterRowid);
    db.prepare('UPDATE OR IGNORE session_links SET message_id = ? WHERE message_id = ?').run(into, laterRowid);
  }
  // what could not move (the older one had it already) goes with the row
  db.prepare('DELETE FROM links WHERE from_id = ? OR to_id = ?').run(laterRowid, laterRowid);
  db.prepare('DELETE FROM session_links WHERE message_id = ?').run(laterRowid);
}

export function dropOrphan(db: Db, o: OrphanResult): void {
  db.prepare('DELETE FROM orphan_results WHERE host = ? AND run = ? AND did = ? AND at_us = ?').run(o.host, o.run, o.did, o.at);
}

/** The segment's rows become the present's. */
export function closeSegment(db: Db, segment: number): void {
  db.prepare('UPDATE messages SET segment = 0 WHERE segment = ?').run(segment);
  db.prepare('UPDATE positions SET segment = 0 WHERE segment = ?').run(segment);
  for (const n of ['correlator', 'reader', 'sessions']) db.prepare('DELETE FROM state WHERE name = ?').run(`${n}:${segment}`);
}

/** The first stored session of this pid after the seam that began without tcpserver's line. */
export function laterSession(db: Db, s: Session, seam: number): { session: Session; key: string } | undefined {
  const r = db.prepare(`SELECT key, detail FROM sessions WHERE host = ? AND stream = ? AND pid = ? AND start_us >= ?
    ORDER BY start_us LIMIT 1`).get(s.host, s.stream, s.pid, seam) as { key: string; detail: string } | undefined;
  if (r === undefined) return undefined;
  const later = JSON.parse(r.detail) as Session;
  return later.startSeen ? undefined : { session: later, key: r.key };
}

/** A later session folded into an older one: its row goes, its links go to `into` (or are made again). */
export function dropSession(db: Db, key: string, into: string | undefined): void {
  const id = db.prepare('SELECT id FROM sessions WHERE key = ?').pluck().get(key) as number | undefined;
  if (id === undefined) return;
  db.prepare('DELETE FROM session_rcpts WHERE session_id = ?').run(id);
  db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  if (into !== undefined) {
    db.prepare('UPDATE OR IGNORE session_links SET session_id = (SELECT id FROM sessions WHERE key = ?) WHERE session_id = ?').run(into, id);
  }
  db.prepare('DELETE FROM session_links WHERE session_id = ?').run(id);
}
