// Opening the SQLite store: WAL, foreign keys, versioned migrations from schemas/migrations.

import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QtraceError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { restoreIndexes } from './bulk.js';

export type Db = Database.Database;

export const DEFAULT_DB = 'qtrace.db';

/** --db, else $QTRACE_DB, else ./qtrace.db. */
export function resolveDbPath(flag: string | undefined): string {
  return flag ?? process.env['QTRACE_DB'] ?? DEFAULT_DB;
}

interface Migration { version: number; name: string; sql: string }

function migrations(): Migration[] {
  const dir = join(packageRoot(), 'schemas', 'migrations');
  return readdirSync(dir)
    .filter((f) => /^\d{3}-.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

export interface OpenOptions { readonly readonly?: boolean; readonly mustExist?: boolean }

export function openDb(path: string, opts: OpenOptions = {}): Db {
  if (opts.mustExist === true && path !== ':memory:' && !existsSync(path)) {
    throw new QtraceError('NO_DB', `no database at ${path}`, 'run `qtrace ingest` first, or pass --db');
  }
  let db: Db;
  // A new store is private (0600): it holds every sender and recipient. SQLite gives its -wal
  // and -shm files the mode of the database; an existing store keeps the mode it has.
  if (opts.readonly !== true && path !== ':memory:' && path !== '' && !existsSync(path)) {
    try { closeSync(openSync(path, 'wx', 0o600)); } catch { /* raced, or cannot create: Database says why */ }
  }
  try {
    db = new Database(path, { readonly: opts.readonly === true, fileMustExist: opts.mustExist === true });
  } catch (e) {
    const msg = (e as Error).message;
    if (/does not exist/i.test(msg)) {
      throw new QtraceError('NO_DB', `no database at ${path}`, 'run `qtrace ingest` first, or pass --db');
    }
    throw new QtraceError('DB_OPEN', `cannot open database ${path}: ${msg}`);
  }
  try {
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, opts.readonly === true);
    if (!opts.readonly) restoreIndexes(db); // a bulk load that was killed left them unbuilt
  } catch (e) {
    db.close();
    if (e instanceof QtraceError) throw e;
    throw new QtraceError('DB_CORRUPT', `${path} is not a usable qtrace database: ${(e as Error).message}`);
  }
  return db;
}

function migrate(db: Db, readonly: boolean): void {
  const have = db.pragma('user_version', { simple: true }) as number;
  const all = migrations();
  const latest = all.length === 0 ? 0 : all[all.length - 1]!.version;
  if (have > latest) {
    throw new QtraceError('DB_NEWER', `database schema v${have} is newer than this qtrace (v${latest})`);
  }
  if (have === latest) return;
  if (readonly) throw new QtraceError('DB_OLD', `database schema v${have} needs migrating: run qtrace ingest once`);
  for (const m of all) {
    if (m.version <= have) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Hosts the store has messages or sessions of (at most two: callers only ask "exactly one?"). */
export function knownHosts(db: Db): string[] {
  return db.prepare('SELECT host FROM messages UNION SELECT host FROM sessions LIMIT 2').pluck().all() as string[];
}

/** The paths of every file the store holds a position for (where each was last read). */
export function knownPaths(db: Db): string[] {
  return db.prepare('SELECT path FROM positions').pluck().all() as string[];
}
