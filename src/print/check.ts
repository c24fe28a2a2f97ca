// Nagios plugin output: one status line, the worst findings first, then perfdata after '|'.

import type { CheckResult } from '../report/check.js';
import { escapeTerminal } from '../text/escape.js';

const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export function checkLine(r: CheckResult): string {
  const ordered = [...r.metrics].sort((a, b) => b.state - a.state);
  const text = ordered.map((x) => (x.state === 0 ? x.text
    : `${x.text} (${x.state === 2 ? 'critical' : 'warning'} at ${x.state === 2 ? x.threshold.crit : x.threshold.warn}${x.uom})`)).join(', ');
  const perf = r.metrics.map((x) => `${x.name}=${x.value === null ? 'U' : +x.value.toFixed(3)}${x.uom};${x.threshold.warn};${x.threshold.crit};0;`).join(' ');
  return `QTRACE ${NAMES[r.state]} - ${escapeTerminal(text)} | ${perf}\n`;
}

export function unknownLine(message: string): string {
  return `QTRACE UNKNOWN - ${escapeTerminal(message)}\n`;
}
