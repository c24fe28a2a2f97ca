// A first load into an empty store inserts faster without the secondary indexes: they are
// dropped, and built once at the end (sorting beats ~450k random b-tree inserts), but for the time index. Their DDL
// waits in the state table, so a load killed half-way gets them back at the next open.

import type { Db } from './db.js';

const TABLES = "('messages', 'deliveries')";
// kept: the writer finds a message by its id's parts through it (a new id's `#n`, a link's ends),
// and first_us grows with the log, so it is filled at its right edge
const KEEP = "('messages_first')";

export function deferIndexes(db: Db): void {
  // Without them a load's writes land at the right edges of the b-trees, and its lookups
  // (addresses, the newest messages) are few pages: SQLite's own 2 MB cache holds them.
  // better-sqlite3 builds with 16 MB, which grew the bench's ×10 peak RSS by 18 MB, no faster;
  // a store that keeps its indexes keeps the 16 MB (an append into 200k messages: 5 % faster).
  db.pragma('cache_size = -2000');
  db.transaction(() => {
    const ix = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ${TABLES} AND name NOT IN ${KEEP}`)
      .all() as Array<{ name: string; sql: string }>;
    if (ix.length === 0) return;
    db.prepare("INSERT INTO state (name, json) VALUES ('deferred_indexes', ?) ON CONFLICT (name) DO UPDATE SET json = excluded.json")
      .run(JSON.stringify(ix.map((i) => i.sql)));
    for (const i of ix) db.exec(`DROP INDEX "${i.name}"`);
  })();
}

/** Builds the indexes a bulk load deferred (after it, or after one that was killed). */
export function restoreIndexes(db: Db): void {
  const j = db.prepare("SELECT json FROM state WHERE name = 'deferred_indexes'").pluck().get() as string | undefined;
  if (j === undefined) return;
  db.transaction(() => {
    for (const sql of JSON.parse(j) as string[]) db.exec(sql.replace(/^CREATE INDEX/i, 'CREATE INDEX IF NOT EXISTS'));
    db.prepare("DELETE FROM state WHERE name = 'deferred_indexes'").run();
  })();
}
