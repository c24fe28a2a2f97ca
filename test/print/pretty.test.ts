// The readable output against golden files (colour off, UTC). Rewrite them only on purpose:
// UPDATE_GOLDEN=1 npx vitest run test/print. Each file starts with a header, ended by a `# ---`
// line, saying who read it and what they checked; a rewritten file gets a NOT READ header and
// fails until a person has read it and replaced that header.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSessions } from '../../src/query/sessions.js';
import { findTimelines, timelineByKey } from '../../src/query/timelines.js';
import { prettySession, sessionSummary } from '../../src/print/session.js';
import { addressMatcher } from '../../src/query/address.js';
import { prettyTimeline, summaryLine } from '../../src/print/pretty.js';
import { ingestPaths, LAB, REPO, tempDb } from '../helpers/lab.js';

const GOLDEN = join(REPO, 'test', 'print', 'golden');
const style = { color: false, zone: 'UTC' };

const END = '# ---\n';
const NOT_READ = '# NOT READ YET: read every line below against the logs, then replace this header (who, when, what was checked)\n';

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  const split = (raw: string): { head: string; body: string } => {
    const i = raw.indexOf(END);
    return i < 0 ? { head: '', body: raw } : { head: raw.slice(0, i + END.length), body: raw.slice(i + END.length) };
  };
  if (process.env['UPDATE_GOLDEN'] === '1') {
    const old = existsSync(file) ? split(readFileSync(file, 'utf8')) : undefined;
    if (old?.body !== text) writeFileSync(file, NOT_READ + END + text);
  }
  expect(existsSync(file), `${name} missing: run with UPDATE_GOLDEN=1 once`).toBe(true);
  const { head, body } = split(readFileSync(file, 'utf8'));
  expect(head, `${name}: a golden file says who read it`).toMatch(/^# read by /);
  expect(head, `${name} was rewritten and not read yet`).not.toContain('NOT READ YET');
  expect(text).toBe(body);
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
  it('the message list for --to tammy-bob@: the recipient asked about, a failed one beside its own reason', () => {
    const m = addressMatcher('tammy-bob@');
    const list = [...findTimelines(db, { to: 'tammy-bob@', newestFirst: true })].map((t) => summaryLine(t, style, (r) => m.test(r.to)));
    golden('messages-to-tammy-bob.txt', list.join(''));
  });
  it('the session list: host names last, so they cannot push the columns', () => {
    golden('sessions-list.txt', [...findSessions(db, {})].map((v) => sessionSummary(v, style)).join(''));
  });
  it('an rblsmtpd session and a dialogue with odd commands', () => {
    const s = [...findSessions(db, { pid: 9463 }), ...findSessions(db, { pid: 9428 })].map((v) => prettySession(v, style)).join('\n');
    golden('sessions.txt', s);
  });
});

describe('pretty output (lab d1: qmail-send restarted twice while a message was queued)', async () => {
  const d1 = tempDb();
  await ingestPaths(d1.db, [join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')]);
  it('the attempts before and after the restarts, with the restart between them', () => {
    const t = timelineByKey(d1.db, 'vm:1795629957169947:1442036');
    expect(t).toBeDefined();
    golden('restart-1442036.txt', prettyTimeline(t!, style));
  });
});
