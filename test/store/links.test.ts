// A bounce link reaches its two message rows: through the timelines the correlator hands with it,
// or by key where the writer has let the original go (it ended in an earlier commit) or where the
// store gave the original a `#n` after the link was made.

import { describe, expect, it } from 'vitest';
import { parseSendText } from '../../parsers/qmail-send.js';
import { Correlator, type Output } from '../../src/correlate/correlator.js';
import { openDb } from '../../src/store/db.js';
import { StoreWriter } from '../../src/store/writer.js';

const T0 = 1_795_628_986_000_000;

type Lines = ReadonlyArray<readonly [number, string]>;

const push = (c: Correlator, lines: Lines): void => {
  for (const [s, line] of lines) c.push(T0 + s * 1_000_000, 'vm', parseSendText(line)!);
};
const original: Lines = [
  [0, 'new msg 700'], [0.1, 'info msg 700: bytes 900 from <a@example.test> qp 10 uid 1001'],
  [0.2, 'starting delivery 1: msg 700 to remote nobody@example.net'],
  [0.9, 'delivery 1: failure: 550_no_such_user/'],
  [1, 'bounce msg 700 qp 20'], [1, 'end msg 700'],
];
const bounce: Lines = [[1.1, 'new msg 701'], [1.1, 'info msg 701: bytes 1500 from <> qp 20 uid 1002']];

// each link by the public ids of its two rows
const links = (db: ReturnType<typeof openDb>): unknown[] => db.prepare(`SELECT l.kind, l.qp, f.msg AS from_msg, f.dup AS from_dup,
  t.msg AS to_msg FROM links l JOIN messages f ON f.id = l.from_id JOIN messages t ON t.id = l.to_id`).all();

/** One run of qtrace over `commits` into `db`: a writer and a correlator, a commit after each group of lines. */
function ingest(db: ReturnType<typeof openDb>, ...commits: Lines[]): Output[] {
  const w = new StoreWriter(db);
  const c = new Correlator();
  return commits.map((lines, i) => {
    push(c, lines);
    const o = c.drain(i === commits.length - 1);
    w.transaction(() => w.output(o));
    return o;
  });
}

describe('bounce links in the store', () => {
  it('both messages in one commit: the link names their rows', () => {
    const db = openDb(':memory:');
    const [o] = ingest(db, [...original, ...bounce]);
    expect(o!.links.map((l) => [l.from, l.to])).toEqual([[`vm:${T0}:700`, `vm:${T0 + 1_100_000}:701`]]);
    expect(links(db)).toEqual([{ kind: 'bounce', qp: 20, from_msg: 700, from_dup: 0, to_msg: 701 }]);
  });

  it('the original ended and written in an earlier commit, its timeline let go: found by key', () => {
    const db = openDb(':memory:');
    const [, second] = ingest(db, original, bounce);
    expect(second!.links).toHaveLength(1);
    expect(second!.timelines.map((t) => t.msg)).toEqual([701]); // the original is not written again
    expect(links(db)).toEqual([{ kind: 'bounce', qp: 20, from_msg: 700, from_dup: 0, to_msg: 701 }]);
  });

  it('an original the store gives a #n (its id and stamp taken by an earlier run) is linked as #2', () => {
    const db = openDb(':memory:');
    ingest(db, [[0, 'new msg 700'], [0, 'end msg 700']]);
    // another run reads msg 700 at the same µs again: the correlator's key has no #n, the store's row does
    const [o] = ingest(db, [...original, ...bounce]);
    expect(o!.links[0]!.from).toBe(`vm:${T0}:700`);
    expect(links(db)).toEqual([{ kind: 'bounce', qp: 20, from_msg: 700, from_dup: 2, to_msg: 701 }]);
  });
});
