// The HTML report in a real headless Chromium (Debian's `chromium`; .ci/run installs it): what it
// draws, and that markup planted in a log line is drawn as text and never becomes markup.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qtrace } from '../helpers/cli.js';
import { LAB } from '../helpers/lab.js';
import { countColor, readPng } from '../helpers/png.js';

function findChromium(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
const CHROMIUM = findChromium();
if (CHROMIUM === undefined) console.warn('report-html.test: skipped, no chromium on PATH (Debian: apt-get install chromium; .ci/run does it)');

// Crafted lines in qmail-send's own shapes (unix-decimal stamps, after b1's): logsafe() keeps '<',
// '>' and '/', so a stranger can put these in an envelope. The div would paint the page magenta
// if it became markup; the script would be an element in the DOM.
const PLANTED_SENDER = '<div/style=position:fixed;top:0;left:0;width:9999px;height:9999px;background:#ff00ff>@evil.test';
const PLANTED_RCPT = '<script>document.title=1</script>@evil.test';
const CRAFTED = [
  '1795628990.100000 new msg 900001',
  `1795628990.100100 info msg 900001: bytes 500 from <${PLANTED_SENDER}> qp 77001 uid 1002`,
  `1795628990.100200 starting delivery 901: msg 900001 to remote ${PLANTED_RCPT}`,
  '1795628990.200000 delivery 901: failure: 10.9.8.7_does_not_like_recipient./Remote_host_said:_550_<b>no</b>/Giving_up_on_10.9.8.7./',
  '1795628990.200100 end msg 900001',
].join('\n') + '\n';

function chromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), 'qtrace-chromium-'));
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run',
    `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('report --format html in headless Chromium', () => {
  it.skipIf(CHROMIUM === undefined)('draws the charts; a <script> in an address shows as text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-html-'));
    const db = join(dir, 'q.db');
    writeFileSync(join(dir, 'crafted.log'), CRAFTED);
    const ing = qtrace(['ingest', '--db', db, '--host', 'vm', join(LAB, 'b1-scenarios', 'logs', 'send'), join(dir, 'crafted.log')]);
    expect(ing.status, ing.stderr).toBe(0);
    const rep = qtrace(['report', '--db', db, '--format', 'html', '--top', '100', '--tz', 'UTC']);
    expect(rep.status, rep.stderr).toBe(0);
    const html = rep.stdout;
    // self-contained: nothing fetched, nothing run
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(html.match(/https?:\/\/[^"]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    const page = join(dir, 'report.html');
    writeFileSync(page, html);

    // the DOM Chromium built: the planted markup is text, no element came of it
    const dom = chromium(['--dump-dom', `file://${page}`]);
    expect(dom.status, dom.stderr.slice(-500)).toBe(0);
    expect(dom.stdout).toContain('<title>qtrace report</title>');
    expect(dom.stdout).not.toMatch(/<script/i);
    expect(dom.stdout).toContain('&lt;script&gt;document.title=1&lt;/script&gt;@evil.test');
    expect(dom.stdout).toContain('&lt;div/style=position:fixed;');
    expect(dom.stdout).not.toMatch(/<div[^>]*position:fixed/);

    // what it drew
    const png = join(dir, 'report.png');
    const shot = chromium(['--window-size=1280,12000', `--screenshot=${png}`, `file://${page}`]);
    expect(shot.status, shot.stderr.slice(-500)).toBe(0);
    const img = readPng(readFileSync(png));
    expect([img.width, img.height]).toEqual([1280, 12000]);
    expect(countColor(img, '#ff00ff', 30), 'magenta: the planted div became markup').toBe(0);
    // per-hour stacked bars: delivered, failed, deferred
    expect(countColor(img, '#2e7d32')).toBeGreaterThan(2000);
    expect(countColor(img, '#c62828')).toBeGreaterThan(200);
    expect(countColor(img, '#f9a825')).toBeGreaterThan(100);
    // delay lines (local, remote) and the top-domain bars
    expect(countColor(img, '#1565c0')).toBeGreaterThan(100);
    expect(countColor(img, '#6a1b9a')).toBeGreaterThan(100);
    expect(countColor(img, '#00838f')).toBeGreaterThan(1000);
    // most of the page is the white background with dark text on it
    expect(countColor(img, '#ffffff', 2)).toBeGreaterThan(img.width * img.height * 0.5);
  }, 180_000);
});
