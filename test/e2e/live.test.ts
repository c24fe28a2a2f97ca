// `tail -F current | qtrace` as an admin sees it: the pretty view (on a pseudo-terminal through
// util-linux `script`), NO_COLOR and --no-color, --json against its schema, --print, a planted
// escape sequence, `| head`, and the help when nothing is piped in.

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BIN, qtrace } from '../helpers/cli.js';
import { haveLab, LAB, REPO } from '../helpers/lab.js';

const SEND = join(REPO, 'samples', 'send', 'current');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'qtrace-live-'));
const ESC = '\x1b';
const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell command line on a pseudo-terminal: what a person at a terminal would see. */
function onPty(cmd: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, COLUMNS: '200' }, maxBuffer: 1 << 26,
  });
  return { status: r.status, out: r.stdout.replace(/\r\n/g, '\n') };
}

const validate = (() => {
  const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'live-record.schema.json'), 'utf8')));
})();

describe('qtrace with stdin a pipe', () => {
  it('stores every line and prints one line per event and a summary per message', () => {
    const db = join(tmp(), 'q.db');
    const r = qtrace(['--db', db, '--host', 'vm', '--tz', 'UTC'], { input: readFileSync(SEND) });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^qtrace: 679 lines, 70 messages \(0 still queued\), 0 unknown lines in [\d.]+ s/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(r.stdout).not.toContain(ESC); // stdout is no terminal: no colour
    // the summaries: one per message, as many as the store holds
    const summaries = lines.filter((l) => l.includes(' ⇒ '));
    expect(summaries.length).toBe(70);
    const stored = qtrace(['messages', '--db', db, '--json']).stdout.trim().split('\n');
    expect(stored.length).toBe(70);
    // real lines of the sample log, as printed (read and checked by hand against samples/send/current)
    expect(lines).toContain('17:49:46.266 vm: 1442657 delivered tammy@mx.example.test: did 1+0+0');
    expect(lines).toContain('17:49:46.267 vm: ⇒ 1442657 done <ok-sender1@r2.remote.test> · tammy@mx.example.test delivered · in queue 7 ms');
    expect(lines.some((l) => /^17:49:46\.\d{3} vm WARN: 1442659 triple bounce: discarded$/.test(l))).toBe(true);
    expect(lines.some((l) => / vm WARN: ⇒ \d+ done <ok-snd-b1-013@r2\.remote\.test> · nosuch2@mx\.example\.test failed \(#5\.1\.1\) · in queue \d+ ms · bounce → #\d+$/.test(l))).toBe(true);
    // the concurrency lines (status:) are not events a person needs; --print all shows them
    expect(r.stdout).not.toContain('status: local');
    const all = qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', '--print', 'all'], { input: readFileSync(SEND) });
    expect(all.stdout).toContain('status: local');
  });

  it('--print messages prints the summaries only, --print none nothing (but still stores)', () => {
    const m = qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', '--print', 'messages'], { input: readFileSync(SEND) });
    const lines = m.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(70);
    expect(lines.every((l) => l.includes(' ⇒ '))).toBe(true);
    const db = join(tmp(), 'q.db');
    const n = qtrace(['--db', db, '--host', 'vm', '--print', 'none'], { input: readFileSync(SEND) });
    expect(n.status).toBe(0);
    expect(n.stdout).toBe('');
    expect(qtrace(['messages', '--db', db, '--json']).stdout.trim().split('\n').length).toBe(70);
  });

  it('--pretty on a pipe: the view for a person, coloured unless NO_COLOR; --color forces, --no-color stops', () => {
    const run = (args: string[], env: Record<string, string>) =>
      qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', ...args], { input: readFileSync(SEND), env }).stdout;
    expect(run(['--pretty'], { NO_COLOR: '' })).toContain(`${ESC}[32mdelivered${ESC}[39m`);
    expect(run(['--pretty'], { NO_COLOR: '1' })).not.toContain(ESC);
    expect(run(['--pretty', '--no-color'], { NO_COLOR: '' })).not.toContain(ESC);
    expect(run(['--color'], { NO_COLOR: '1' })).toContain(`${ESC}[31mfailed${ESC}[39m`);
    expect(run([], { NO_COLOR: '' })).not.toContain(ESC); // a pipe, no flag: plain
  });

  it('--json prints the records of schemas/live-record.schema.json, one per line', () => {
    const r = qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', '--json'], { input: readFileSync(SEND) });
    expect(r.status, r.stderr).toBe(0);
    const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; kind?: string });
    const bad = recs.filter((x) => !validate(x)).slice(0, 2).map((x) => ({ x, e: validate.errors }));
    expect(bad).toEqual([]);
    expect(recs.filter((x) => x.type === 'message').length).toBe(70);
    // every line of the log is one event record (679 lines, all understood)
    expect(recs.filter((x) => x.type === 'event').length).toBe(679);
  });

  it('--json is flushed as lines arrive: records of a half-written pipe show before it closes', async () => {
    const lines = readFileSync(SEND, 'utf8').split('\n');
    const child = spawn(process.execPath, [BIN, '--db', join(tmp(), 'q.db'), '--host', 'vm', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stdin.write(lines.slice(0, 100).join('\n') + '\n');
    // no further line comes: the 100 events must still be printed (and committed) while the pipe is open
    while (out.split('\n').filter((l) => l.includes('"type":"event"')).length < 100) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode).toBe(null);
    child.stdin.end(lines.slice(100).join('\n'));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l.includes('"type":"event"')).length).toBe(679);
  });

  it('TERM on an open pipe: what was read is committed, the closing line says so, status 0', async () => {
    const db = join(tmp(), 'q.db');
    const lines = readFileSync(SEND, 'utf8').split('\n');
    const child = spawn(process.execPath, [BIN, '--db', db, '--host', 'vm', '--print', 'messages'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.stdin.write(lines.slice(0, 300).join('\n') + '\n');
    while (!out.includes(' ⇒ ')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
    expect(err).toMatch(/^qtrace: 300 lines, \d+ messages \(\d+ still queued\), 0 unknown lines, stopped by SIGTERM in /);
    const stored = qtrace(['messages', '--db', db, '--json']).stdout.trim().split('\n');
    expect(stored.length).toBeGreaterThanOrEqual(out.trim().split('\n').length); // every summary shown is stored
  });

  it('an escape sequence planted in a log line is shown escaped, never sent to the terminal', () => {
    const lines = readFileSync(SEND, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('delivery 1: success:'));
    expect(i).toBeGreaterThan(0);
    const evil = `${ESC}]0;pwned${'\x07'}${ESC}[2J`;
    lines[i] = lines[i]!.replace('delivery 1: success:', `delivery 1: success: ${evil}`);
    const j = lines.findIndex((l) => l.includes('info msg'));
    lines[j] = lines[j]!.replace(/from <[^>]*>/, `from <x${ESC}[31m@evil.example>`);
    const input = lines.join('\n');
    const r = qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', '--color'], { input });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(r.stdout).toContain('<x\\x1b[31m@evil.example>');
    // colour codes are ours (CSI … m); no OSC, no clear-screen, no BEL
    expect(r.stdout).not.toMatch(/\x1b\]|\x07|\x1b\[2J/);
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).not.toContain(ESC);
    // --json keeps the bytes, JSON-escaped
    const j2 = qtrace(['--db', join(tmp(), 'q.db'), '--host', 'vm', '--json'], { input });
    expect(j2.stdout).toContain('\\u001b]0;pwned\\u0007');
  });

  it.skipIf(!haveLab())('`qtrace | head` exits quietly, status 0', () => {
    const dir = tmp();
    // megabytes of output, so that qtrace is still writing when head has gone (the log on stdin, not
    // through cat: cat would die of SIGPIPE when qtrace stops reading, and pipefail would say so)
    writeFileSync(join(dir, 'log'), gunzipSync(readFileSync(join(LAB, 'volume', 'logs', 'send', 'current.gz'))));
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${q(process.execPath)} ${q(BIN)} --db ${q(join(dir, 'q.db'))} --host vm < ${q(join(dir, 'log'))} | head -3`],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').length).toBe(4);
  });
});

describe.skipIf(!haveScript)('on a terminal (util-linux script)', () => {
  it('the live view: one coloured line per event, green delivered, red failed, summaries', () => {
    const cmd = `cat ${q(SEND)} | ${q(process.execPath)} ${q(BIN)} --db ${q(join(tmp(), 'q.db'))} --host vm --tz UTC`;
    const r = onPty(cmd);
    expect(r.status).toBe(0);
    const lines = r.out.split('\n');
    const plain = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(plain).toContain('17:49:46.266 vm: 1442657 delivered tammy@mx.example.test: did 1+0+0');
    const at = (text: string): string => lines[plain.findIndex((l) => l.includes(text))] ?? '';
    const delivered = at('1442657 delivered tammy@');
    expect(delivered).toContain(`${ESC}[32mdelivered${ESC}[39m`);
    const failed = at('failed nosuch2@');
    expect(failed).toContain(`${ESC}[31mfailed${ESC}[39m`);
    expect(failed).toContain(`${ESC}[33mWARN${ESC}[39m`);
    expect(plain.filter((l) => l.includes(' ⇒ ')).length).toBe(70);
    // the closing line on stderr (same terminal)
    expect(plain.some((l) => /^qtrace: 679 lines, 70 messages/.test(l))).toBe(true);
  });

  it('NO_COLOR (non-empty) and --no-color turn colour off; an empty NO_COLOR does not', () => {
    const cmd = (extra: string): string => `cat ${q(SEND)} | ${q(process.execPath)} ${q(BIN)} --db ${q(join(tmp(), 'q.db'))} --host vm ${extra}`;
    expect(onPty(cmd(''), { NO_COLOR: '1' }).out).not.toContain(ESC);
    expect(onPty(cmd('--no-color'), { NO_COLOR: '' }).out).not.toContain(ESC);
    expect(onPty(cmd(''), { NO_COLOR: '' }).out).toContain(`${ESC}[32m`);
  });

  it('with nothing piped in: the help on the terminal, status 2, no silent wait', () => {
    const r = onPty(`${q(process.execPath)} ${q(BIN)} --db ${q(join(tmp(), 'q.db'))}`);
    expect(r.status).toBe(2);
    expect(r.out).toContain('Usage: qtrace <command> [options]');
    expect(r.out).toContain('or: tail -F /var/log/qmail/current | qtrace [options]');
  });
});

describe.skipIf(!haveLab() || !haveScript)('on a terminal, the SMTP side', () => {
  it('smtpd sessions: connects, rblsmtpd and tcprules refusals', () => {
    const logs = join(LAB, 'b1-scenarios', 'logs');
    const cmd = `cat ${q(join(logs, 'smtpd', 'current'))} | ${q(process.execPath)} ${q(BIN)} --db ${q(join(tmp(), 'q.db'))} --host vm --tz UTC`;
    const plain = onPty(cmd).out.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/ vm: smtpd \d+ connect from 127\.0\.0\.1/);
    expect(plain).toMatch(/smtpd \d+ rblsmtpd 451/);
  });
});

describe.skipIf(!haveLab())('progress of a long ingest', () => {
  const send = join(LAB, 'volume', 'logs', 'send');
  it.skipIf(!haveScript)('on a terminal: lines, rate, bytes of the total (the .gz files uncompressed) and an ETA, then cleared', () => {
    const r = onPty(`${q(process.execPath)} ${q(BIN)} ingest --db ${q(join(tmp(), 'q.db'))} --host vm ${q(send)}`);
    expect(r.status).toBe(0);
    const shown = r.out.split('\r').map((x) => x.replace(/\x1b\[K/g, ''));
    // the total is the uncompressed size (from the gzip trailers)
    const total = readdirSync(send).filter((f) => f.endsWith('.gz')).reduce((n, f) => n + gunzipSync(readFileSync(join(send, f))).length, 0);
    const want = new RegExp(`^[\\d,]+ lines · [\\d,]+ lines/s · [\\d.]+ MB of ${(total / 1e6).toFixed(1)} MB \\(\\d+ %\\) · ETA \\d+:\\d\\d$`);
    expect(shown.filter((x) => want.test(x)).length, shown.join('|')).toBeGreaterThan(0);
    expect(r.out).toMatch(/\x1b\[Kqtrace: 179410 lines/);
  });
  it('never when stderr is a pipe', () => {
    const r = qtrace(['ingest', '--db', join(tmp(), 'q.db'), '--host', 'vm', send]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^qtrace: 179410 lines, [^\r\x1b]*\n$/);
  });
});
