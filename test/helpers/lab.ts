// The lab corpus shipped in test/lab (real qmail logs with ground truth verified from the
// mailboxes, never from the logs) and the public excerpts in test/public; see test/lab/PROVENANCE.md.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expandInputs } from '../../src/ingest/inputs.js';
import { ingestToStore, type IngestOptions, type IngestResult } from '../../src/ingest/to-store.js';
import { findTimelines } from '../../src/query/timelines.js';
import type { TimelineView } from '../../src/query/view.js';
import { openDb, type Db } from '../../src/store/db.js';
import { packageRoot } from '../../src/util/paths.js';

export const REPO = packageRoot();
export const LAB = join(REPO, 'test', 'lab');
export const PUBLIC = join(REPO, 'test', 'public');

/** A lab file as text (`rel` under LAB); `.gz` files are gunzipped. */
export function labText(rel: string): string {
  const buf = readFileSync(join(LAB, rel));
  return (rel.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** A public excerpt as text (`name` under PUBLIC). */
export function publicText(name: string): string {
  return readFileSync(join(PUBLIC, name), 'utf8');
}

export function haveLab(): boolean {
  return existsSync(LAB);
}

export interface TruthRecipient {
  rcpt: string; expected: string; observed: string;
  evidence?: { bounces?: Array<{ bounce_qp: number; bounce_kind?: string }>; copies?: unknown[] };
  bounce_qp?: number[];
  sink_attempt_codes?: number[];
}
export interface TruthMessage {
  token: string; method: string; envelope_sender: string; qp?: number; time?: number;
  client_port?: number; port?: number;
  recipients: TruthRecipient[];
  forwarded_copies?: Array<{ received_qmail: Array<{ qp: number; how: string }> }>;
}
export interface TruthBounce { kind: string; bounce_qp: number; tokens: string[] }
export interface Truth { messages: TruthMessage[]; bounce_messages: TruthBounce[] }

export function loadTruth(batch: string): Truth {
  const dir = join(LAB, batch);
  if (existsSync(join(dir, 'ground-truth.json'))) {
    return JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as Truth;
  }
  const lines = gunzipSync(readFileSync(join(dir, 'ground-truth.jsonl.gz'))).toString('utf8').split('\n').filter((l) => l !== '');
  const t: Truth = { messages: [], bounce_messages: [] };
  for (const l of lines) {
    const o = JSON.parse(l) as { bounce_message?: TruthBounce } & TruthMessage;
    if (o.bounce_message !== undefined) t.bounce_messages.push(o.bounce_message);
    else t.messages.push(o);
  }
  return t;
}

export function tempDb(): { db: Db; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'qtrace-test-'));
  const path = join(dir, 'q.db');
  return { db: openDb(path), path };
}

export async function ingestPaths(db: Db, paths: readonly string[], opts: Partial<IngestOptions> = {}): Promise<IngestResult> {
  return ingestToStore(db, expandInputs(paths, 'stdin'), { host: 'vm', ...opts });
}

export function allTimelines(db: Db): TimelineView[] {
  return [...findTimelines(db, {})];
}

/** qmail-send's logsafe(): bytes < 33, > 126 and '%' become '_' (qmail-smtpd already dropped quotes). */
export function logsafe(addr: string): string {
  let out = '';
  for (const b of Buffer.from(addr.replaceAll('"', ''), 'utf8')) {
    out += b < 33 || b > 126 || b === 37 ? '_' : String.fromCharCode(b);
  }
  return out;
}
