// The readable timeline: what an admin reads at 3 a.m. It renders the same view objects that
// --json prints, so the two can never disagree.

import type { DeliveryView, TimelineView } from '../query/view.js';
import { messageSessionLines } from './session.js';
import { clock, paint, when, type Color, type Style } from './style.js';

export type { Style } from './style.js';

const MARK = {
  delivered: ['✓', 'green'], failed: ['✗', 'red'], deferred: ['…', 'yellow'], pending: ['→', 'cyan'],
} as const satisfies Record<string, readonly [string, Color]>;

const RESULT_COLOR: Record<NonNullable<DeliveryView['result']>, Color> = {
  success: 'green', failure: 'red', deferral: 'yellow', interrupted: 'magenta',
};

function duration(sec: number): string {
  if (sec < 1) return `${(sec * 1000).toFixed(0)} ms`;
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** A report on one line; qmail-local's `did F+W+P` said in words. */
function oneLine(reason: string): string {
  const did = /^did (\d+)\+(\d+)\+(\d+)(?:\nqp (\d+))?/.exec(reason);
  if (did !== null) {
    const parts: string[] = [];
    if (did[1] !== '0') parts.push(`${did[1]} mailbox`);
    if (did[2] !== '0') parts.push(`${did[2]} forward${did[4] === undefined ? '' : ` (qp ${did[4]})`}`);
    if (did[3] !== '0') parts.push(`${did[3]} program`);
    return `delivered to ${parts.join(', ') || 'nothing'}`;
  }
  return reason.replace(/\n+/g, ' / ');
}

export function prettyTimeline(t: TimelineView, s: Style): string {
  const out: string[] = [];
  const flags: string[] = [];
  if (t.partial) flags.push(paint(s, 'yellow', 'partial: began before these logs'));
  if (t.lost) flags.push(paint(s, 'red', 'lost: id reused without end msg'));
  if (t.ended === null && !t.lost) flags.push(paint(s, 'cyan', 'still queued at the end of the logs'));
  out.push(`${paint(s, 'bold', `msg ${t.msg}`)} on ${t.host}  ${paint(s, 'dim', t.id)}` + (flags.length > 0 ? `  [${flags.join('; ')}]` : ''));
  const from = t.from === null ? '?' : `<${t.from}>`;
  const bits = [`from ${from}`];
  if (t.bytes !== null) bits.push(`${t.bytes} bytes`);
  if (t.qp !== null) bits.push(`qp ${t.qp}`);
  if (t.uid !== null) bits.push(`uid ${t.uid}`);
  out.push(`  queued   ${t.queued === null ? `${when(t.first_seen, s)} (first seen)` : when(t.queued, s)}  ${bits.join('  ')}`);
  if (t.ended !== null) {
    out.push(`  ended    ${when(t.ended, s)}` + (t.queue_seconds === null ? '' : `  after ${duration(t.queue_seconds)} in the queue`));
  }
  if (t.session !== null) out.push(...messageSessionLines(t.session, s));
  if (t.bounce_of !== null) out.push(`  ${paint(s, 'magenta', 'bounce of')} ${t.bounce_of}`);
  if (t.forward_of !== null) out.push(`  ${paint(s, 'magenta', 'forwarded copy of')} ${t.forward_of}`);
  if (t.recipients.length > 0) {
    out.push('  recipients');
    for (const r of t.recipients) {
      const [m, c] = MARK[r.outcome];
      const n = r.attempts === 1 ? '1 attempt' : `${r.attempts} attempts`;
      out.push(`    ${paint(s, c, `${m} ${r.outcome.padEnd(9)}`)} ${r.channel.padEnd(6)} ${r.to}  ${paint(s, 'dim', n)}`);
    }
  }
  if (t.deliveries.length > 0) {
    out.push('  attempts');
    for (const d of t.deliveries) {
      const res = d.result === null ? paint(s, 'cyan', 'in progress') : paint(s, RESULT_COLOR[d.result], d.result);
      const took = d.started !== null && d.finished !== null
        ? paint(s, 'dim', ` (${duration((Date.parse(d.finished) - Date.parse(d.started)) / 1000)})`) : '';
      out.push(`    ${clock(d.started, s)}  #${d.delivery} ${d.channel} ${d.to} → ${res}${took}`);
      if (d.reason !== null) out.push(`        ${oneLine(d.reason)}`);
    }
  }
  if (t.bounce !== null) {
    out.push(`  ${paint(s, 'magenta', 'bounced')}: bounce message qp ${t.bounce.qp}` + (t.bounce.id === null ? ' (not in these logs)' : ` → ${t.bounce.id}`));
  }
  if (t.triple_bounce) out.push(`  ${paint(s, 'red', 'triple bounce')}: the failure report was discarded (sender was #@[])`);
  for (const f of t.forwards) {
    out.push(`  ${paint(s, 'magenta', 'forwarded')}: copy qp ${f.qp}` + (f.id === null ? ' (not in these logs)' : ` → ${f.id}`));
  }
  return out.join('\n') + '\n';
}

/** One line per timeline, for lists. */
export function summaryLine(t: TimelineView, s: Style): string {
  const counts = { delivered: 0, failed: 0, deferred: 0, pending: 0 };
  for (const r of t.recipients) counts[r.outcome]++;
  const parts: string[] = [];
  for (const k of ['delivered', 'failed', 'deferred', 'pending'] as const) {
    if (counts[k] > 0) parts.push(paint(s, MARK[k][1], `${MARK[k][0]}${counts[k]}`));
  }
  const to = t.recipients.length === 0 ? '' : t.recipients[0]!.to + (t.recipients.length > 1 ? ` +${t.recipients.length - 1}` : '');
  const tags = [t.bounce_of !== null ? 'bounce' : '', t.forward_of !== null ? 'forward' : '', t.partial ? 'partial' : '',
    t.lost ? 'lost' : '', t.ended === null && !t.lost ? 'queued' : ''].filter((x) => x !== '');
  return `${when(t.queued ?? t.first_seen, s)}  ${String(t.msg).padStart(8)}  <${t.from ?? '?'}> → ${to}  ${parts.join(' ')}` +
    (tags.length > 0 ? `  ${paint(s, 'dim', tags.join(','))}` : '') + why(t, s) + '\n';
}

/** For a list: why the first recipient that did not get its mail did not (the latest report). */
function why(t: TimelineView, s: Style): string {
  const r = t.recipients.find((x) => x.outcome === 'failed' || x.outcome === 'deferred');
  if (r === undefined) return '';
  let last: DeliveryView | undefined;
  for (const d of t.deliveries) if (d.to === r.to && d.reason !== null) last = d;
  if (last === undefined || last.reason === null) return '';
  // The remote's own words say most; qmail's wrapping around them is the same every time.
  const said = /Remote host said: ([^\n]*)/.exec(last.reason);
  let line = said !== null ? said[1]! : oneLine(last.reason.replace(/\nI'm not going to try again;[^\n]*/, ''));
  if (last.too_long) line += ' (given up: too long in the queue)';
  return `  ${paint(s, 'dim', line.length > 90 ? line.slice(0, 89) + '…' : line)}`;
}
