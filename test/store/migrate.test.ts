// A store written by store v4 (test/store/fixtures/v4.db.gz, see make-v4.mjs there) upgrades on
// open with its data carried over: as a user sees it (show, messages, sessions, report, matchup,
// the documented v_* views) it equals a store the current code makes from the same lines.

import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { matchupLines } from '../../src/report/qmailanalog/matchup.js';
import { timelineByKey } from '../../src/query/timelines.js';
import { openDb, type Db } from '../../src/store/db.js';
import { ingestPaths, LAB, REPO, tempDb } from '../helpers/lab.js';
import { storeView, viewDiff } from '../helpers/store-view.js';

/** The fixture's inputs, made as make-v4.mjs made them. */
function inputs(dir: string): string[][] {
  const maillog = join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz');
  const plain = join(dir, 'maillog');
  writeFileSync(plain, gunzipSync(readFileSync(maillog)).toString('utf8').split('\n').filter((l) => l !== '')
    .map((l) => l.replace(/^(\S+ +\S+ \S+ \S+ \S+: )\d{9,11}\.\d+ /, '$1')).join('\n') + '\n');
  return [['send', 'smtpd', 'smtpdr'].map((s) => join(LAB, 'b1-scenarios', 'logs', s)), [plain]];
}

const VIEWS: Record<string, string> = {
  v_messages: 'SELECT * FROM v_messages ORDER BY id',
  v_deliveries: 'SELECT * FROM v_deliveries ORDER BY message, seq',
  v_recipients: 'SELECT * FROM v_recipients ORDER BY message, recipient, channel',
  v_links: 'SELECT * FROM v_links ORDER BY from_message, kind, to_message',
  v_session_messages: 'SELECT * FROM v_session_messages ORDER BY session, message',
};
const views = (db: Database.Database | Db): Record<string, unknown[]> =>
  Object.fromEntries(Object.entries(VIEWS).map(([v, q]) => [v, db.prepare(q).all()]));

describe('store v4 → v5', () => {
  it('a v4 store migrates on open and reads as the same lines ingested now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-migrate-'));
    const old = join(dir, 'v4.db');
    writeFileSync(old, gunzipSync(readFileSync(join(REPO, 'test', 'store', 'fixtures', 'v4.db.gz'))));
    const raw = new Database(old, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(4);
    const before = views(raw);
    const keys = raw.prepare('SELECT key FROM messages ORDER BY id').pluck().all() as string[];
    raw.close();
    expect(keys.some((k) => /#\d+$/.test(k))).toBe(true); // ids with `#n` are carried over
    expect(before['v_links']!.length).toBeGreaterThan(0);
    expect(before['v_session_messages']!.length).toBeGreaterThan(0);

    const migrated = openDb(old);
    const { db: fresh } = tempDb();
    try {
      // through every migration: 005 (v5) and those after it (006, the add-ons)
      const latest = Math.max(...readdirSync(join(REPO, 'schemas', 'migrations')).map((f) => Number(f.slice(0, 3))));
      expect(latest).toBeGreaterThanOrEqual(5);
      expect(migrated.pragma('user_version', { simple: true })).toBe(latest);
      for (const paths of inputs(dir)) await ingestPaths(fresh, paths, { host: 'vm' });
      // the documented views keep their columns and values across the upgrade
      expect(views(migrated)).toEqual(before);
      expect(viewDiff(storeView(migrated), storeView(fresh))).toBe('');
      for (const k of keys) expect(timelineByKey(migrated, k)?.id, k).toBe(k);
      const now = Date.parse('2026-12-01T00:00:00Z') * 1000;
      expect(buildReport(migrated, { now })).toEqual(buildReport(fresh, { now }));
      expect([...matchupLines(migrated)]).toEqual([...matchupLines(fresh)]);
      // and the migrated store goes on taking lines: nothing new in the same files
      const again = await ingestPaths(migrated, inputs(dir)[0]!, { host: 'vm' });
      expect(again.lines).toBe(0);
    } finally {
      migrated.close();
      fresh.close();
    }
  }, 120_000);
});
