// The live records of real lab logs: every record fits schemas/live-record.schema.json, every
// delivery result names its message and recipient, and the end-of-message summaries alone
// reproduce the lab's ground truth (outcomes, bounce chains, forwards, triple bounce).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import type { TimelineView } from '../../src/query/view.js';
import type { LiveRecord, MessageRecord } from '../../src/live/records.js';
import { liveObserver } from '../../src/live/sink.js';
import { allTimelines, haveLab, LAB, loadTruth, REPO, tempDb } from '../helpers/lab.js';
import { checkTruth } from '../helpers/truth-check.js';

const validate = (() => {
  const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'live-record.schema.json'), 'utf8')));
})();

async function liveRecords(batch: string, dirs: string[]) {
  const { db } = tempDb();
  const records: LiveRecord[] = [];
  let commits = 0;
  const r = await ingestToStore(db, expandInputs(dirs.map((d) => join(LAB, batch, 'logs', d)), 'stdin'), {
    host: 'vm', commitLines: 500, // many commits, as a live pipe makes
    observer: liveObserver({ emit: (recs) => { commits++; records.push(...recs); } }),
  });
  return { db, r, records, commits };
}

/**
 * Summaries as the views checkTruth reads (it needs no attempts). A bounce queued after its
 * original ended is named only by the bounce's own summary (bounce_of): joined here, as a
 * consumer of the stream would.
 */
function asViews(all: readonly MessageRecord[]): TimelineView[] {
  const bounceOf = new Map<string, string>();
  const forwardOf = new Map<string, string[]>();
  for (const m of all) {
    if (m.bounce_of !== null) bounceOf.set(m.bounce_of, m.key);
    if (m.forward_of !== null) forwardOf.set(m.forward_of, [...(forwardOf.get(m.forward_of) ?? []), m.key]);
  }
  return all.map((m) => asView(m, bounceOf.get(m.key) ?? null, forwardOf.get(m.key) ?? []));
}

function asView(m: MessageRecord, bounceKey: string | null, forwardKeys: string[]): TimelineView {
  return {
    id: m.key, host: m.host, msg: m.id, first_seen: m.queued ?? m.time, queued: m.queued, ended: m.lost ? null : m.time,
    queue_seconds: m.queue_seconds, partial: m.partial, lost: m.lost, bytes: m.bytes, from: m.from, qp: m.qp, uid: null,
    deliveries: [], recipients: m.recipients.map((x) => ({ to: x.to, channel: x.channel, outcome: x.outcome, attempts: x.attempts })),
    bounce: m.bounce === null ? null : { qp: m.bounce.qp, id: m.bounce.key ?? bounceKey }, bounce_of: m.bounce_of,
    triple_bounce: m.triple_bounce, forwards: m.forwards.map((f, i) => ({ qp: f.qp, id: f.key ?? forwardKeys[i] ?? null })), forward_of: m.forward_of,
    session: null,
  };
}

describe.skipIf(!haveLab())('live records', () => {
  it('b1-scenarios (send, smtpd, smtpdr): schema, resolved deliveries, summaries = ground truth, session links', async () => {
    const { db, r, records, commits } = await liveRecords('b1-scenarios', ['send', 'smtpd', 'smtpdr']);
    expect(commits).toBeGreaterThan(1);
    const bad = records.filter((x) => !validate(x)).slice(0, 3).map((x) => ({ x, errors: validate.errors }));
    expect(bad).toEqual([]);
    const events = records.filter((x) => x.type === 'event');
    // one record per parsed line: every line of these logs is an event (none unknown, none duplicate)
    expect(r.unknown).toBe(0);
    expect(events.length).toBe(r.events);
    const results = events.filter((x) => x.kind === 'delivery_result');
    expect(results.length).toBeGreaterThan(70);
    expect(results.filter((x) => x.key === undefined || x.to === undefined || x.channel === undefined)).toEqual([]);
    expect(results.every((x) => x.attempt_seconds !== undefined && x.attempt_seconds >= 0)).toBe(true);
    const summaries = records.filter((x): x is MessageRecord => x.type === 'message');
    const stored = allTimelines(db);
    expect(summaries.length).toBe(stored.filter((t) => t.ended !== null || t.lost).length);
    const res = checkTruth(loadTruth('b1-scenarios'), asViews(summaries));
    expect(res.mismatches).toEqual([]);
    expect(res.messagesChecked).toBe(46);
    expect(res.tripleBounces).toBe(1);
    expect(res.forwardsChecked).toBe(2);
    // recordio (port 2526) sessions: the summary names the session the store links at the end
    const linked = summaries.filter((m) => m.session !== null);
    expect(linked.length).toBeGreaterThanOrEqual(21);
    const byKey = new Map(stored.map((t) => [t.id, t]));
    for (const m of linked) expect(m.session!.key, m.key).toBe(byKey.get(m.key)!.session?.id);
    expect(linked.filter((m) => m.session!.link === 'exact').length).toBe(21);
    db.close();
  });

  it('d1-syslog-restart: qmail-send restarts become notices, interrupted deliveries still resolve', async () => {
    const { db, records } = await liveRecords('d1-syslog-restart', ['maillog.gz']);
    expect(records.filter((x) => !validate(x))).toEqual([]);
    const restarts = records.filter((x) => x.type === 'notice' && x.text.startsWith('qmail-send restarted'));
    expect(restarts.length).toBeGreaterThanOrEqual(2); // two restarts during deliveries (events.txt)
    expect(restarts.every((x) => x.level === 40)).toBe(true);
    const res = checkTruth(loadTruth('d1-syslog-restart'), asViews(records.filter((x): x is MessageRecord => x.type === 'message')));
    expect(res.mismatches).toEqual([]);
    expect(res.messagesChecked).toBe(121);
    // one syslog file holds recordio too: the live links are the store's (51 exact at the end)
    const summaries = records.filter((x): x is MessageRecord => x.type === 'message');
    const linked = summaries.filter((m) => m.session !== null);
    const byKey = new Map(allTimelines(db).map((t) => [t.id, t]));
    for (const m of linked) expect(m.session!.key, m.key).toBe(byKey.get(m.key)!.session?.id);
    // every exact link, and the inferred ones the store had made by the time the summary went out
    expect(linked.filter((m) => m.session!.link === 'exact').length).toBe(51);
    expect(linked.length).toBeGreaterThan(51);
    expect(linked.length).toBeLessThanOrEqual([...byKey.values()].filter((t) => t.session !== null).length);
    db.close();
  });
});
