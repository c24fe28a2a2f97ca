// The store as a user sees it: every timeline (recipients, attempts, links, sessions) and every
// session, in a stable order. Stores made from the same lines in any way must give equal views.
// Delivery run numbers are left out: they count the qmail-send runs each segment saw.

import { findSessions } from '../../src/query/sessions.js';
import { findTimelines } from '../../src/query/timelines.js';
import type { Db } from '../../src/store/db.js';

export interface StoreView {
  readonly timelines: unknown[];
  readonly sessions: unknown[];
  readonly status: unknown[];
  readonly unknown: number;
}

export function storeView(db: Db): StoreView {
  const timelines = [...findTimelines(db, {})].map((t) => ({
    ...t, deliveries: t.deliveries.map((d) => ({ ...d, run: undefined })),
  })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sessions = [...findSessions(db, {})].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const status = db.prepare('SELECT * FROM send_status ORDER BY host, at_us').all();
  const unknown = db.prepare('SELECT count(*) FROM unknown_lines').pluck().get() as number;
  return { timelines, sessions, status, unknown };
}

/** Where two views differ, briefly (for assertion messages). */
export function viewDiff(a: StoreView, b: StoreView): string {
  const out: string[] = [];
  if (a.timelines.length !== b.timelines.length) out.push(`timelines ${a.timelines.length} vs ${b.timelines.length}`);
  const ka = new Map(a.timelines.map((t) => [(t as { id: string }).id, JSON.stringify(t)]));
  const kb = new Map(b.timelines.map((t) => [(t as { id: string }).id, JSON.stringify(t)]));
  for (const [k, v] of ka) if (kb.get(k) !== v) { out.push(`timeline ${k}: ${v.slice(0, 600)}\n  vs ${kb.get(k)?.slice(0, 600) ?? 'missing'}`); if (out.length > 4) break; }
  for (const k of kb.keys()) if (!ka.has(k)) { out.push(`timeline ${k} only in the second`); if (out.length > 6) break; }
  if (a.sessions.length !== b.sessions.length) out.push(`sessions ${a.sessions.length} vs ${b.sessions.length}`);
  const sa = new Map(a.sessions.map((t) => [(t as { id: string }).id, JSON.stringify(t)]));
  const sb = new Map(b.sessions.map((t) => [(t as { id: string }).id, JSON.stringify(t)]));
  for (const [k, v] of sa) if (sb.get(k) !== v) { out.push(`session ${k}: ${v.slice(0, 400)}\n  vs ${sb.get(k)?.slice(0, 400) ?? 'missing'}`); if (out.length > 8) break; }
  if (JSON.stringify(a.status) !== JSON.stringify(b.status)) out.push('send_status differs');
  return out.join('\n');
}
