// Issue 7, case 1: history in any order gives the store a one-shot ingest in time order would give.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestPaths, LAB, REPO, tempDb } from '../helpers/lab.js';
import { storeView, viewDiff } from '../helpers/store-view.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-order-'));

async function viewOf(runs: string[][]) {
  const { db } = tempDb();
  const results = [];
  for (const paths of runs) results.push(await ingestPaths(db, paths));
  const v = storeView(db);
  db.close();
  return { v, results };
}

function cut(src: string, at: number, dir: string, names: [string, string]): [string, string] {
  const lines = readFileSync(src, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const a = join(dir, names[0]);
  const b = join(dir, names[1]);
  writeFileSync(a, lines.slice(0, at).join('\n') + '\n');
  writeFileSync(b, lines.slice(at).join('\n') + '\n');
  return [a, b];
}

describe('older lines after newer ones', () => {
  it('samples/send/current cut in two, the second half first: the same store as one run', async () => {
    const dir = tmp();
    const [first, second] = cut(join(REPO, 'samples', 'send', 'current'), 339, dir, ['first.log', 'second.log']);
    const one = await viewOf([[join(REPO, 'samples', 'send', 'current')]]);
    const two = await viewOf([[second], [first]]);
    expect(two.results[1]!.segments).toBe(1);
    expect(two.results[1]!.stitched.messages).toBeGreaterThan(0);
    expect(viewDiff(two.v, one.v)).toBe('');
    expect(two.v).toEqual(one.v);
  });

  it('every cut of b1 send, later half first, gives the one-run store', async () => {
    const src = join(LAB, 'b1-scenarios', 'logs', 'send', 'current');
    const one = await viewOf([[src]]);
    const n = readFileSync(src, 'utf8').split('\n').length - 1;
    for (const at of [1, Math.floor(n / 7), Math.floor(n / 3), Math.floor(n / 2), n - 5]) {
      const dir = tmp();
      const [first, second] = cut(src, at, dir, ['a.log', 'b.log']);
      const two = await viewOf([[second], [first]]);
      expect(viewDiff(two.v, one.v), `cut at line ${at}`).toBe('');
    }
  });

  it('a multilog dir read current first, then its rotated @….s files (volume send, 20 000 messages)', async () => {
    const dir = join(LAB, 'volume', 'logs', 'send');
    const one = await viewOf([[dir]]);
    const two = await viewOf([[join(dir, 'current.gz')], [dir]]);
    expect(two.results[1]!.skippedFiles).toBe(1); // current.gz was read already
    expect(viewDiff(two.v, one.v)).toBe('');
  }, 120_000);

  it('smtpd sessions cut by the seam (inside dialogues, DATA bodies) are one session again, with their links', async () => {
    const src = join(REPO, 'samples', 'smtpdr', 'current');
    const send = join(REPO, 'samples', 'send');
    const one = await viewOf([[send, src]]);
    const lines = readFileSync(src, 'utf8').split('\n').length - 1;
    let joined = 0;
    for (const at of [7, Math.floor(lines / 5), Math.floor(lines / 2), Math.floor(lines * 0.77), lines - 3]) {
      const dir = tmp();
      mkdirSync(join(dir, 'smtpdr'));
      const [older, newer] = cut(src, at, join(dir, 'smtpdr'), ['@400000006b071fc300000000.s', 'current']);
      const two = await viewOf([[send, newer], [older]]);
      joined += two.results[1]!.stitched.sessions;
      expect(viewDiff(two.v, one.v), `cut at line ${at}`).toBe('');
    }
    expect(joined).toBeGreaterThan(0);
  });

  it('the volume batch, send and smtpdr, newest files first then their dirs: the one-run store', async () => {
    const logs = join(LAB, 'volume', 'logs');
    const one = await viewOf([[join(logs, 'send'), join(logs, 'smtpdr')]]);
    const two = await viewOf([[join(logs, 'send', 'current.gz'), join(logs, 'smtpdr', 'current.gz')],
      [join(logs, 'send'), join(logs, 'smtpdr')]]);
    expect(viewDiff(two.v, one.v)).toBe('');
  }, 180_000);
});
