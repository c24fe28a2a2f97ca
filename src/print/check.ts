// Nagios plugin output: one status line, the worst findings first, then perfdata after '|'.

import type { CheckResult } from '../report/check.js';
import { escapeTerminal } from '../text/escape.js';

const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export function checkLine(r: CheckResult): string {
  const ordered = [...r.metrics].sort((a, b) => b.state - a.state);
  const text = ordered.map((x) => (x.state === 0 ? x.text
    : `${x.text} (${x.state === 2 ? 'critical' : 'warning'} at ${x.state === 2 ? x.threshold.crit : x.threshold.warn}${x.uom})`)).join(', ');
  const perf = r.metrics.map((x) => `${x.name}=${x.value === null ? 'U' : +x.value.toFixed(3)}${x.uom};${x.threshold.warn};${x.threshold.crit};0;`);
  // each stream's age too, so a graph shows which one went quiet (labels quoted: they hold '@')
  const stale = r.metrics.find((x) => x.name === 'newest_line_age');
  for (const s of r.streams) {
    perf.push(`'age ${s.stream.replace(/['=\s]/g, '_')}'=${+s.age_seconds.toFixed(3)}s;${stale?.threshold.warn ?? ''};${stale?.threshold.crit ?? ''};0;`);
  }
  return `QTRACE ${NAMES[r.state]} - ${escapeTerminal(text)} | ${escapeTerminal(perf.join(' '))}\n`;
}

export function unknownLine(message: string): string {
  return `QTRACE UNKNOWN - ${escapeTerminal(message)}\n`;
}
