// `qtrace report` on the lab batches: its totals against the ground truth (built from the mail that
// arrived, never from the logs), its JSON against the schema, its text sections.

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportText } from '../../src/print/report-text.js';
import { buildReport } from '../../src/report/build.js';
import { reasonTemplate } from '../../src/report/template.js';
import type { ReportView } from '../../src/report/view.js';
import { qtrace } from '../helpers/cli.js';
import { ingestPaths, LAB, loadTruth, REPO, tempDb, type Truth } from '../helpers/lab.js';

interface Batch { readonly batch: string; readonly inputs: readonly string[] }
const BATCHES: readonly Batch[] = [
  { batch: 'b1-scenarios', inputs: ['logs/send', 'logs/smtpd', 'logs/smtpdr'] },
  { batch: 'd1-syslog-restart', inputs: ['logs/maillog.gz'] },
  { batch: 'd2-local-time', inputs: ['logs/send', 'logs/smtpd', 'logs/smtpdr'] },
  { batch: 'volume', inputs: ['logs/send'] },
];

/**
 * What the truth says the report must count. Recipients of the injected messages as observed in the
 * mailboxes; plus one recipient per bounce message (landed: delivered; a bounce the remote refused is
 * seen as the double bounce it caused) and per forwarded copy.
 */
function expected(t: Truth) {
  let delivered = 0, failed = 0;
  for (const m of t.messages) {
    for (const r of m.recipients) {
      const o = r.observed;
      if (o.startsWith('rejected at SMTP') || o.startsWith('not queued')) continue;
      if (o.startsWith('delivered') || o.startsWith('deferred-then-delivered') || o.startsWith('forwarded')) delivered++;
      else failed++;
      if (o.startsWith('forwarded')) { // the copy is a message of its own
        if (o.slice(o.indexOf('->') + 3).startsWith('delivered')) delivered++;
        else failed++;
      }
    }
  }
  const sender = new Map(t.messages.map((m) => [m.token, m.envelope_sender]));
  // a double bounce of a message with a real sender means that sender's bounce failed
  const failedBounces = t.bounce_messages.filter((b) => b.kind === 'double-bounce' && b.tokens.some((k) => sender.get(k) !== '')).length;
  return {
    delivered: delivered + t.bounce_messages.length,
    failed: failed + failedBounces,
    bounces: t.bounce_messages.length + failedBounces,
    doubles: t.bounce_messages.filter((b) => b.kind === 'double-bounce').length,
  };
}

async function reportOf(b: Batch): Promise<ReportView> {
  const { db } = tempDb();
  try {
    await ingestPaths(db, b.inputs.map((i) => join(LAB, b.batch, i)), { host: 'vm' });
    return buildReport(db, {});
  } finally {
    db.close();
  }
}

describe('report totals equal the ground truth', () => {
  for (const b of BATCHES) {
    it(b.batch, async () => {
      const r = await reportOf(b);
      const want = expected(loadTruth(b.batch));
      const t = r.totals;
      expect({ delivered: t.delivered, failed: t.failed, deferred: t.deferred, pending: t.pending, still_queued: t.still_queued })
        .toEqual({ delivered: want.delivered, failed: want.failed, deferred: 0, pending: 0, still_queued: 0 });
      expect(t.recipients).toBe(t.delivered + t.failed);
      expect(t.bounces).toBe(want.bounces);
      expect(t.double_bounces).toBe(want.doubles);
      // the hours add up to the attempts, and the ddist covers every successful delivery
      expect(r.hours.reduce((a, h) => a + h.delivered + h.failed + h.deferred, 0)).toBe(t.attempts);
      expect(r.hours.reduce((a, h) => a + h.queued, 0)).toBe(t.messages);
      expect(r.delays.local.count + r.delays.remote.count).toBe(r.hours.reduce((a, h) => a + h.delivered, 0));
      expect(r.failures.reduce((a, f) => a + f.count, 0)).toBe(r.hours.reduce((a, h) => a + h.failed, 0));
      expect(r.deferrals.reduce((a, f) => a + f.count, 0)).toBe(t.deferral_attempts);
    }, 60_000);
  }

  it('d1: two restarts, sessions counted; b1: backscatter and the triple bounce', async () => {
    const d1 = await reportOf(BATCHES[1]!);
    expect(d1.totals.restarts).toBe(2);            // two `svc -t` while deliveries ran (lab events.txt)
    expect(d1.totals.sessions.total).toBeGreaterThan(0);
    const b1 = await reportOf(BATCHES[0]!);
    expect(b1.totals.triple_bounces).toBe(1);      // b1-016
    // b1-013's bounce went to the sink (delivered); b1-014's was refused with 550 (→ double bounce)
    expect(b1.backscatter).toMatchObject({ bounces_to_remote: 2, failed: 1 });
    expect(b1.totals.sessions.rejected_by.map((x) => x.key)).toEqual(expect.arrayContaining(['tcprules deny']));
    const sink550 = b1.failures.find((f) => f.template.includes('550 lab sink: no such user here'));
    expect(sink550?.template).toBe('<ip> does not like recipient. / Remote host said: 550 lab sink: no such user here / Giving up on <ip>.');
    expect(sink550?.example).toContain('127.0.0.1 does not like recipient.');
  }, 60_000);
});

describe('report output', () => {
  it('json validates against schemas/report.schema.json; text has every section, "none" where empty', () => {
    const dir = join(LAB, 'b1-scenarios', 'logs');
    const { path, db } = tempDb();
    db.close();
    const ing = qtrace(['ingest', '--db', path, '--host', 'vm', join(dir, 'send'), join(dir, 'smtpd'), join(dir, 'smtpdr')]);
    expect(ing.status, ing.stderr).toBe(0);
    const j = qtrace(['report', '--db', path, '--format', 'json']);
    expect(j.status, j.stderr).toBe(0);
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'report.schema.json'), 'utf8')));
    const view = JSON.parse(j.stdout) as ReportView;
    expect(validate(view), JSON.stringify(validate.errors)).toBe(true);

    const t = qtrace(['report', '--db', path, '--tz', 'UTC']);
    expect(t.status, t.stderr).toBe(0);
    for (const title of ['Grand totals', 'Per-hour traffic', 'Delivery delays', 'Top senders', 'Top senders by bytes', 'Top recipients',
      'Top recipients by bytes', 'Top recipient domains', 'Top recipient domains by bytes',
      'Top remote hosts', 'Top SMTP clients', 'Top injecting uids', 'Failure reasons', 'Deferral reasons', 'Stuck messages',
      'Backscatter', 'qmail-send warnings and alerts']) {
      const at = t.stdout.indexOf(`\n${title}`);
      expect(at, title).toBeGreaterThan(0);
      const line = t.stdout.slice(at + 1).split('\n');
      expect(line[1]).toMatch(/^-+$/);                     // underlined
      expect(line[1]!.length).toBe(line[0]!.length);
    }
    expect(t.stdout).toMatch(/qmail-send warnings and alerts\n-+\n {2}none\n/);
    expect(t.stdout).toMatch(/ {2}messages queued +70\n/);
    // a window that holds nothing still prints every section
    const empty = qtrace(['report', '--db', path, '--since', '2030-01-01', '--until', '2030-01-02']);
    expect(empty.status).toBe(0);
    expect(empty.stdout).toMatch(/Top senders\n-+\n {2}none\n/);
    expect(qtrace(['report', '--db', path, '--stuck', 'soon']).stderr).toMatch(/^qtrace: cannot read --stuck 'soon'/);
  }, 60_000);

  it('strings from the log are escaped in text', () => {
    const view = structuredClone(emptyView());
    (view.top as { senders: unknown }).senders = [{ key: '<evil\x1b[31m@x>', count: 1, bytes: 1 }];
    const out = reportText(view, { color: false, zone: 'UTC' });
    expect(out).toContain('<evil\\x1b[31m@x>');
    expect(out).not.toContain('\x1b');
  });

  it('reason templates keep the SMTP code and the enhanced status, mask the rest', () => {
    expect(reasonTemplate('Remote host said: 550 5.1.1 <bob@example.com>: user unknown id=A1B2C3D4E5\n'))
      .toBe('Remote host said: 550 5.1.1 <addr>: user unknown id=<id>');
    expect(reasonTemplate('Sorry, I wasn\'t able to establish an SMTP connection. (#4.4.1)\n'))
      .toBe('Sorry, I wasn\'t able to establish an SMTP connection. (#4.4.1)');
    expect(reasonTemplate('10.0.0.7 failed after I sent the message.\nRemote host said: 451 try again in 300 seconds\n'))
      .toBe('<ip> failed after I sent the message. / Remote host said: 451 try again in N seconds');
  });
});

describe('report windows and hosts', () => {
  it('a window counts the messages first seen in it; one cut in two adds up; --host keeps to its host', async () => {
    const { db } = tempDb();
    try {
      await ingestPaths(db, [join(LAB, 'b1-scenarios', 'logs', 'send')], { host: 'vm' });
      await ingestPaths(db, [join(LAB, 'd2-local-time', 'logs', 'send')], { host: 'other' });
      const all = buildReport(db, {});
      const cut = Date.parse('2026-11-25T17:50:00Z') * 1000;   // b1 ran 17:49:46–17:51:52
      const before = buildReport(db, { until: cut, host: 'vm' }), after = buildReport(db, { since: cut, host: 'vm' });
      const vm = buildReport(db, { host: 'vm' }), other = buildReport(db, { host: 'other' });
      expect(vm.totals.messages).toBe(70);                     // zoverall's completed messages for b1
      expect(other.totals.messages).toBe(62);                  // and for d2
      expect(vm.totals.messages + other.totals.messages).toBe(all.totals.messages);
      expect(before.totals.messages + after.totals.messages).toBe(vm.totals.messages);
      expect(before.totals.delivered + after.totals.delivered).toBe(vm.totals.delivered);
      expect(before.totals.messages).toBeGreaterThan(0);
      expect(after.totals.messages).toBeGreaterThan(0);
      // b1-021 (queued 17:49:46, bounced after queuelifetime at 17:51:51) was still queued at the cut
      expect(after.window.queued_before_still_open).toBeGreaterThan(0);
      expect(after.window.counting).toMatch(/messages queued before it are left out/);
      expect(other.top.recipient_domains.map((d) => d.key)).not.toContain('mxself.example.org'); // a b1-only domain
    } finally {
      db.close();
    }
  }, 60_000);
});

function emptyView(): ReportView {
  const { db } = tempDb();
  try { return buildReport(db, {}); } finally { db.close(); }
}
