// The readable output against golden files (colour off, UTC). Rewrite them only on purpose:
// UPDATE_GOLDEN=1 npx vitest run test/print

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSessions } from '../../src/query/sessions.js';
import { findTimelines } from '../../src/query/timelines.js';
import { prettySession } from '../../src/print/session.js';
import { prettyTimeline, summaryLine } from '../../src/print/pretty.js';
import { ingestPaths, REPO, tempDb } from '../helpers/lab.js';

const GOLDEN = join(REPO, 'test', 'print', 'golden');
const style = { color: false, zone: 'UTC' };

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
  expect(existsSync(file), `${name} missing: run with UPDATE_GOLDEN=1 once`).toBe(true);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const { db } = tempDb();
await ingestPaths(db, ['send', 'smtpd', 'smtpdr'].map((d) => join(REPO, 'samples', d)));

describe('pretty output (samples)', () => {
  const byQp = (qp: number) => [...findTimelines(db, { qp })].map((t) => prettyTimeline(t, style)).join('\n');
  it('a plain delivery with its exact SMTP session', () => golden('qp-9188.txt', byQp(9188)));
  it('a remote 451 retried until queuelifetime, bounced', () => golden('qp-9289.txt', byQp(9289)));
  it('a triple bounce', () => golden('qp-9265.txt', byQp(9265)));
  it('a forward whose copy bounced', () => golden('qp-9373.txt', byQp(9373) + '\n' + byQp(9380)));
  it('the message list', () => golden('messages.txt', [...findTimelines(db, {})].map((t) => summaryLine(t, style)).join('')));
  it('an rblsmtpd session and a dialogue with odd commands', () => {
    const s = [...findSessions(db, { pid: 9463 }), ...findSessions(db, { pid: 9428 })].map((v) => prettySession(v, style)).join('\n');
    golden('sessions.txt', s);
  });
});
