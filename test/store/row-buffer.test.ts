// The writer's batched inserts: rows reach SQLite 32 to a statement, the rest at a flush, none
// after a rollback; a writer whose transaction failed writes the same store as one that never did.

import { describe, expect, it } from 'vitest';
import { parseSendText } from '../../parsers/qmail-send.js';
import { Correlator, type Output } from '../../src/correlate/correlator.js';
import { openDb } from '../../src/store/db.js';
import { RowBuffer } from '../../src/store/row-buffer.js';
import { StoreWriter } from '../../src/store/writer.js';
import { keyOf } from '../../src/correlate/timeline.js';

const T0 = 1_795_628_986_000_000;

/** Real qmail-send shapes: n messages, each queued, delivered locally and ended. */
function output(n: number, from = 0): Output {
  const c = new Correlator();
  for (let i = from; i < from + n; i++) {
    const at = T0 + i * 1_000_000;
    const msg = 700_000 + i;
    for (const [dt, line] of [[0, `new msg ${msg}`], [1, `info msg ${msg}: bytes 800 from <s${i % 7}@example.test> qp ${3000 + i} uid 1001`],
      [2, `starting delivery ${i + 1}: msg ${msg} to local r${i % 5}@example.test`], [3, `delivery ${i + 1}: success: did_1+0+0/`],
      [4, `end msg ${msg}`]] as const) {
      c.push(at + dt * 1000, 'vm', parseSendText(line)!);
    }
  }
  return c.drain(true);
}

// every column of both tables, the interned ones by what they name
const rows = (db: ReturnType<typeof openDb>): unknown[] => db.prepare(`SELECT m.*, s.address AS sender, d.*, a.address AS recipient
  FROM messages m JOIN addresses s ON s.id = m.sender_id JOIN deliveries d ON d.message_id = m.id
  JOIN addresses a ON a.id = d.recipient_id ORDER BY m.id, d.seq`).all();

describe('RowBuffer', () => {
  it('sends full batches as they fill, the rest at flush, and nothing it was told to drop', () => {
    const db = openDb(':memory:');
    db.exec('CREATE TABLE t (a INTEGER, b TEXT)');
    const rb = new RowBuffer(db, 'INSERT INTO t (a, b)', 2);
    const count = (): number => db.prepare('SELECT count(*) FROM t').pluck().get() as number;
    const put = (a: number, b: string): void => { rb.values[rb.at++] = a; rb.values[rb.at++] = b; rb.row(); };
    for (let i = 0; i < 70; i++) put(i, `row ${i}`);
    expect(count()).toBe(64);                  // two batches of 32
    rb.flush();
    expect(count()).toBe(70);
    expect(db.prepare('SELECT a, b FROM t ORDER BY rowid').all().at(-1)).toEqual({ a: 69, b: 'row 69' });
    put(70, 'dropped'); rb.clear(); rb.flush();
    expect(count()).toBe(70);
  });
});

describe('StoreWriter with batched rows', () => {
  it('writes 100 messages and their attempts as a row at a time would: ids in order, every column in place', () => {
    const db = openDb(':memory:');
    const w = new StoreWriter(db);
    const o = output(100);
    w.transaction(() => w.output(o));
    const r = rows(db) as Array<Record<string, unknown>>;
    expect(r.length).toBe(100);
    expect(r.map((x) => x['id'])).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const { sender_id: _s, recipient_id: _r, reason_id: _t, ...row } = r[37]!;
    expect(row).toEqual({
      id: 38, host: 'vm', msg: 700_037, first_us: T0 + 37_000_000, dup: 0, queued_d: 0, info_d: 1000, ended_d: 4000, partial: 0, lost: 0,
      bytes: 800, qp: 3037, uid: 1001, bounce_qp: null, triple_bounce: 0, segment: 0, sender: 's2@example.test',
      message_id: 38, seq: 0, run: 1, did: 38, channel: 0, started_d: 2000, finished_d: 3000, result: 0, smtp_code: null, dsn: null,
      remote_ip: null, too_long: 0, forward_qp: null, rcpt: 0, last: 1, outcome: 0, attempts: 1, recipient: 'r2@example.test',
    });
  });

  it('a transaction that fails half-way leaves no rows, and the writer then writes what a fresh one would', () => {
    const clean = openDb(':memory:');
    const cw = new StoreWriter(clean);
    const first = output(40), second = output(45, 40);
    cw.transaction(() => cw.output(first));
    cw.transaction(() => cw.output(second));

    const db = openDb(':memory:');
    const w = new StoreWriter(db);
    w.transaction(() => w.output(first));
    const failing = output(45, 40);
    expect(() => w.transaction(() => { w.output(failing); throw new Error('disk full'); })).toThrow('disk full');
    expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(40);
    w.transaction(() => w.output(second));
    expect(rows(db)).toEqual(rows(clean));
  });

  it('an id taken in the store and by a row still in the buffer: each new row gets the next free #n', () => {
    const db = openDb(':memory:');
    const w1 = new StoreWriter(db);
    w1.transaction(() => w1.output(output(1)));
    // a later run reads the same stamp again: msg 700000 twice in one µs (the first reused before its end)
    const c = new Correlator();
    for (const line of ['new msg 700000', 'new msg 700000', 'end msg 700000']) c.push(T0, 'vm', parseSendText(line)!);
    const o = c.drain(true);
    expect(o.timelines.map(keyOf)).toEqual([`vm:${T0}:700000`, `vm:${T0}:700000#2`]);
    const w2 = new StoreWriter(db);
    w2.transaction(() => w2.output(o));
    // #2 went to the first new row while it waited in the buffer: the second takes #3, not #2 again
    expect(db.prepare('SELECT dup FROM messages ORDER BY id').pluck().all()).toEqual([0, 2, 3]);
    expect(o.timelines.map(keyOf)).toEqual([`vm:${T0}:700000#2`, `vm:${T0}:700000#3`]);
  });

  it('a message logged as ended while an attempt still runs is updated in place when the result comes, and not after', () => {
    const db = openDb(':memory:');
    const w = new StoreWriter(db);
    const c = new Correlator();
    const push = (dt: number, line: string): void => c.push(T0 + dt * 1000, 'vm', parseSendText(line)!);
    push(0, 'new msg 700001'); push(1, 'info msg 700001: bytes 800 from <s@example.test> qp 3001 uid 1001');
    push(2, 'starting delivery 1: msg 700001 to remote r@example.test'); push(3, 'end msg 700001');
    w.transaction(() => w.output(c.drain()));
    push(4, 'delivery 1: success: 192.0.2.7_accepted_message./Remote_host_said:_250_ok/');
    push(5, 'new msg 700002'); push(6, 'end msg 700002');
    w.transaction(() => w.output(c.drain()));
    push(7, 'status: exiting');                                    // no attempt is left running: nothing to rewrite
    w.transaction(() => w.output(c.drain(true)));
    expect(db.prepare('SELECT msg, dup, ended_d FROM messages ORDER BY id').all()).toEqual([
      { msg: 700_001, dup: 0, ended_d: 3000 }, { msg: 700_002, dup: 0, ended_d: 1000 }]);
    expect(db.prepare('SELECT message_id, result, finished_d, remote_ip FROM deliveries').all())
      .toEqual([{ message_id: 1, result: 0, finished_d: 4000, remote_ip: '192.0.2.7' }]);
  });
});
