import { afterEach, describe, expect, it } from 'vitest';
import {
  ConstMap,
  asciiLower,
  findQmailStartArg,
  nodeFs,
  readAssign,
  readControlFile,
  readControlLine,
  readPasswd,
} from '../../src/explain/config.js';
import { Tree } from './helpers.js';

let tree: Tree | undefined;
afterEach(() => {
  tree?.cleanup();
  tree = undefined;
});
const mk = (): Tree => (tree = new Tree());

describe('control files (control_readfile)', () => {
  it('drops blank and # lines, strips trailing space/tab, keeps line numbers', () => {
    const t = mk();
    const f = readControlFile(nodeFs, t.control('locals', '# local domains\n\nexample.com  \t\n  indented\nlast-without-newline'));
    expect(f.status).toBe('ok');
    expect(f.lines).toEqual([
      { n: 3, text: 'example.com' },
      { n: 4, text: '  indented' },
      { n: 5, text: 'last-without-newline' },
    ]);
  });

  it('keeps a trailing CR (qmail does) and reports the line', () => {
    const t = mk();
    const f = readControlFile(nodeFs, t.control('rcpthosts', 'a.test\r\nb.test\n'));
    expect(f.lines[0]?.text).toBe('a.test\r');
    expect(f.crLines).toEqual([1]);
  });

  it('tells missing from unreadable', () => {
    const t = mk();
    expect(readControlFile(nodeFs, t.p('/var/qmail/control/nope')).status).toBe('missing');
    const asDir = readControlFile(nodeFs, t.dir('/var/qmail/control/isadir'));
    expect(asDir.status).toBe('error');
    expect(asDir.errno).toBe('EISDIR');
  });

  it('control_readline: first line only, no comment handling', () => {
    const t = mk();
    expect(readControlLine(nodeFs, t.control('me', 'mx.example.test \nother\n'))?.value).toBe('mx.example.test');
    expect(readControlLine(nodeFs, t.control('defaulthost', '#x\n'))?.value).toBe('#x');
    expect(readControlLine(nodeFs, t.p('/var/qmail/control/none'))).toBeNull();
  });
});

describe('constmap', () => {
  it('is case-insensitive for ASCII only, and the last duplicate wins', () => {
    const m = new ConstMap([{ n: 1, text: 'Example.COM' }, { n: 2, text: 'x.test' }, { n: 3, text: 'X.TEST' }], false);
    expect(m.get('example.com')?.line).toBe(1);
    expect(m.get('x.test')?.line).toBe(3);
    expect(m.duplicates).toEqual([{ key: 'x.test', lines: [2, 3] }]);
    expect(asciiLower('ÄB')).toBe('Äb');
  });

  it('with flagcolon splits at the first colon and ignores lines without one', () => {
    const m = new ConstMap([{ n: 1, text: 'virt.test:vuser' }, { n: 2, text: 'nocolon' }, { n: 3, text: ':catchall' }, { n: 4, text: 'r.test:1.2.3.4:2525' }], true);
    expect(m.get('VIRT.test')?.value).toBe('vuser');
    expect(m.get('')?.value).toBe('catchall');
    expect(m.get('r.test')?.value).toBe('1.2.3.4:2525');
    expect(m.get('nocolon')).toBeUndefined();
    expect(m.ignored).toEqual([2]);
  });
});

describe('users/assign (qmail-newu rules)', () => {
  it('makes exact keys with a NUL and wildcard keys without, lowercased; collects wildchars', () => {
    const t = mk();
    const a = readAssign(nodeFs, t.file('/var/qmail/users/assign', '=Joe:joe:1001:1001:/home/joe:::\n+List-:lists:1002:1002:/var/lists:-::\n+x:x:5:5:/x:-::\n.\n'));
    expect(a.formatError).toBeNull();
    expect(a.terminated).toBe(true);
    expect(a.entries.map((e) => [e.key, e.data, e.line])).toEqual([
      ['!joe\0', 'joe\x001001\x001001\x00/home/joe\0\0', 1],
      ['!list-', 'lists\x001002\x001002\x00/var/lists\0-\0', 2],
      ['!x', 'x\x005\x005\x00/x\0-\0', 3],
    ]);
    expect(a.wildchars).toBe('-x');
  });

  it('reports what qmail-newu would reject: a missing "." line, blank lines, too few fields', () => {
    const t = mk();
    expect(readAssign(nodeFs, t.file('/a1', '=a:a:1:1:/a:::\n')).formatError?.line).toBe(2);
    expect(readAssign(nodeFs, t.file('/a2', '=a:a:1:1:/a:::\n\n.\n')).formatError?.line).toBe(2);
    expect(readAssign(nodeFs, t.file('/a3', '=a:a:1:1:/a::\n.\n')).formatError?.why).toMatch(/7 fields/);
    expect(readAssign(nodeFs, t.file('/a4', '.')).formatError).toBeNull();
  });
});

describe('passwd and qmail-start', () => {
  it('getpwnam: the first entry of a name wins; malformed lines are skipped', () => {
    const t = mk();
    const p = readPasswd(nodeFs, t.file('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nbroken\njoe:x:1001:100::/home/joe:/bin/sh\njoe:x:2002:100::/elsewhere:/bin/sh\n'));
    expect(p.byName.get('joe')).toEqual({ line: 3, name: 'joe', uid: 1001, gid: 100, home: '/home/joe' });
    expect(p.byName.has('broken')).toBe(false);
  });

  it('finds qmail-start\'s first argument, unquoted, skipping comments', () => {
    const t = mk();
    const rc = t.file('/var/qmail/rc', '#!/bin/sh\n# qmail-start ./Mailbox\nexec env - PATH="/var/qmail/bin:$PATH" \\\nqmail-start "./Maildir/" splogger qmail\n');
    expect(findQmailStartArg(nodeFs, rc)).toEqual({ value: './Maildir/', at: { file: rc, line: 4 }, others: [] });
    const lwq = t.file('/var/qmail/rc2', 'exec env - PATH="/var/qmail/bin:$PATH" qmail-start "`cat /var/qmail/control/defaultdelivery`"\n');
    expect(findQmailStartArg(nodeFs, lwq)?.value).toBe('`cat /var/qmail/control/defaultdelivery`');
    const two = t.file('/var/qmail/rc3', 'qmail-start ./Maildir/ splogger qmail\nqmail-start ./Mailbox\n');
    expect(findQmailStartArg(nodeFs, two)?.others).toEqual([{ value: './Mailbox', line: 2 }]);
  });
});
