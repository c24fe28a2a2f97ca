// `qtrace sql`: the documented views on a lab store, the three output shapes, and the refusals
// (a write, ATTACH, a PRAGMA that changes anything): one clear line and exit 2, the store untouched.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qtrace } from '../helpers/cli.js';
import { LAB, REPO, tempDb, ingestPaths } from '../helpers/lab.js';

describe('qtrace sql', async () => {
  const { path, db } = tempDb();
  await ingestPaths(db, ['send', 'smtpd', 'smtpdr'].map((s) => join(LAB, 'b1-scenarios', 'logs', s)), { host: 'vm' });
  const counts = {
    messages: db.prepare('SELECT count(*) FROM messages').pluck().get() as number,
    deliveries: db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number,
    sessions: db.prepare('SELECT count(*) FROM sessions').pluck().get() as number,
  };
  db.close();
  const sql = (q: string, ...flags: string[]) => qtrace(['sql', '--db', path, ...flags, q]);

  it('every documented view answers, one row per row of what it stands for, with ISO times', () => {
    const views = readFileSync(join(REPO, 'schemas', 'migrations', '004-views.sql'), 'utf8').match(/CREATE VIEW (v_\w+)/g)!.map((v) => v.slice(12));
    expect(views).toEqual(expect.arrayContaining(['v_messages', 'v_deliveries', 'v_recipients', 'v_sessions', 'v_links', 'v_notices']));
    for (const v of views) expect(sql(`SELECT * FROM ${v} LIMIT 1`).status, v).toBeLessThanOrEqual(1);
    const n = (q: string): number => Number(sql(q, '--csv').stdout.split('\r\n')[1]);
    expect(n('SELECT count(*) FROM v_messages')).toBe(counts.messages);
    expect(n('SELECT count(*) FROM v_deliveries')).toBe(counts.deliveries);
    expect(n('SELECT count(*) FROM v_sessions')).toBe(counts.sessions);
    expect(n("SELECT count(*) FROM v_recipients WHERE outcome IN ('delivered', 'failed')")).toBe(97); // zoverall's recipients for b1
    const first = JSON.parse(sql('SELECT id, queued, ended, queue_seconds, queued_us FROM v_messages ORDER BY queued_us LIMIT 1', '--json').stdout);
    expect(first.queued).toMatch(/^2026-11-25T17:49:46\.\d{6}Z$/);
    expect(Date.parse(first.queued) * 1000).toBe(Math.floor(first.queued_us / 1000) * 1000);
    expect(first.queue_seconds).toBeGreaterThan(0);
  });

  it('prints an aligned table, NDJSON or CSV', () => {
    const t = sql("SELECT recipient, count(*) AS n FROM v_recipients WHERE outcome = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 2");
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toBe('recipient                      n\n-----------------------------  -\ntammy-fail100@mx.example.test  2\n'
      + 'data451-b1-030@ok.remote.test  1\n');
    const j = sql("SELECT 1 AS one, 'a\"b' AS q, NULL AS z", '--json');
    expect(j.stdout).toBe('{"one":1,"q":"a\\"b","z":null}\n');
    const c = sql("SELECT 1 AS one, 'a,\"b' AS q, NULL AS z", '--csv');
    expect(c.stdout).toBe('one,q,z\r\n1,"a,""b",\r\n');
    const none = sql("SELECT * FROM v_messages WHERE sender = 'nobody'");
    expect([none.status, none.stderr]).toEqual([1, 'qtrace: no rows\n']);
  });

  it('refuses a write, ATTACH and PRAGMA writable_schema, each with a clear line; the store is untouched', () => {
    const before = statSync(path).mtimeMs;
    const cases: Array<[string, RegExp]> = [
      ['DELETE FROM messages', /^qtrace: this statement would change the database \(DELETE\): qtrace sql only reads the store/],
      ["UPDATE messages SET bytes = 0", /would change the database \(UPDATE\)/],
      ['WITH x AS (SELECT 1) INSERT INTO state VALUES (1, 2)', /would change the database/],
      ["ATTACH DATABASE 'other.db' AS o", /^qtrace: ATTACH is refused: qtrace sql only reads the store/],
      ['  /* sneaky */ attach \'x.db\' as x', /^qtrace: ATTACH is refused/],
      ['PRAGMA writable_schema = ON', /^qtrace: PRAGMA writable_schema with a value is refused/],
      ['PRAGMA writable_schema', /^qtrace: PRAGMA writable_schema is refused/],
      ['PRAGMA journal_mode = DELETE', /^qtrace: PRAGMA journal_mode with a value is refused/],
      ['PRAGMA main.user_version = 7', /^qtrace: PRAGMA user_version with a value is refused/],
      ['CREATE TABLE t (x)', /would change the database \(CREATE\)/],
      ['BEGIN', /^qtrace: BEGIN returns no rows/],
    ];
    for (const [q, want] of cases) {
      const r = sql(q);
      expect(r.status, q).toBe(2);
      expect(r.stdout, q).toBe('');
      expect(r.stderr, q).toMatch(want);
      expect(r.stderr.trimEnd().split('\n'), q).toHaveLength(1);
    }
    expect(statSync(path).mtimeMs).toBe(before);
    expect(Number(sql('SELECT count(*) FROM messages', '--csv').stdout.split('\r\n')[1])).toBe(counts.messages);
    // read-only PRAGMAs are fine
    expect(sql('PRAGMA table_info(v_links)').status).toBe(0);
    expect(sql('PRAGMA user_version', '--csv').stdout).toMatch(/^user_version\r\n\d+\r\n$/);
  });

  it('a bad query is one line and exit 2', () => {
    for (const q of ['SELEC 1', 'SELECT * FROM nosuch', 'SELECT 1; SELECT 2', '']) {
      const r = sql(q);
      expect(r.status, q).toBe(2);
      expect(r.stderr, q).toMatch(/^qtrace: (bad query|no SQL given)/);
      expect(r.stderr.trimEnd().split('\n'), q).toHaveLength(1);
    }
  });
});
