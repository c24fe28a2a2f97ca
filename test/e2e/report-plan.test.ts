// Reports read indexes, not whole tables: every statement report, matchup and check prepare for a
// time window is put through EXPLAIN QUERY PLAN, and none may scan messages, deliveries or sessions;
// likewise `messages --since`, `show ID` and explain's evidence.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { runCheck } from '../../src/report/check.js';
import { matchupLines } from '../../src/report/qmailanalog/matchup.js';
import { storeEvidence } from '../../src/query/evidence.js';
import { countTimelines, findTimelines, timelineByKey } from '../../src/query/timelines.js';
import type { Db } from '../../src/store/db.js';
import { ingestPaths, LAB, tempDb } from '../helpers/lab.js';

function recording(db: Db): { db: Db; sql: string[] } {
  const sql: string[] = [];
  const prepare = db.prepare.bind(db);
  (db as { prepare: unknown }).prepare = (s: string) => { sql.push(s); return prepare(s); };
  return { db, sql };
}

const BIG = /\bSCAN (m|d|messages|deliveries|sessions|s)\b/;

describe('report query plans', () => {
  it('a windowed report, its matchup and a check search indexes only', async () => {
    const { db } = tempDb();
    try {
      await ingestPaths(db, ['send', 'smtpd', 'smtpdr'].map((s) => join(LAB, 'b1-scenarios', 'logs', s)), { host: 'vm' });
      const rec = recording(db);
      const since = 1795628986e6, until = since + 60e6, now = until;
      buildReport(rec.db, { since, until, now });
      buildReport(rec.db, { since, until, now, host: 'vm' });
      [...matchupLines(rec.db, { since, until })];
      const t = { warn: 1, crit: 2 };
      runCheck(rec.db, { now, windowUs: 600e6, stuckAgeUs: 3600e6, queueLifetimeUs: 7 * 86400e6, minAttempts: 1, stuck: t, failPct: t, deferPct: t, staleUs: t, alerts: t, rejectsPerMin: t });
      expect(rec.sql.length).toBeGreaterThan(8);
      // parameters as literals: EXPLAIN needs no values, and a range on literals plans like one on parameters
      const plans = rec.sql.map((s) => ({ s, plan: (db.prepare(`EXPLAIN QUERY PLAN ${s.replace(/\?|@\w+/g, '1')}`).all() as Array<{ detail: string }>).map((r) => r.detail) }));
      for (const p of plans) expect(p.plan.filter((d) => BIG.test(d)), `${p.s}\n${p.plan.join('\n')}`).toEqual([]);
      // and the main pass walks the time index, then each message's attempts by primary key
      const main = plans.find((p) => /LEFT JOIN deliveries/.test(p.s))!;
      expect(main.plan.join('\n')).toMatch(/SEARCH m USING (COVERING )?INDEX messages_first \(first_us>\? AND first_us<\?\)/);
      expect(main.plan.join('\n')).toMatch(/SEARCH d USING PRIMARY KEY \(message_id=\?\)/);
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('query plans of messages and show', () => {
  it('--since finds recent messages by messages_last; an id by its parts; --to by deliveries_recipient', async () => {
    const { db } = tempDb();
    try {
      await ingestPaths(db, [join(LAB, 'b1-scenarios', 'logs', 'send')], { host: 'vm' });
      const key = (db.prepare('SELECT id FROM v_messages LIMIT 1').pluck().get() as string);
      const rec = recording(db);
      [...findTimelines(rec.db, { since: 1795628986e6 })];
      countTimelines(rec.db, { since: 1795628986e6 });
      timelineByKey(rec.db, key);
      [...findTimelines(rec.db, { to: 'bob@example.com', limit: 5 })];
      storeEvidence(rec.db).recentDeliveries('bob@example.com', 5);
      const plan = (s: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${s.replace(/\?|@\w+/g, '1')}`).all() as Array<{ detail: string }>)
        .map((r) => r.detail).join('\n');
      const plans = rec.sql.map((s) => ({ s, p: plan(s) }));
      const since = plans.filter((x) => /coalesce\(m\.ended_d, 0\) >= \?/.test(x.s));
      expect(since.length).toBe(2);
      for (const x of since) expect(x.p, x.s).toMatch(/SEARCH m USING (COVERING )?INDEX messages_last/);
      const byKey = plans.find((x) => /m\.first_us = \? AND m\.msg = \?/.test(x.s))!;
      expect(byKey.p).toMatch(/SEARCH m USING INDEX messages_(msg|first)/);
      const to = plans.find((x) => /m\.id IN \(SELECT r\.message_id/.test(x.s))!;
      expect(to.p).toMatch(/SEARCH r USING (COVERING )?INDEX deliveries_recipient \(recipient_id=\?\)/);
      // every statement reads rows by key or index, never a whole table
      for (const x of plans) {
        expect(x.p.split('\n').filter((d) => BIG.test(d)), `${x.s}\n${x.p}`).toEqual([]);
      }
    } finally {
      db.close();
    }
  }, 60_000);
});
