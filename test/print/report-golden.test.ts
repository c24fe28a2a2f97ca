// The text report against a golden file (colour off, UTC, "now" fixed): the shipped samples (the
// lab's b1 logs). The golden file was read line by line by a person before it was committed;
// rewrite it only on purpose: UPDATE_GOLDEN=1 npx vitest run test/print/report-golden.test.ts

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportText } from '../../src/print/report-text.js';
import { buildReport } from '../../src/report/build.js';
import { ingestPaths, REPO, tempDb } from '../helpers/lab.js';

const GOLDEN = join(REPO, 'test', 'print', 'golden', 'report-samples.txt');

describe('report text (samples)', () => {
  it('every section, as it is mailed', async () => {
    const { db } = tempDb();
    await ingestPaths(db, ['send', 'smtpd', 'smtpdr'].map((d) => join(REPO, 'samples', d)));
    const text = reportText(buildReport(db, { now: Date.parse('2026-11-25T18:00:00Z') * 1000 }), { color: false, zone: 'UTC' });
    db.close();
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
    expect(existsSync(GOLDEN), 'golden file missing: run with UPDATE_GOLDEN=1 once').toBe(true);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});
