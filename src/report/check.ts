// `qtrace check`: a few numbers read from the store around "now", each held against its warning
// and critical thresholds (Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

import type { Db } from '../store/db.js';
import { RESULT } from '../store/rows.js';
import { newestPerStream } from './newest.js';

export interface Threshold { readonly warn: number; readonly crit: number }

export interface CheckOptions {
  readonly now: number;                  // µs
  readonly windowUs: number;             // failure/deferral rates, alerts, rejections over this
  readonly stuckAgeUs: number;           // "still queued older than"
  readonly queueLifetimeUs: number;      // qmail bounces what is older: no need to look further back
  readonly host?: string | undefined;
  readonly minAttempts: number;          // rates need this many attempts to count
  readonly stuck: Threshold;             // messages
  readonly failPct: Threshold;           // % of attempts
  readonly deferPct: Threshold;          // % of attempts
  readonly staleUs: Threshold;           // age of the newest line, per stream (the stalest decides)
  readonly alerts: Threshold;            // qmail-send alert: lines
  readonly rejectsPerMin: Threshold;     // SMTP sessions turned away per minute
}

export interface Metric {
  readonly name: string;                 // perfdata label
  readonly value: number | null;         // null: not measured (too few attempts, no stream)
  readonly uom: '' | '%' | 's';
  readonly threshold: Threshold;
  readonly state: 0 | 1 | 2;
  readonly text: string;                 // for the status line
}

export interface CheckResult {
  readonly state: 0 | 1 | 2 | 3;
  readonly metrics: readonly Metric[];
  readonly streams: ReadonlyArray<{ readonly stream: string; readonly age_seconds: number }>; // perfdata only
}

function judge(v: number | null, t: Threshold): 0 | 1 | 2 {
  if (v === null) return 0;
  return v >= t.crit ? 2 : v >= t.warn ? 1 : 0;
}

export function runCheck(db: Db, o: CheckOptions): CheckResult {
  const from = o.now - o.windowUs;
  const host = o.host === undefined ? '' : ' AND m.host = @host';
  const hp = o.host === undefined ? {} : { host: o.host };

  const stuck = db.prepare(`SELECT count(*) FROM messages m
      WHERE m.first_us >= @old AND m.first_us < @cut AND m.ended_d IS NULL AND m.lost = 0${host}`)
    .pluck().get({ old: o.now - o.queueLifetimeUs - 86400e6, cut: o.now - o.stuckAgeUs, ...hp }) as number;

  // attempts in the window, of mail queued up to a day before it (a day of messages by index; older retries are left out)
  const a = db.prepare(`SELECT count(*) AS n, sum(d.result = ${RESULT.failure}) AS f, sum(d.result = ${RESULT.deferral}) AS z
      FROM messages m JOIN deliveries d ON d.message_id = m.id
      WHERE m.first_us >= @old AND m.first_us < @now${host}
        AND d.result IN (${RESULT.success}, ${RESULT.failure}, ${RESULT.deferral})
        AND m.first_us + d.finished_d >= @from AND m.first_us + d.finished_d < @now`)
    .get({ old: from - 86400e6, now: o.now, from, ...hp }) as
    { n: number; f: number | null; z: number | null };
  const enough = a.n >= o.minAttempts;
  const failPct = enough ? (100 * (a.f ?? 0)) / a.n : null;
  const deferPct = enough ? (100 * (a.z ?? 0)) / a.n : null;

  const streams = newestPerStream(db, o.host);
  let stalest: { stream: string; age: number } | null = null;
  for (const [stream, last] of streams) {
    const age = o.now - last;
    if (stalest === null || age > stalest.age) stalest = { stream, age };
  }

  const alerts = db.prepare(`SELECT count(*) FROM notices WHERE level = 'alert' AND at_us >= ? AND at_us < ?${o.host === undefined ? '' : ' AND host = ?'}`)
    .pluck().get(...[from, o.now, ...(o.host === undefined ? [] : [o.host])]) as number;
  const rejected = db.prepare(`SELECT count(*) FROM sessions WHERE start_us >= ? AND start_us < ? AND queued = 0${o.host === undefined ? '' : ' AND host = ?'}`)
    .pluck().get(...[from, o.now, ...(o.host === undefined ? [] : [o.host])]) as number;
  const perMin = rejected / (o.windowUs / 60e6);

  const pct = (x: number | null): string => (x === null ? `n/a (${a.n} attempts)` : `${x.toFixed(1)}%`);
  const m = (name: string, value: number | null, uom: Metric['uom'], t: Threshold, text: string): Metric =>
    ({ name, value, uom, threshold: t, state: judge(value, t), text });
  const staleS = stalest === null ? null : Math.max(0, stalest.age / 1e6);
  const staleT = { warn: o.staleUs.warn / 1e6, crit: o.staleUs.crit / 1e6 };
  const metrics = [
    m('stuck', stuck, '', o.stuck, `${stuck} queued over ${Math.round(o.stuckAgeUs / 60e6)}m`),
    m('failure_rate', failPct, '%', o.failPct, `failures ${pct(failPct)}`),
    m('deferral_rate', deferPct, '%', o.deferPct, `deferrals ${pct(deferPct)}`),
    m('newest_line_age', staleS, 's', staleT, stalest === null ? 'no stream read yet'
      : `newest line of ${stalest.stream} ${Math.round(staleS!)}s old`),
    m('alerts', alerts, '', o.alerts, `${alerts} alerts`),
    m('rejections_per_min', Math.round(perMin * 100) / 100, '', o.rejectsPerMin, `${perMin.toFixed(2)} rejections/min`),
  ];
  const state = stalest === null ? 3 : (Math.max(...metrics.map((x) => x.state)) as 0 | 1 | 2);
  const perStream = [...streams].map(([stream, last]) => ({ stream, age_seconds: Math.max(0, (o.now - last) / 1e6) }))
    .sort((a, b) => (a.stream < b.stream ? -1 : 1));
  return { state, metrics, streams: perStream };
}
