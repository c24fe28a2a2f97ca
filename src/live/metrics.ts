// Prometheus counters and histograms fed by the live records, rendered in the text exposition
// format (version 0.0.4). Each metric is documented in the README; names and units follow the
// Prometheus conventions (`_total` counters, seconds).

import { RESTART_NOTICE } from '../correlate/correlator.js';
import type { Session } from '../correlate/sessions.js';
import type { IngestStats } from '../ingest/pipeline.js';
import type { LiveRecord } from './records.js';

type Labels = Readonly<Record<string, string>>;

const QUEUE_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];
const ATTEMPT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

function labelText(l: Labels): string {
  const keys = Object.keys(l);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${l[k]!.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' = 'counter') {}
  inc(l: Labels = {}, n = 1): void {
    const k = labelText(l);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  set(l: Labels, n: number): void { this.values.set(labelText(l), n); }
  get(l: Labels = {}): number { return this.values.get(labelText(l)) ?? 0; }
  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    if (this.values.size === 0 && this.type === 'counter') return s + `${this.name} 0\n`;
    for (const [k, v] of this.values) s += `${this.name}${k} ${v}\n`;
    return s;
  }
}

class Histogram {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}
  observe(v: number, l: Labels = {}): void {
    const k = labelText(l);
    let s = this.#series.get(k);
    if (s === undefined) this.#series.set(k, (s = { labels: l, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  count(l: Labels = {}): number { return this.#series.get(labelText(l))?.count ?? 0; }
  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const x of this.#series.values()) {
      for (let i = 0; i < this.buckets.length; i++) s += `${this.name}_bucket${labelText({ ...x.labels, le: String(this.buckets[i]) })} ${x.counts[i]}\n`;
      s += `${this.name}_bucket${labelText({ ...x.labels, le: '+Inf' })} ${x.count}\n`;
      s += `${this.name}_sum${labelText(x.labels)} ${x.sum}\n${this.name}_count${labelText(x.labels)} ${x.count}\n`;
    }
    return s;
  }
}

/** A session's verdict as a label of few values: its words without the numbers ('RCPT 553' → 'rcpt'). */
export function verdictLabel(v: string): string {
  const w = v.toLowerCase().replace(/\(.*\)/g, '').replace(/[^a-z ]+/g, ' ').trim().replace(/\s+/g, '_');
  return w === '' ? 'other' : w;
}

export class LiveMetrics {
  readonly lines = new Counter('qtrace_lines_read_total', 'Log lines read.');
  readonly unknown = new Counter('qtrace_lines_unknown_total', 'Log lines no parser understood (kept in unknown_lines).');
  readonly duplicates = new Counter('qtrace_lines_duplicate_total', 'Log lines skipped because the store already had them.');
  readonly queued = new Counter('qtrace_messages_queued_total', 'Messages queued (qmail-send "new msg").');
  readonly ended = new Counter('qtrace_messages_ended_total', 'Messages that left the queue ("end msg"), or were lost to a reused id.');
  readonly recipients = new Counter('qtrace_recipients_total', 'Recipients of ended messages, by final outcome.');
  readonly deliveries = new Counter('qtrace_deliveries_total', 'Delivery attempts that reported, by channel (local, remote) and result (success, failure, deferral).');
  readonly bounces = new Counter('qtrace_bounces_total', 'Bounces by kind: single (to the sender), double (of a null-sender message, to postmaster), triple (discarded).');
  readonly sessions = new Counter('qtrace_smtp_sessions_total', 'SMTP sessions closed, by verdict (queued, tcprules_deny, rblsmtpd, rcpt, quit_before_data, …).');
  readonly restarts = new Counter('qtrace_qmail_send_restarts_total', 'qmail-send stops and restarts: each "status: exiting", and a startup while deliveries were running.');
  readonly warnings = new Counter('qtrace_qmail_send_warnings_total', 'qmail-send "warning:" lines.');
  readonly alerts = new Counter('qtrace_qmail_send_alerts_total', 'qmail-send "alert:" lines.');
  readonly commits = new Counter('qtrace_commits_total', 'Store commits (each one transaction).');
  readonly age = new Counter('qtrace_stream_newest_line_age_seconds', 'Seconds between now and the log stamp of the newest line of each stream.', 'gauge');
  readonly queueTime = new Histogram('qtrace_message_queue_seconds', 'Time from "new msg" to "end msg" of ended messages.', QUEUE_BUCKETS);
  readonly attemptTime = new Histogram('qtrace_delivery_attempt_seconds', 'Duration of a delivery attempt (starting delivery to its result), by channel.', ATTEMPT_BUCKETS);
  readonly #newest = new Map<string, string>(); // stream → ISO stamp of its newest line (ISO sorts as time)

  /** Records of one commit (after resolveRecords), and the sessions it closed. */
  observe(records: readonly LiveRecord[], sessions: readonly Session[], stats: Readonly<IngestStats>): void {
    this.commits.inc();
    this.lines.set({}, stats.lines);
    this.unknown.set({}, stats.unknown);
    this.duplicates.set({}, stats.duplicates);
    for (const s of sessions) this.sessions.inc({ verdict: verdictLabel(s.verdict) });
    for (const r of records) {
      if (r.type === 'message') {
        this.ended.inc();
        for (const x of r.recipients) this.recipients.inc({ outcome: x.outcome });
        if (r.queue_seconds !== null) this.queueTime.observe(r.queue_seconds);
        if (r.bounce !== null) this.bounces.inc({ kind: r.from === '' ? 'double' : 'single' });
        continue;
      }
      if (r.type === 'notice') {
        if (r.text.startsWith(RESTART_NOTICE)) this.restarts.inc();
        continue;
      }
      const stream = `${r.source}@${r.host}`;
      const prev = this.#newest.get(stream);
      if (prev === undefined || prev < r.time) this.#newest.set(stream, r.time);
      switch (r.kind) {
        case 'new_msg': this.queued.inc(); break;
        case 'delivery_result':
          this.deliveries.inc({ channel: r.channel ?? 'unknown', result: r.result ?? 'unknown' });
          if (r.attempt_seconds !== undefined) this.attemptTime.observe(r.attempt_seconds, { channel: r.channel ?? 'unknown' });
          break;
        case 'triple_bounce': this.bounces.inc({ kind: 'triple' }); break;
        case 'warning': this.warnings.inc(); break;
        case 'alert': this.alerts.inc(); break;
      }
    }
  }

  /** The exposition text; `nowMs` makes the stream ages. */
  render(nowMs: number = Date.now()): string {
    for (const [stream, t] of this.#newest) {
      const us = Date.parse(t.slice(0, 23) + 'Z') * 1000 + Number(t.slice(23, 26));
      this.age.set({ stream }, Math.max(0, nowMs / 1000 - us / 1e6));
    }
    return [this.lines, this.unknown, this.duplicates, this.queued, this.ended, this.recipients, this.deliveries,
      this.bounces, this.sessions, this.restarts, this.warnings, this.alerts, this.commits, this.age]
      .map((c) => c.render()).join('') + this.queueTime.render() + this.attemptTime.render();
  }
}
