// Every message of the lab's ground truth, as qtrace reconstructs it from the real logs.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTimelines, ingestPaths, LAB, loadTruth, tempDb } from '../helpers/lab.js';
import { checkTruth } from '../helpers/truth-check.js';

async function run(batch: string, inputs: string[], opts: { tz?: string } = {}) {
  const { db } = tempDb();
  const r = await ingestPaths(db, inputs.map((p) => join(LAB, batch, 'logs', p)), opts);
  const res = checkTruth(loadTruth(batch), allTimelines(db));
  db.close();
  return { r, res };
}

describe('ground truth', () => {
  it('b1-scenarios: every scenario, bounce, double and triple bounce, forward', async () => {
    const { r, res } = await run('b1-scenarios', ['send']);
    expect(res.mismatches).toEqual([]);
    expect(r.unknown).toBe(0);
    expect(res.messagesChecked).toBe(46); // 47 tokens; b1-043 was refused at DATA (552 databytes)
    expect(res.tripleBounces).toBe(1);
    expect(res.forwardsChecked).toBe(2);
    expect(res.bouncesChecked).toBeGreaterThan(20);
  });

  it('d1-syslog-restart: splogger via rsyslog, two restarts during deliveries (three syslog formats)', async () => {
    for (const f of ['maillog.gz', 'maillog.rfc3339.gz', 'maillog.rfc5424.gz']) {
      const { r, res } = await run('d1-syslog-restart', [f]);
      expect(res.mismatches, f).toEqual([]);
      expect(res.messagesChecked, f).toBe(121);
      expect(r.joined, f).toBe(2);
    }
  });

  it('d2-local-time: tai64nlocal copies read with --tz Europe/Berlin equal the TAI64N originals', async () => {
    const a = await run('d2-local-time', ['send.tai64nlocal-Europe-Berlin/current'], { tz: 'Europe/Berlin' });
    expect(a.res.mismatches).toEqual([]);
    expect(a.res.messagesChecked).toBe(60);
    expect(a.res.forwardsChecked).toBe(1);
    const b = await run('d2-local-time', ['send']);
    expect(b.res.mismatches).toEqual([]);
  });

  it('a whole logs/ directory: multilog dirs and every syslog copy at once, each line taken once', async () => {
    for (const batch of ['b1-scenarios', 'd1-syslog-restart', 'd2-local-time']) {
      const { r, res } = await run(batch, ['.']);
      expect(res.mismatches, batch).toEqual([]);
      expect(r.unknown, batch).toBe(0);
    }
    // d1: maillog in three formats plus the smtpd/smtpdr dirs; d2: the tai64nlocal copies are not read
    const d1 = await run('d1-syslog-restart', ['.']);
    expect(d1.r.sessions).toBe(94);
    expect(d1.r.messagesTouched).toBe(162);
    const d2 = await run('d2-local-time', ['.']);
    expect(d2.r.files).toBe(3);
  });

  it('volume: 20,000 messages and 2,662 bounces from gzipped multilog files', async () => {
    const { r, res } = await run('volume', ['send']);
    expect(r.lines).toBe(179_410);
    expect(res.mismatches.slice(0, 20)).toEqual([]);
    expect(res.messagesChecked).toBe(20_000);
    expect(res.recipientsChecked).toBe(23_778);
  });
});
