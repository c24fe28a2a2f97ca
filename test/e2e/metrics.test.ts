// `--metrics`: scrape /metrics with real HTTP requests on 127.0.0.1 while lines arrive through the
// pipe, and check the counters against the lab's ground truth (from the delivered mail).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/ingest/inputs.js';
import { BIN } from '../helpers/cli.js';
import { haveLab, LAB, loadTruth } from '../helpers/lab.js';
import { expectedOutcome } from '../helpers/truth-check.js';

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject).end();
  });
}

/** Sample value of one series ('name' or 'name{a="b"}'); 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function start(): { child: ChildProcessWithoutNullStreams; port: Promise<number> } {
  const db = join(mkdtempSync(join(tmpdir(), 'qtrace-metrics-')), 'q.db');
  const child = spawn(process.execPath, [BIN, '--db', db, '--host', 'vm', '--print', 'none', '--metrics', '127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(err);
      if (m !== null) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`qtrace exited: ${err}`)));
  });
  return { child, port };
}

async function until(port: number, ok: (m: string) => boolean): Promise<string> {
  for (;;) {
    const r = await get(port, '/metrics');
    if (ok(r.body)) return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
}

const logText = (dir: string): Buffer => Buffer.concat(expandInputs([dir], 'x')[0]!.map((f) => {
  const b = readFileSync(f.path);
  return f.gz ? gunzipSync(b) : b;
}));

describe.skipIf(!haveLab())('--metrics', () => {
  it('volume: counters while lines arrive, then equal to the ground truth', async () => {
    const text = logText(join(LAB, 'volume', 'logs', 'send'));
    const lines = text.toString('latin1').split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(179_410);
    const truth = loadTruth('volume');
    const rcpts = truth.messages.flatMap((m) => m.recipients.map(expectedOutcome));
    const queued = truth.messages.filter((m) => m.recipients.some((r) => expectedOutcome(r) !== 'none')).length;
    const { child, port: portP } = start();
    const port = await portP;
    expect((await get(port, '/nope')).status).toBe(404);
    // the first third, then a scrape while the pipe is still open
    const third = Math.floor(lines.length / 3);
    child.stdin.write(lines.slice(0, third).join('\n') + '\n');
    const mid = await until(port, (m) => value(m, 'qtrace_lines_read_total') === third);
    expect(value(mid, 'qtrace_messages_queued_total')).toBeGreaterThan(0);
    expect(value(mid, 'qtrace_messages_queued_total')).toBeLessThan(queued);
    expect(child.exitCode).toBe(null);
    child.stdin.write(lines.slice(third).join('\n') + '\n');
    const end = await until(port, (m) => value(m, 'qtrace_lines_read_total') === lines.length);
    const r = await get(port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    // the exposition format: HELP and TYPE per family, then `name{labels} value` lines
    for (const l of r.body.trimEnd().split('\n')) {
      expect(l).toMatch(/^(# (HELP|TYPE) qtrace_[a-z_]+ .+|qtrace_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+\d.e]+|.+ \+Inf)$/);
    }
    for (const name of r.body.match(/^# TYPE \S+ counter$/gm) ?? []) expect(name).toMatch(/_total counter$/);
    // every message of the truth, plus one bounce message per bounce the truth saw delivered
    const bounces = truth.bounce_messages.length;
    expect(value(end, 'qtrace_messages_queued_total')).toBe(queued + bounces);
    expect(value(end, 'qtrace_messages_ended_total')).toBe(queued + bounces);
    expect(value(end, 'qtrace_recipients_total{outcome="failed"}')).toBe(rcpts.filter((x) => x === 'failed').length);
    expect(value(end, 'qtrace_recipients_total{outcome="delivered"}')).toBe(rcpts.filter((x) => x === 'delivered').length + bounces);
    expect(value(end, 'qtrace_bounces_total{kind="single"}')).toBe(bounces);
    expect(value(end, 'qtrace_bounces_total{kind="double"}')).toBe(0);
    // a recipient deferred once and then delivered: one deferral each
    const deferredFirst = truth.messages.flatMap((m) => m.recipients).filter((x) => x.observed.startsWith('deferred-then')).length;
    expect(value(end, 'qtrace_deliveries_total{channel="remote",result="deferral"}') + value(end, 'qtrace_deliveries_total{channel="local",result="deferral"}')).toBe(deferredFirst);
    expect(value(end, 'qtrace_lines_unknown_total')).toBe(0);
    expect(value(end, 'qtrace_message_queue_seconds_count')).toBe(queued + bounces);
    expect(value(end, 'qtrace_stream_newest_line_age_seconds{stream="send@vm"}')).toBeGreaterThan(0);
    child.stdin.end();
    expect(await new Promise((res) => child.on('close', res))).toBe(0);
  });

  it('d1 (syslog): qmail-send stops and restarts, as the operator made them', async () => {
    const text = gunzipSync(readFileSync(join(LAB, 'd1-syslog-restart', 'logs', 'maillog.gz')));
    const n = text.toString('latin1').split('\n').filter((l) => l !== '').length;
    // events.txt: two `svc -t` (restarts during deliveries) and the `svc -d` at the batch end
    const ops = readFileSync(join(LAB, 'd1-syslog-restart', 'events.txt'), 'utf8').split('\n').filter((l) => /svc -[td]\b/.test(l)).length;
    expect(ops).toBe(3);
    const { child, port: portP } = start();
    const port = await portP;
    child.stdin.write(text);
    const m = await until(port, (x) => value(x, 'qtrace_lines_read_total') === n);
    expect(value(m, 'qtrace_qmail_send_restarts_total')).toBe(ops);
    expect(value(m, 'qtrace_qmail_send_alerts_total')).toBe(0);
    expect(value(m, 'qtrace_lines_unknown_total')).toBe(0);
    child.stdin.end();
    expect(await new Promise((res) => child.on('close', res))).toBe(0);
  });

  it('b1 recordio smtpd: SMTP sessions by verdict, as the lab ran them', async () => {
    const text = readFileSync(join(LAB, 'b1-scenarios', 'logs', 'smtpdr', 'current'));
    const truth = loadTruth('b1-scenarios');
    // sessions on port 2526 that queued mail (one of them sent two messages)
    const queuing = new Set(truth.messages.filter((m) => m.port === 2526).map((m) => (m as { session?: string }).session)).size;
    // A session is counted when it closes: 2 s of log time after its `end`. The lab's sessions
    // all ran within two seconds, so let the log's clock move on: its last line again, 10 s later.
    const last = text.toString('latin1').trimEnd().split('\n').at(-1)!;
    const later = `@${(BigInt('0x' + last.slice(1, 17)) + 10n).toString(16).padStart(16, '0')}${last.slice(17)}\n`;
    const n = text.toString('latin1').split('\n').filter((l) => l !== '').length + 1;
    const { child, port: portP } = start();
    const port = await portP;
    child.stdin.write(text);
    child.stdin.write(later);
    const m = await until(port, (x) => value(x, 'qtrace_lines_read_total') === n);
    expect(value(m, 'qtrace_smtp_sessions_total{verdict="queued"}')).toBe(queuing);
    // sessions.json: the no-mail sessions the lab drove against port 2526
    expect(value(m, 'qtrace_smtp_sessions_total{verdict="quit_before_data"}')).toBe(2); // quit-without-DATA, odd-commands
    expect(value(m, 'qtrace_smtp_sessions_total{verdict="rblsmtpd"}')).toBe(2);
    expect(value(m, 'qtrace_smtp_sessions_total{verdict="tcprules_deny"}')).toBe(1);
    expect(value(m, 'qtrace_smtp_sessions_total{verdict="dropped_during_data"}')).toBe(1);
    child.stdin.end();
    expect(await new Promise((res) => child.on('close', res))).toBe(0);
  });
});

describe('--metrics errors', () => {
  it('a bad address or a port in use: one line, exit 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const db = join(mkdtempSync(join(tmpdir(), 'qtrace-metrics-')), 'q.db');
    const bad = spawnSync(process.execPath, [BIN, '--db', db, '--metrics', 'nonsense'], { input: '', encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^qtrace: --metrics wants HOST:PORT, not 'nonsense' \(e\.g\. 127\.0\.0\.1:9850\)\n$/);
    const { child, port: portP } = start();
    const port = await portP;
    const busy = spawnSync(process.execPath, [BIN, '--db', db, '--metrics', `127.0.0.1:${port}`], { input: '', encoding: 'utf8' });
    expect(busy.status).toBe(2);
    expect(busy.stderr).toBe(`qtrace: cannot serve metrics on 127.0.0.1:${port}: address in use\n`);
    child.stdin.end();
    await new Promise((res) => child.on('close', res));
  });
});
