// The readable timeline: what an admin reads at 3 a.m. It renders the same view objects that
// --json prints, so the two can never disagree. Every string that came from a log goes through
// escapeTerminal (src/text/escape.ts): a stranger's bytes are shown, never sent to the terminal.

import { escapeTerminal as esc } from '../text/escape.js';
import type { DeliveryView, RecipientView, TimelineView } from '../query/view.js';
import { messageSessionLines } from './session.js';
import { paint, stamp, when, type Color, type Style } from './style.js';

export type { Style } from './style.js';

/** One mark per outcome, each used for nothing else (→ is only ever an arrow). */
export const MARK = {
  delivered: ['✓', 'green'], failed: ['✗', 'red'], deferred: ['↻', 'yellow'], pending: ['▸', 'cyan'],
} as const satisfies Record<RecipientView['outcome'], readonly [string, Color]>;

export const LEGEND = 'marks: ✓ delivered  ✗ failed (bounced, or the bounce discarded)  ↻ deferred (still to be retried)  ' +
  '▸ pending (in delivery when the logs end)  → leads to';

const RESULT_COLOR: Record<NonNullable<DeliveryView['result']>, Color> = {
  success: 'green', failure: 'red', deferral: 'yellow', interrupted: 'magenta',
};

function duration(sec: number): string {
  if (sec < 1) return `${(sec * 1000).toFixed(0)} ms`;
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** A report on one line, escaped for the terminal. */
export function oneLine(reason: string): string {
  return esc(reasonLine(reason));
}

/** A report on one line (not escaped); qmail-local's `did F+W+P` said in words. */
export function reasonLine(reason: string): string {
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
  out.push(`${paint(s, 'bold', `msg ${t.msg}`)} on ${esc(t.host)}  ${paint(s, 'dim', esc(t.id))}` + (flags.length > 0 ? `  [${flags.join('; ')}]` : ''));
  const from = t.from === null ? '?' : `<${esc(t.from)}>`;
  const bits = [`from ${from}`];
  if (t.bytes !== null) bits.push(`${t.bytes} bytes`);
  if (t.qp !== null) bits.push(`qp ${t.qp}`);
  if (t.uid !== null) bits.push(`uid ${t.uid}`);
  out.push(`  queued   ${t.queued === null ? `${when(t.first_seen, s)} (first seen)` : when(t.queued, s)}  ${bits.join('  ')}`);
  if (t.ended !== null) {
    out.push(`  ended    ${when(t.ended, s)}` + (t.queue_seconds === null ? '' : `  after ${duration(t.queue_seconds)} in the queue`));
  }
  if (t.session !== null) out.push(...messageSessionLines(t.session, s));
  if (t.bounce_of !== null) out.push(`  ${paint(s, 'magenta', 'bounce of')} ${esc(t.bounce_of)}`);
  if (t.forward_of !== null) out.push(`  ${paint(s, 'magenta', 'forwarded copy of')} ${esc(t.forward_of)}`);
  if (t.recipients.length > 0) {
    out.push('  recipients');
    for (const r of t.recipients) {
      const [m, c] = MARK[r.outcome];
      const n = r.attempts === 1 ? '1 attempt' : `${r.attempts} attempts`;
      out.push(`    ${paint(s, c, `${m} ${r.outcome.padEnd(9)}`)} ${r.channel.padEnd(6)} ${esc(r.to)}  ${paint(s, 'dim', n)}`);
    }
  } else if (t.ended === null && !t.lost) {
    out.push(`  recipients  none yet: ${paint(s, 'cyan', 'queued')}, no delivery attempt in these logs`);
  }
  if (t.deliveries.length > 0) {
    out.push('  attempts');
    // The date is printed whenever it differs from the line before: a week in the queue reads as a week.
    let prev = t.queued ?? t.first_seen;
    let prevRun: number | undefined;
    for (const d of t.deliveries) {
      // delivery ids start again with each qmail-send run: a new run between two attempts is a restart
      if (prevRun !== undefined && d.run > prevRun) {
        const n = d.run - prevRun;
        out.push(`    ${paint(s, 'magenta', `-- qmail-send restarted here${n > 1 ? ` (${n} times)` : ''} --`)}`);
      }
      prevRun = d.run;
      const res = d.result === null ? paint(s, 'cyan', 'in progress') : paint(s, RESULT_COLOR[d.result], d.result);
      const took = d.started !== null && d.finished !== null
        ? paint(s, 'dim', ` (${duration((Date.parse(d.finished) - Date.parse(d.started)) / 1000)})`) : '';
      out.push(`    ${stamp(d.started, prev, s)}  #${d.delivery} ${d.channel} ${esc(d.to)} → ${res}${took}`);
      if (d.started !== null) prev = d.started;
      if (d.reason !== null) out.push(`        ${oneLine(d.reason)}`);
    }
  }
  if (t.bounce !== null) {
    out.push(`  ${paint(s, 'magenta', 'bounced')}: bounce message qp ${t.bounce.qp}` + (t.bounce.id === null ? ' (not in these logs)' : ` → ${esc(t.bounce.id)}`));
  }
  if (t.triple_bounce) out.push(`  ${paint(s, 'red', 'triple bounce')}: the failure report was discarded (sender was #@[])`);
  for (const f of t.forwards) {
    out.push(`  ${paint(s, 'magenta', 'forwarded')}: copy qp ${f.qp}` + (f.id === null ? ' (not in these logs)' : ` → ${esc(f.id)}`));
  }
  return out.join('\n') + '\n';
}

/**
 * One line per timeline, for lists. `focus` says which recipients the list was asked about
 * (--to, --outcome): the one shown is the first of those; the reason shown is that of the
 * recipient it belongs to, named when it is not the one shown.
 */
export function summaryLine(t: TimelineView, s: Style, focus?: (r: RecipientView) => boolean): string {
  const counts = { delivered: 0, failed: 0, deferred: 0, pending: 0 };
  for (const r of t.recipients) counts[r.outcome]++;
  const parts: string[] = [];
  for (const k of ['delivered', 'failed', 'deferred', 'pending'] as const) {
    if (counts[k] > 0) parts.push(paint(s, MARK[k][1], `${MARK[k][0]}${counts[k]}`));
  }
  const shown = (focus === undefined ? undefined : t.recipients.find(focus)) ?? t.recipients[0];
  const to = shown === undefined ? (t.ended === null && !t.lost ? 'no attempt yet' : '?')
    : esc(shown.to) + (t.recipients.length > 1 ? ` +${t.recipients.length - 1}` : '');
  const tags = [t.bounce_of !== null ? 'bounce' : '', t.forward_of !== null ? 'forward' : '', t.partial ? 'partial' : '',
    t.lost ? 'lost' : '', t.ended === null && !t.lost ? 'queued' : ''].filter((x) => x !== '');
  return `${when(t.queued ?? t.first_seen, s)}  ${String(t.msg).padStart(8)}  <${esc(t.from ?? '?')}> → ${to}  ${parts.join(' ')}` +
    (tags.length > 0 ? `  ${paint(s, 'dim', tags.join(','))}` : '') + why(t, s, shown, focus) + '\n';
}

/** For a list: why a recipient did not get its mail (its latest report), the shown one first. */
function why(t: TimelineView, s: Style, shown: RecipientView | undefined, focus?: (r: RecipientView) => boolean): string {
  const bad = (x: RecipientView): boolean => x.outcome === 'failed' || x.outcome === 'deferred';
  const r = (shown !== undefined && bad(shown) ? shown : undefined)
    ?? t.recipients.find((x) => bad(x) && (focus === undefined || focus(x))) ?? t.recipients.find(bad);
  if (r === undefined) return '';
  let last: DeliveryView | undefined;
  for (const d of t.deliveries) if (d.to === r.to && d.reason !== null) last = d;
  if (last === undefined || last.reason === null) return '';
  // The remote's own words say most; qmail's wrapping around them is the same every time.
  const said = /Remote host said: ([^\n]*)/.exec(last.reason);
  let line = said !== null ? said[1]! : last.reason.replace(/\nI'm not going to try again;[^\n]*/, '');
  if (line.length > 90) line = line.slice(0, 89) + '…';
  let text = oneLine(line);
  if (last.too_long) text += ' (given up: too long in the queue)';
  const whose = r === shown ? '' : `${MARK[r.outcome][0]} ${esc(r.to)}: `;
  return `  ${paint(s, 'dim', whose + text)}`;
}

/** One line per incarnation of an id, with the key `show` accepts back. */
export function incarnationLine(t: TimelineView, s: Style): string {
  const first = t.recipients[0];
  const to = first === undefined ? 'no attempt yet' : esc(first.to) + (t.recipients.length > 1 ? ` +${t.recipients.length - 1}` : '');
  const marks = t.recipients.map((r) => paint(s, MARK[r.outcome][1], MARK[r.outcome][0])).join('');
  return `  ${esc(t.id)}  ${when(t.queued ?? t.first_seen, s)}  <${esc(t.from ?? '?')}> → ${to}${marks === '' ? '' : '  ' + marks}\n`;
}
