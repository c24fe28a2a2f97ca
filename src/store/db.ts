// Opening the SQLite store: WAL, foreign keys, versioned migrations from schemas/migrations.

import type DatabaseType from 'better-sqlite3';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { QtraceError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { fs } from '../util/sync-fs.js';
import { restoreIndexes } from './bulk.js';

export type Db = DatabaseType.Database;

const statements = new WeakMap<Db, Map<string, DatabaseType.Statement>>();
/** A statement prepared once per connection: for a query run once per row of another result. */
export function prepared(db: Db, sql: string): DatabaseType.Statement {
  let m = statements.get(db);
  if (m === undefined) statements.set(db, (m = new Map()));
  let st = m.get(sql);
  if (st === undefined) m.set(sql, (st = db.prepare(sql)));
  return st;
}

// Start-up is most of a `show`: better-sqlite3 is CommonJS, and required as such (an ESM import
// first scans its source for export names), with its addon named where npm builds it (its
// `bindings` helper would look in ~30 places first).
const require = createRequire(import.meta.url);
interface Sqlite { readonly Database: typeof DatabaseType; readonly addon: string | undefined }
let loaded: Sqlite | undefined;
function sqlite(): Sqlite {
  if (loaded !== undefined) return loaded;
  const Database = require('better-sqlite3') as typeof DatabaseType;
  let addon: string | undefined = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(addon)) addon = undefined;
  return (loaded = { Database, addon });
}

export const DEFAULT_DB = 'qtrace.db';

/** --db, else $QTRACE_DB, else ./qtrace.db. */
export function resolveDbPath(flag: string | undefined): string {
  return flag ?? process.env['QTRACE_DB'] ?? DEFAULT_DB;
}

interface Migration { version: number; name: string; path: string }

function migrations(): Migration[] {
  const dir = join(packageRoot(), 'schemas', 'migrations');
  return fs.readdirSync(dir)
    .filter((f) => /^\d{3}-.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, path: join(dir, f) })); // read only if applied
}

export interface OpenOptions { readonly readonly?: boolean; readonly mustExist?: boolean }

/** Before SQLite sees the path: say plainly what is wrong with it (missing directory, permissions). */
function checkPath(path: string, opts: OpenOptions): void {
  if (path === ':memory:' || path === '') return;
  const dir = dirname(resolve(path));
  if (!fs.existsSync(dir)) {
    throw new QtraceError('NO_DB_DIR', `cannot use database ${path}: the directory ${dir} does not exist`, 'create it, or pass another --db');
  }
  if (!fs.existsSync(path)) {
    if (opts.mustExist === true) throw new QtraceError('NO_DB', `no database at ${path}`, 'run `qtrace ingest --db PATH LOGS` first, or pass --db');
    try { fs.accessSync(dir, fs.constants.W_OK); } catch {
      throw new QtraceError('DB_ACCESS', `cannot create database ${path}: permission denied (cannot write to ${dir})`);
    }
    return;
  }
  if (fs.statSync(path).isDirectory()) throw new QtraceError('DB_OPEN', `cannot use database ${path}: it is a directory`);
  const write = opts.readonly !== true;
  try { fs.accessSync(path, write ? fs.constants.R_OK | fs.constants.W_OK : fs.constants.R_OK); } catch {
    throw new QtraceError('DB_ACCESS', `cannot ${write ? 'write' : 'read'} database ${path}: permission denied`);
  }
}

/** A file that is SQLite but holds someone else's tables is left alone: no silent table creation. */
function checkOurs(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck().all() as string[];
  const ours = version > 0 ? tables.includes('messages') && tables.includes('state') : tables.length === 0;
  if (!ours) {
    const some = tables.slice(0, 4).join(', ') + (tables.length > 4 ? ', …' : '');
    throw new QtraceError('NOT_QTRACE', `${path} is an SQLite database but not a qtrace store (tables: ${some || 'none'}); ` +
      'qtrace will not add its tables to it', 'pass another --db');
  }
}

export function openDb(path: string, opts: OpenOptions = {}): Db {
  checkPath(path, opts);
  let db: Db;
  // A new store is private (0600): it holds every sender and recipient. SQLite gives its -wal
  // and -shm files the mode of the database; an existing store keeps the mode it has.
  if (opts.readonly !== true && path !== ':memory:' && path !== '' && !fs.existsSync(path)) {
    try { fs.closeSync(fs.openSync(path, 'wx', 0o600)); } catch { /* raced, or cannot create: Database says why */ }
  }
  try {
    const { Database, addon } = sqlite();
    db = new Database(path, { readonly: opts.readonly === true, fileMustExist: opts.mustExist === true,
      ...(addon === undefined ? {} : { nativeBinding: addon }) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || /permission|readonly/i.test(err.message)) {
      throw new QtraceError('DB_ACCESS', `cannot open database ${path}: permission denied`);
    }
    if (/does not exist/i.test(err.message)) {
      throw new QtraceError('NO_DB', `no database at ${path}`, 'run `qtrace ingest --db PATH LOGS` first, or pass --db');
    }
    throw new QtraceError('DB_OPEN', `cannot open database ${path}: ${err.message}`);
  }
  try {
    checkOurs(db, path);
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
    const msg = (e as Error).message;
    if (/readonly database|unable to open/i.test(msg)) {
      throw new QtraceError('DB_ACCESS', `cannot open database ${path}: permission denied (SQLite must write ${path}-wal and -shm ` +
        `beside it, in ${dirname(resolve(path))})`);
    }
    if (/not a database|file is encrypted/i.test(msg)) throw new QtraceError('NOT_SQLITE', `${path} is not an SQLite database (nor a qtrace store)`, 'pass another --db');
    throw new QtraceError('DB_CORRUPT', `${path} is not a usable qtrace database: ${msg}`);
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
      db.exec(fs.readFileSync(m.path, 'utf8'));
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
