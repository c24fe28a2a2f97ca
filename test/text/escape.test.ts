import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeTerminal, fromBytes, toBytes } from '../../src/text/escape.js';

describe('escapeTerminal', () => {
  it('shows what a hostile HELO would send to the terminal', () => {
    expect(escapeTerminal('HELO \x1b]2;pwned\x07\x1b[2J')).toBe('HELO \\x1b]2;pwned\\x07\\x1b[2J');
    expect(escapeTerminal('tammy\x1b[5n@ok.example')).toBe('tammy\\x1b[5n@ok.example');
    expect(escapeTerminal('a\rb\tc\nd')).toBe('a\\rb\\tc\\nd');
    expect(escapeTerminal('C1 \u009b31m')).toBe('C1 \\x9b31m');
    expect(escapeTerminal('bidi \u202egnp.exe')).toBe('bidi \\u{202e}gnp.exe');
    expect(escapeTerminal('back\\slash')).toBe('back\\\\slash');
  });
  it('keeps plain and UTF-8 text as it is', () => {
    const s = 'user@exämple.test 250 ok 1795628986 qp 9188 — ünïcode';
    expect(escapeTerminal(s)).toBe(s);
  });
});

describe('bytes', () => {
  it('keeps invalid UTF-8 exactly and shows it as \\xNN', () => {
    const raw = Buffer.from([0x48, 0x45, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0xac, 0x80]);
    const s = fromBytes(raw);
    expect(toBytes(s).equals(raw)).toBe(true);
    expect(escapeTerminal(s)).toBe('HE\\xff\\xc3(€\\x80');
    // survives a UTF-8 round trip (SQLite TEXT, JSON)
    expect(toBytes(Buffer.from(s, 'utf8').toString('utf8')).equals(raw)).toBe(true);
  });
  it('leaves valid UTF-8 and ASCII unchanged', () => {
    for (const t of ['plain ascii', 'grüße €', '']) expect(fromBytes(Buffer.from(t, 'utf8'))).toBe(t);
  });
});

describe('escapeHtml', () => {
  it('makes markup text', () => {
    expect(escapeHtml('<script>alert("x")</script>&\'')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(escapeHtml('a\x1bb')).toBe('a\\x1bb');
  });
});
