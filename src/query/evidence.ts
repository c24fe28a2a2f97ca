// `explain`'s step 6: what the logs say happened to mail for an address.

import { isoFromMicros } from '../../parsers/timestamp.js';
import type { EvidenceSource } from '../explain/types.js';
import type { Db } from '../store/db.js';
import { keySql, outcomeSql } from '../store/rows.js';

export function storeEvidence(db: Db): EvidenceSource {
  const deliveries = db.prepare(`SELECT ${keySql('m')} AS id, m.first_us + m.queued_d AS queued_us, da.address AS "to",
      ${outcomeSql('d')} AS outcome, dt.text AS reason
    FROM addresses da JOIN deliveries d ON d.recipient_id = da.id AND d.last = 1 JOIN messages m ON m.id = d.message_id
      LEFT JOIN texts dt ON dt.id = d.reason_id
    WHERE da.address = ? COLLATE NOCASE ORDER BY m.first_us DESC LIMIT ?`);
  const sessions = db.prepare(`SELECT s.key AS id, s.start_us, s.client_ip, s.client_port, r.accepted, r.code, r.reason
    FROM session_rcpts r JOIN sessions s ON s.id = r.session_id
    WHERE r.recipient = ? COLLATE NOCASE ORDER BY s.start_us DESC LIMIT ?`);
  return {
    recentDeliveries: (address, limit) => (deliveries.all(address, limit) as Array<{ id: string; queued_us: number | null; to: string; outcome: string; reason: string | null }>)
      .map((r) => ({ id: r.id, queued: r.queued_us === null ? null : isoFromMicros(r.queued_us), to: r.to, outcome: r.outcome, reason: r.reason })),
    recentSessions: (address, limit) => (sessions.all(address, limit) as Array<{ id: string; start_us: number; client_ip: string | null; client_port: number | null; accepted: number | null; code: number | null; reason: string | null }>)
      .map((r) => ({ id: r.id, start: isoFromMicros(r.start_us), client: `${r.client_ip ?? '?'}:${r.client_port ?? '?'}`,
        // show's words: "accepted", "refused 553 (rcpthosts)"
        reply: r.accepted === null ? null : r.accepted === 1 ? 'accepted'
          : `refused${r.code === null ? '' : ` ${r.code}`}${r.reason === null ? '' : ` (${r.reason})`}` })),
  };
}
