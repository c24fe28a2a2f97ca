// The report as plain data: what `report --format json` prints (schemas/report.schema.json) and
// what the text and HTML printers render. Times are ISO 8601 UTC; durations are seconds.

export interface Counted { readonly key: string; readonly count: number; readonly bytes: number }

export interface ReasonGroup {
  readonly template: string;       // SMTP code and enhanced status kept; addresses, IPs, numbers masked
  readonly count: number;
  readonly example: string;        // one real reason, as decoded
  readonly smtp_code: number | null;
  readonly dsn: string | null;
}

export interface HourRow {
  readonly hour: string;           // start of the hour (UTC)
  readonly queued: number;
  readonly delivered: number;
  readonly failed: number;
  readonly deferred: number;       // deferral attempts
}

export interface DelayDist {
  readonly count: number;          // successful deliveries measured
  readonly average: number | null; // seconds from queued to delivered
  readonly percentiles: ReadonlyArray<{ readonly pct: number; readonly within: number }>; // ddist: the first pct % within `within` s
}

export interface StuckMessage {
  readonly id: string;
  readonly msg: number;
  readonly queued: string;
  readonly age_seconds: number;
  readonly bounces_at: string;     // queued + queuelifetime
  readonly from: string | null;
  readonly waiting: readonly string[];   // recipients not done yet
  readonly last_reason: string | null;
}

export interface ReportView {
  readonly report: 'qtrace';
  readonly version: 1;
  readonly window: {
    readonly since: string | null;
    readonly until: string | null;
    readonly host: string | null;
    readonly as_of: string;              // "now" for stuck messages (--now, else the clock)
    readonly newest_line: string | null; // the newest log line in the store
    readonly counting: string;           // how messages the window cuts are counted, in words
    readonly queued_before_still_open: number; // queued before `since`, still in the queue at `since`: not counted
  };
  readonly totals: {
    readonly messages: number;
    readonly partial: number;            // beginning not in the logs
    readonly recipients: number;
    readonly delivered: number;
    readonly failed: number;
    readonly deferred: number;           // recipients still deferred at the end of the input
    readonly pending: number;            // recipients in delivery at the end of the input
    readonly still_queued: number;       // messages without `end msg`
    readonly attempts: number;
    readonly deferral_attempts: number;
    readonly bounces: number;            // messages that caused a bounce
    readonly double_bounces: number;     // bounce messages from <#@[]>
    readonly triple_bounces: number;     // failure reports discarded
    readonly bytes: number;
    readonly restarts: number;           // qmail-send runs begun within the window's deliveries
    readonly unknown_lines: number;
    readonly sessions: {
      readonly total: number;
      readonly accepted: number;         // queued a message
      readonly rejected: number;         // queued nothing, for a reason the log gives
      readonly unknown: number;          // cannot tell from the log
      readonly rejected_by: readonly Counted[]; // by verdict (bytes: 0)
    };
  };
  readonly hours: readonly HourRow[];
  readonly delays: {
    readonly local: DelayDist;
    readonly remote: DelayDist;
    readonly queue_seconds_avg: number | null;   // completed messages: end − queued
    readonly attempt_seconds_avg: { readonly local: number | null; readonly remote: number | null };
  };
  readonly top: {
    readonly senders: readonly Counted[];
    readonly recipients: readonly Counted[];
    readonly recipient_domains: readonly Counted[];
    readonly remote_hosts: readonly Counted[];   // IPs qmail-remote delivered to (or tried)
    readonly smtp_clients: readonly Counted[];   // IPs that connected to qmail-smtpd
    readonly uids: readonly Counted[];
    readonly by_bytes: {                         // the same, ranked by bytes
      readonly senders: readonly Counted[];
      readonly recipients: readonly Counted[];
      readonly recipient_domains: readonly Counted[];
    };
  };
  readonly failures: readonly ReasonGroup[];
  /** The add-ons of issue 12: vchkpw authentications, qmail-scanner verdicts, Plesk handler refusals (bytes: 0). */
  readonly addons: {
    readonly auth: {
      readonly events: number;
      readonly failed: number;
      readonly failed_by_ip: readonly Counted[];
      readonly failed_by_user: readonly Counted[];
      readonly failed_by_outcome: readonly Counted[];
    };
    readonly scans: readonly Counted[];        // by verdict: clear, spam, virus, policy, other
    readonly refusals: readonly Counted[];     // 'REJECT by grey'
  };
  readonly deferrals: readonly ReasonGroup[];
  readonly stuck: {
    readonly older_than_seconds: number;
    readonly queuelifetime_seconds: number;
    readonly messages: readonly StuckMessage[];
    readonly total: number;
  };
  readonly backscatter: {
    readonly bounces_to_remote: number;         // recipients of bounce messages on the remote channel
    readonly failed: number;                    // of those, failed (a double bounce, or discarded)
    readonly deferred: number;
    readonly domains: readonly Counted[];
  };
  readonly notices: ReadonlyArray<{ readonly level: 'warning' | 'alert'; readonly text: string; readonly count: number;
    readonly first: string; readonly last: string }>;
}
