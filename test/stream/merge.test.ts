// mergeByTime: sources in time order, each kept in its own order; a source that says it is quiet
// (an empty batch: a live log with nothing new) does not hold the others back.

import { describe, expect, it } from 'vitest';
import { mergeByTime } from '../../src/ingest/merge.js';

interface T { at: number | null; s: string }

async function* from(batches: T[][], gate?: Promise<void>): AsyncGenerator<T[]> {
  for (const b of batches) {
    if (b.length === 0 && gate !== undefined) { yield b; await gate; continue; }
    yield b;
  }
}

async function all(g: AsyncGenerator<T[]>): Promise<{ items: string[]; ticks: number }> {
  const items: string[] = [];
  let ticks = 0;
  for await (const b of g) { if (b.length === 0) ticks++; for (const x of b) items.push(x.s); }
  return { items, ticks };
}

const t = (at: number, s: string): T => ({ at, s });

describe('mergeByTime', () => {
  it('merges by time, ties to the earlier source, lines without time at once', async () => {
    const r = await all(mergeByTime([from([[t(1, 'a1'), t(5, 'a5')], [t(9, 'a9')]]), from([[t(1, 'b1'), { at: null, s: 'bx' }, t(6, 'b6')]])]));
    expect(r.items).toEqual(['a1', 'b1', 'bx', 'a5', 'b6', 'a9']);
  });

  it('a quiet source does not hold back the others, and when all are quiet the tick is passed on', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    // smtpd gives one line then goes quiet until the gate opens; send goes on meanwhile
    const smtpd = from([[t(2, 's2')], [], [t(50, 's50')]], gate);
    const send = (async function* (): AsyncGenerator<T[]> {
      yield [t(1, 'q1')];
      yield [t(3, 'q3')];
      yield [t(4, 'q4')];
      yield [];             // send is quiet too: both are, the tick goes out
      open();
      yield [t(60, 'q60')];
    })();
    const r = await all(mergeByTime([send, smtpd]));
    // q3 and q4 went out while smtpd was quiet (its next line came only after them)
    expect(r.items.slice(0, 4)).toEqual(['q1', 's2', 'q3', 'q4']);
    // after both were quiet, lines go out as they come: neither waits for the other
    expect(r.items.slice(4).sort()).toEqual(['q60', 's50']);
    expect(r.ticks).toBeGreaterThan(0);
  });
});
