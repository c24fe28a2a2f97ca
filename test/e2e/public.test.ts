// The public excerpts (2003–2020 servers): dirty on purpose. Nothing crashes, glued lines are
// split, indimail's queues are kept apart, and what stays unknown is what really is.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTimelines, ingestPaths, PUBLIC, tempDb } from '../helpers/lab.js';

async function ingest(file: string, tz = 'UTC') {
  const { db } = tempDb();
  const r = await ingestPaths(db, [join(PUBLIC, file)], { host: 'pub', tz });
  const t = allTimelines(db);
  const unknown = db.prepare('SELECT raw FROM unknown_lines ORDER BY line_no').pluck().all() as string[];
  db.close();
  return { r, t, unknown };
}

describe('public excerpts', () => {
  it('splogger blog sample: the glued info/starting lines are split; the message is whole', async () => {
    const { t, unknown } = await ingest('denbaguse-blog-splogger-syslog-2010.log');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ host: 'denbaguse', msg: 78833, qp: 13750, uid: 0, partial: false });
    expect(t[0]!.recipients).toEqual([{ to: 'testaja.lg-postmaster@testaja.lg', channel: 'local', outcome: 'delivered', attempts: 1 }]);
    // a CHKUSER line the blog wrapped in two: neither half is a whole line
    expect(unknown).toHaveLength(2);
    expect(unknown[0]).toMatch(/CHKUSER accepted any rcpt: from <test@testaja\.com:postmaster@testaja\.lg:> remote$/);
  });

  it('indimail multi-queue (tai64nlocal): ids are per queue, the queue is part of the host', async () => {
    const { r, t } = await ingest('indimail-readme-deliver25-tai64nlocal-2020.log');
    expect(r.unknown).toBe(0);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ host: 'pub/queue5', msg: 100926020, qp: 555, queued: '2020-06-25T08:00:09.681525Z' });
    expect(t[0]!.recipients[0]!.outcome).toBe('delivered');
  });

  it('the 2003 plover log: a forward to qp 31067 whose copy is outside the excerpt', async () => {
    const { t } = await ingest('hop-mjd-plover-qmail-send-multilog-2003.log');
    expect(t[0]!.forwards).toEqual([{ qp: 31067, id: null }]);
    expect(t[0]!.queued).toBe('2003-01-29T19:18:30.891207Z'); // @400000003e382910351ebf4c
  });

  it('s/qmail: a TLS remote delivery and a message still queued at the end of the excerpt', async () => {
    const { t } = await ingest('fehcom-sqmail-doc12-qmail-send-2018.log');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ ended: null, partial: true, qp: 17808, msg: 28857444 });
    expect(t[0]!.deliveries[0]).toMatchObject({ result: 'success', smtp_code: 250, remote_ip: '1.2.3.4' });
  });
});
