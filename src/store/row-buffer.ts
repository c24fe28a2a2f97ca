// Rows of one INSERT, sent to SQLite ROWS at a time: one statement step for 32 rows instead of 32
// (the bench's ×10 ingest: −7 % wall). The values go as arguments: better-sqlite3 binds an array
// argument value by value through V8's API, which cost what the batching saved. A row's values
// are written in place (RowSink) into one array that keeps its size: emptying an array frees its
// store, and refilling it by push allocated a tenth of an ingest's garbage.

import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

const ROWS = 32;

/** Where a row's values go, in its statement's column order: values[at], values[at + 1], …, then `at` moves past them. */
export interface RowSink {
  readonly values: unknown[];
  at: number;
}

export class RowBuffer implements RowSink {
  readonly values: unknown[];
  at = 0;
  readonly #db: Db;
  readonly #head: string;
  readonly width: number;
  readonly #tuple: string;
  // a statement per row count: ROWS for the full batches, the others for what a flush leaves
  readonly #statements = new Map<number, Statement>();

  /** head: `INSERT INTO t (a, b, …)`; width: its column count. */
  constructor(db: Db, head: string, width: number) {
    this.#db = db;
    this.#head = head;
    this.width = width;
    this.#tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.values = new Array<unknown>(ROWS * width).fill(null);
  }

  /** A row was written at the end: a full batch goes to SQLite. */
  row(): void {
    if (this.at === this.values.length) {
      this.#statement(ROWS).run(...this.values);
      this.at = 0;
    }
  }

  /** Writes what is held: before anything reads these rows, and before the transaction commits. */
  flush(): void {
    if (this.at === 0) return;
    this.#statement(this.at / this.width).run(...this.values.slice(0, this.at));
    this.at = 0;
  }

  /** Drops what is held (a rolled-back transaction). */
  clear(): void {
    this.at = 0;
  }

  #statement(n: number): Statement {
    let st = this.#statements.get(n);
    if (st === undefined) {
      st = this.#db.prepare(`${this.#head} VALUES ${Array.from({ length: n }, () => this.#tuple).join(', ')}`);
      this.#statements.set(n, st);
    }
    return st;
  }
}
