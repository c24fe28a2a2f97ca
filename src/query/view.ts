// The public shape of a timeline (NDJSON, `show --json`), described by schemas/timeline.schema.json.
// Times are ISO 8601 UTC with microseconds.

import type { MessageSessionView } from './sessions.js';

export interface DeliveryView {
  readonly delivery: number;
  readonly run: number;
  readonly channel: 'local' | 'remote';
  readonly to: string;
  readonly started: string | null;
  readonly finished: string | null;
  readonly result: 'success' | 'failure' | 'deferral' | 'interrupted' | null;
  readonly reason: string | null;
  readonly smtp_code: number | null;
  readonly dsn: string | null;
  readonly remote_ip: string | null;
  readonly too_long: boolean;
}

export interface RecipientView {
  readonly to: string;
  readonly channel: 'local' | 'remote';
  readonly outcome: 'delivered' | 'failed' | 'deferred' | 'pending';
  readonly attempts: number;
}

export interface LinkView { readonly qp: number; readonly id: string | null }

export interface TimelineView {
  readonly id: string;
  readonly host: string;
  readonly msg: number | string;   // a string when beyond 2^53 (exact digits)
  readonly first_seen: string;
  readonly queued: string | null;
  readonly ended: string | null;
  readonly queue_seconds: number | null;
  readonly partial: boolean;
  readonly lost: boolean;
  readonly bytes: number | null;
  readonly from: string | null;
  readonly qp: number | null;
  readonly uid: number | null;
  readonly deliveries: readonly DeliveryView[];
  readonly recipients: readonly RecipientView[];
  readonly bounce: LinkView | null;
  readonly bounce_of: string | null;
  readonly triple_bounce: boolean;
  readonly forwards: readonly LinkView[];
  readonly forward_of: string | null;
  readonly session: MessageSessionView | null;  // the SMTP session that queued it, when known
}
