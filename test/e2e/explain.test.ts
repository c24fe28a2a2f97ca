// `qtrace explain` through the built CLI, on the lab's configuration rebuilt in a temp dir, with
// the lab's real logs as the evidence of step 6.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qtrace } from '../helpers/cli.js';
import { LAB, tempDb, ingestPaths } from '../helpers/lab.js';
import { buildLabTree } from '../explain/helpers.js';

const { tree } = buildLabTree();
const { db, path: dbPath } = tempDb();
await ingestPaths(db, ['send', 'smtpd', 'smtpdr'].map((d) => join(LAB, 'b1-scenarios', 'logs', d)));
db.close();
afterAll(() => tree.cleanup());

describe('qtrace explain (CLI, lab configuration, lab logs)', () => {
  it('tammy-whatever: accepted, local, .qmail-default, delivered — and the logs agree', () => {
    const r = qtrace(['explain', 'tammy-whatever@mx.example.test', '--sysroot', tree.sys, '--db', dbPath]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\.qmail-default/);
    expect(r.stdout).toMatch(/tammy-whatever@mx\.example\.test/);
    expect(r.stdout).toMatch(/delivered/);
  });

  it('carol@virt.example.test would bounce (exit 1); the log shows the failed delivery to vuser-carol', () => {
    const r = qtrace(['explain', 'carol@virt.example.test', '--sysroot', tree.sys, '--db', dbPath, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as { verdict: { delivery: string }; steps: Array<{ kind: string; data?: unknown }> };
    expect(j.verdict.delivery).toBe('bounce');
    const ev = JSON.stringify(j.steps.find((s) => s.kind === 'evidence'));
    expect(ev).toMatch(/vuser-carol@virt\.example\.test/);
    expect(ev).toMatch(/"outcome":"failed"/);
  });

  it('an address outside rcpthosts is refused at SMTP; the session that tried it is shown', () => {
    const r = qtrace(['explain', 'someone@elsewhere.test', '--sysroot', tree.sys, '--db', dbPath]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/rcpthosts/);
  });

  it('usage errors: one line, exit 2', () => {
    const r = qtrace(['explain', 'x@y', '--root', join(tree.sys, 'nope')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const m = qtrace(['explain', 'x@y', '--sysroot', tree.sys, '--db', join(tree.sys, 'missing.db')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/^qtrace: no database/);
  });
});
