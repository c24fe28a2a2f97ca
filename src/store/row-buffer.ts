// Rows of one INSERT, sent to SQLite ROWS at a time: one statement step for 32 rows instead of 32
// (the bench's ×10 ingest: −7 % wall). The values go as arguments: better-sqlite3 binds an array
// argument value by value through V8's API, which cost what the batching saved. The caller pushes
// a row's values, in the statement's column order, onto `values`, then calls `row()`.

import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

const ROWS = 32;

export class RowBuffer {
  readonly values: unknown[] = [];
  readonly #db: Db;
  readonly #head: string;
  readonly #width: number;
  readonly #tuple: string;
  // a statement per row count: ROWS for the full batches, the others for what a flush leaves
  readonly #statements = new Map<number, Statement>();

  /** head: `INSERT INTO t (a, b, …)`; width: its column count. */
  constructor(db: Db, head: string, width: number) {
    this.#db = db;
    this.#head = head;
    this.#width = width;
    this.#tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  }

  row(): void {
    if (this.values.length === ROWS * this.#width) this.#send(ROWS);
  }

  /** Writes what is held: before anything reads these rows, and before the transaction commits. */
  flush(): void {
    const n = this.values.length / this.#width;
    if (n > 0) this.#send(n);
  }

  /** Drops what is held (a rolled-back transaction). */
  clear(): void {
    this.values.length = 0;
  }

  #send(n: number): void {
    let st = this.#statements.get(n);
    if (st === undefined) {
      st = this.#db.prepare(`${this.#head} VALUES ${Array.from({ length: n }, () => this.#tuple).join(', ')}`);
      this.#statements.set(n, st);
    }
    st.run(...this.values);
    this.values.length = 0;
  }
}
