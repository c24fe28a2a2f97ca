// Stored messages read back as timelines: the ones still in the queue for the correlator of the
// next run, and those a seam joins.

import { recipientsOf, type Delivery, type Timeline } from '../correlate/timeline.js';
import type { Db } from './db.js';
import { idFromSql } from './ids.js';

interface MsgRow {
  id: number; key: string; host: string; msg_text: string; first_us: number; queued_us: number | null; ended_us: number | null; lost: number;
  partial: number; bytes: number | null; sender: string | null; qp: number | null; uid: number | null;
  bounce_qp: number | null; triple_bounce: number; info_us: number | null;
}
interface DelRow {
  message_id: number; run: number; did: number; channel: 'local' | 'remote'; recipient: string;
  started_us: number | null; finished_us: number | null; result: Delivery['result']; reason: string | null;
  smtp_code: number | null; dsn: string | null; remote_ip: string | null; too_long: number; forward_qp: number | null; rcpt: number;
}

/** The open timelines of one segment (0: the present), with their row ids. */
export function loadOpenTimelines(db: Db, segment = 0): Array<[Timeline, number]> {
  return loadTimelines(db, 'ended_us IS NULL AND lost = 0 AND segment = ?', [segment]);
}

/** Timelines whose message row matches `where` (over the messages table), with their row ids. */
export function loadTimelines(db: Db, where: string, args: readonly unknown[]): Array<[Timeline, number]> {
  const rows = db.prepare(`SELECT *, CAST(msg AS TEXT) AS msg_text FROM messages WHERE ${where}`).all(...args) as MsgRow[];
  if (rows.length === 0) return [];
  const byId = new Map<number, Timeline>();
  for (const m of rows) {
    byId.set(m.id, {
      key: m.key, host: m.host, msg: idFromSql(m.msg_text), firstSeen: m.first_us, queued: m.queued_us, info: m.info_us, ended: m.ended_us,
      partial: m.partial === 1, lost: m.lost === 1, bytes: m.bytes, from: m.sender, qp: m.qp, uid: m.uid,
      bounceQp: m.bounce_qp, tripleBounce: m.triple_bounce === 1, deliveries: [], recipients: [],
    });
  }
  const dels = db.prepare(`SELECT d.* FROM deliveries d WHERE d.message_id IN (SELECT id FROM messages WHERE ${where})
    ORDER BY d.message_id, d.seq`).all(...args) as DelRow[];
  for (const d of dels) {
    byId.get(d.message_id)?.deliveries.push({
      run: d.run, did: d.did, channel: d.channel, to: d.recipient, started: d.started_us, finished: d.finished_us,
      result: d.result, reason: d.reason, smtpCode: d.smtp_code, dsn: d.dsn, remoteIp: d.remote_ip,
      tooLong: d.too_long === 1, forwardQp: d.forward_qp, rcpt: d.rcpt,
    });
  }
  for (const t of byId.values()) t.recipients = recipientsOf(t.deliveries);
  return [...byId.entries()].map(([id, t]) => [t, id]);
}
