// Rows of SQL values: an aligned table (numbers right, text left, escaped for the terminal),
// NDJSON or CSV (RFC 4180).

import { escapeTerminal } from '../text/escape.js';

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`;
  return escapeTerminal(String(v));
}

export function alignedTable(columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = rows.map((r) => r.map(cell));
  const right = columns.map((_c, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const head = columns.map(escapeTerminal);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) =>
    right[i] ? c.padStart(w[i]!) : i === r.length - 1 ? c : c.padEnd(w[i]!)).join('  ').trimEnd() + '\n';
  return line(head) + line(w.map((n) => '-'.repeat(n))) + cells.map(line).join('');
}

export function ndjsonRow(columns: readonly string[], row: readonly unknown[]): string {
  const o: Record<string, unknown> = {};
  columns.forEach((c, i) => { const v = row[i]; o[c] = Buffer.isBuffer(v) ? v.toString('base64') : v; });
  return JSON.stringify(o) + '\n';
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Buffer.isBuffer(v) ? v.toString('hex') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvRow(row: readonly unknown[]): string {
  return row.map(csvCell).join(',') + '\r\n';
}
