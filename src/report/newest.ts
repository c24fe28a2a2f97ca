// How fresh the store is: the newest line of each log stream, read from the data.

import type { Db } from '../store/db.js';

/**
 * The newest line of each stream ("send@vm", "smtpd@vm"): the reader's last lines per stream, one row.
 * Should their shape change, the same is read from the data (slower: it scans the tables).
 */
export function newestPerStream(db: Db, host: string | undefined): Map<string, number> {
  const marks = readerMarks(db, host);
  return marks.size > 0 ? marks : fromData(db, host);
}

function readerMarks(db: Db, host: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const json = db.prepare("SELECT json FROM state WHERE name = 'reader'").pluck().get() as string | undefined;
  if (json === undefined) return out;
  try {
    const last = (JSON.parse(json) as { doubles?: Record<string, Array<[string, number]>> }).doubles ?? {};
    for (const [k, lines] of Object.entries(last)) {
      if (!Array.isArray(lines) || (host !== undefined && !k.endsWith(`@${host}`))) continue;
      let us = -Infinity;
      for (const l of lines) if (Array.isArray(l) && typeof l[1] === 'number' && l[1] > us) us = l[1];
      if (Number.isFinite(us)) out.set(k, us);
    }
  } catch {
    out.clear();
  }
  return out;
}

/** qmail-send per host from its status lines and messages, each smtpd stream from its sessions. */
function fromData(db: Db, host: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const put = (k: string, us: number | null): void => {
    if (us !== null) out.set(k, Math.max(out.get(k) ?? -Infinity, us));
  };
  const hf = host === undefined ? '' : ' WHERE host = ?';
  const ha = host === undefined ? [] : [host];
  for (const r of db.prepare(`SELECT host, max(at_us) AS us FROM send_status${hf} GROUP BY host`).all(...ha) as Array<{ host: string; us: number }>) put(`send@${r.host}`, r.us);
  for (const r of db.prepare(`SELECT host, max(max(first_us), coalesce(max(first_us + ended_d), 0)) AS us FROM messages${hf} GROUP BY host`).all(...ha) as Array<{ host: string; us: number }>) put(`send@${r.host}`, r.us);
  for (const r of db.prepare(`SELECT host, stream, max(max(start_us), coalesce(max(end_us), 0)) AS us FROM sessions${hf} GROUP BY host, stream`).all(...ha) as Array<{ host: string; stream: string; us: number }>) put(`${r.stream}@${r.host}`, r.us);
  return out;
}

/** The newest line of any stream: a report's "now" (a replayed log is not live). */
export function newestLine(db: Db, host?: string): number | null {
  let max: number | null = null;
  for (const us of newestPerStream(db, host).values()) if (max === null || us > max) max = us;
  return max;
}
