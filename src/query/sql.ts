// `qtrace sql`: a user's SELECT on a read-only connection. better-sqlite3 has no authorizer hook,
// so the refusal is in two layers: the connection is opened read-only (SQLite itself refuses any
// write), and each statement is checked before it runs (writes, ATTACH/DETACH, PRAGMAs that set
// or change anything) so the user gets a clear line instead of SQLite's "readonly database".

import type { Db } from '../store/db.js';
import { QtraceError } from '../util/errors.js';

/** PRAGMAs that only report (and are not given a value). */
const READ_PRAGMAS = new Set(['table_info', 'table_xinfo', 'table_list', 'index_list', 'index_info', 'index_xinfo',
  'foreign_key_list', 'foreign_key_check', 'database_list', 'collation_list', 'function_list', 'module_list', 'pragma_list',
  'compile_options', 'user_version', 'schema_version', 'application_id', 'page_count', 'page_size', 'freelist_count',
  'encoding', 'integrity_check', 'quick_check', 'data_version', 'journal_mode', 'foreign_keys']);

export interface SqlResult { readonly columns: string[]; readonly rows: IterableIterator<unknown[]> }

function refuse(what: string): never {
  throw new QtraceError('SQL_REFUSED', `${what}: qtrace sql only reads the store`, 'SELECT from the v_* views instead');
}

/** Leading comments and blanks off; the first word, upper-cased. */
function firstWords(sql: string): string[] {
  const t = sql.replace(/^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return t.split(/[\s(;=]+/, 3).map((w) => w.toUpperCase().replace(/^["`[]|["`\]]$/g, ''));
}

export function runSql(db: Db, sql: string): SqlResult {
  if (sql.trim() === '') throw new QtraceError('USAGE', 'no SQL given', 'qtrace sql "SELECT …"');
  const [w0 = '', w1 = ''] = firstWords(sql);
  if (w0 === 'ATTACH' || w0 === 'DETACH') refuse(`${w0} is refused`);
  if (w0 === 'PRAGMA') {
    const name = w1.replace(/^\w+\./, '').toLowerCase();
    const setting = /=|\(\s*[^)\s]/.test(sql.slice(sql.toUpperCase().indexOf(w1) + w1.length)) &&
      !['table_info', 'table_xinfo', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list', 'integrity_check', 'quick_check'].includes(name);
    if (!READ_PRAGMAS.has(name) || setting) refuse(`PRAGMA ${name}${setting ? ' with a value' : ''} is refused`);
  }
  let stmt;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    throw new QtraceError('BAD_SQL', `bad query: ${(e as Error).message}`);
  }
  if (!stmt.readonly) refuse(`this statement would change the database (${w0})`);
  if (!stmt.reader) refuse(`${w0} returns no rows`);
  const columns = stmt.columns().map((c) => c.name);
  const it = stmt.raw().iterate() as IterableIterator<unknown[]>;
  const rows: IterableIterator<unknown[]> = {
    [Symbol.iterator]() { return this; },
    next() {
      try {
        return it.next();
      } catch (e) {
        throw new QtraceError('BAD_SQL', `query failed: ${(e as Error).message}`);
      }
    },
    return(v?: unknown) { return it.return?.(v) ?? { done: true, value: undefined }; },
  };
  return { columns, rows };
}
