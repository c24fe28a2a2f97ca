// The smtpd side alone: the lab's volume smtpd + smtpdr logs, parsed once, then pushed through the
// SessionCorrelator N times (each copy shifted past the previous one in log time, pids reused as in
// a long log). Reports the parse and the correlation time per event, median of 5 in-process runs.
// `node dist/test/bench/sessions.bench.js [copies]`

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSmtpdText } from '../../parsers/smtpd.js';
import type { SmtpdEvent } from '../../parsers/smtpd-events.js';
import { decodeTai64n } from '../../parsers/timestamp.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';
import { LAB } from '../helpers/lab.js';

const copies = Number(process.argv[2] ?? 20);
const logs = join(LAB, 'volume', 'logs');
/** A multilog dir's lines, oldest file first (split at '\n' only: recordio lines hold CRs). */
function readDir(dir: string): string[] {
  const names = readdirSync(dir).filter((f) => f.startsWith('@')).sort();
  return [...names, 'current.gz'].flatMap((f) => gunzipSync(readFileSync(join(dir, f))).toString('utf8').split('\n'))
    .filter((l) => l.length > 26);
}
const streams: Array<[string, string[]]> = [['smtpd', readDir(join(logs, 'smtpd'))], ['smtpdr', readDir(join(logs, 'smtpdr'))]];

interface Item { at: number; stream: string; text: string; ev: SmtpdEvent | undefined }
const items: Item[] = [];
for (const [stream, lines] of streams) {
  for (const l of lines) items.push({ at: decodeTai64n(l.slice(1, 25))!.us, stream, text: l.slice(26), ev: undefined });
}
items.sort((a, b) => a.at - b.at);
const span = items[items.length - 1]!.at - items[0]!.at + 3_600_000_000;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const parseMs: number[] = [];
const corrMs: number[] = [];
let sessions = 0;
for (let run = 0; run < 6; run++) {
  let t0 = process.hrtime.bigint();
  for (let c = 0; c < copies; c++) for (const it of items) it.ev = parseSmtpdText(it.text);
  const parse = Number(process.hrtime.bigint() - t0) / 1e6;
  const sc = new SessionCorrelator();
  sessions = 0;
  t0 = process.hrtime.bigint();
  for (let c = 0; c < copies; c++) {
    const shift = c * span;
    for (const it of items) if (it.ev !== undefined) sc.push(it.at + shift, 'vm', it.stream, it.ev);
    sessions += sc.drain().length;
  }
  sessions += sc.flushOpen().length;
  const corr = Number(process.hrtime.bigint() - t0) / 1e6;
  if (run > 0) { parseMs.push(parse); corrMs.push(corr); }   // the first run warms up
}
const n = items.length * copies;
const p = median(parseMs);
const c = median(corrMs);
console.log(`smtpd events: ${n.toLocaleString('en')} (${copies} copies of ${items.length.toLocaleString('en')}), sessions ${sessions}`);
console.log(`  parse:     ${p.toFixed(0)} ms, ${(p * 1e6 / n).toFixed(0)} ns/event`);
console.log(`  sessions:  ${c.toFixed(0)} ms, ${(c * 1e6 / n).toFixed(0)} ns/event (median of 5)`);
