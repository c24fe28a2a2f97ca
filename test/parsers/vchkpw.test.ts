// vchkpw: every shape's samples parse to the right event and no other shape of the project takes
// them; the real lines are test/public/ossec-docs-vpopmail-2005-2007.log (see PROVENANCE.md).

import { describe, expect, it } from 'vitest';
import { parseVchkpw, VCHKPW_FORMATS } from '../../parsers/vchkpw.js';
import { publicText } from '../helpers/lab.js';
import { syslogParts, takers } from './addons/shapes.js';

const ossec = publicText('ossec-docs-vpopmail-2005-2007.log').split('\n').filter((l) => l !== '');

describe('VCHKPW_FORMATS', () => {
  it('anchored, named uniquely, every shape has samples', () => {
    const names = VCHKPW_FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of VCHKPW_FORMATS) {
      expect(f.pattern.source.startsWith('^'), f.name).toBe(true);
      expect(f.pattern.source.endsWith('$'), f.name).toBe(true);
      expect(f.samples.length, f.name).toBeGreaterThan(0);
    }
  });

  for (const f of VCHKPW_FORMATS) {
    it(`${f.name}: its samples are taken by it alone`, () => {
      for (const s of f.samples) {
        expect(takers(s), s).toEqual([f.name]);
        expect(parseVchkpw(s), s).toBeDefined();
      }
    });
  }

  it("the 'real' shapes' samples are lines of the public excerpt", () => {
    const texts = new Set(ossec.map((l) => syslogParts(l)?.text));
    for (const f of VCHKPW_FORMATS.filter((g) => g.provenance === 'real')) {
      for (const s of f.samples) expect(texts.has(s), s).toBe(true);
    }
  });
});

describe('the OSSEC vpopmail samples (26 real lines)', () => {
  it('every line is a vpopmail[PID] line whose text parses, and only vchkpw takes it', () => {
    expect(ossec.length).toBe(26);
    for (const l of ossec) {
      const p = syslogParts(l);
      expect(p?.tag, l).toBe('vpopmail');
      const ev = parseVchkpw(p?.text ?? '');
      expect(ev?.kind, l).toBe('auth');
      expect(takers(p?.text ?? '').every((n) => n.startsWith('vchkpw.')), l).toBe(true);
    }
  });

  it('counts by outcome as a brute-force report would', () => {
    const by = new Map<string, number>();
    for (const l of ossec) {
      const ev = parseVchkpw(syslogParts(l)?.text ?? '');
      const k = `${ev?.service}:${ev?.outcome}`;
      by.set(k, (by.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(by)).toEqual({
      'pop3:fail': 4, 'smtp:fail': 2, 'pop3:unknown_user': 7, 'pop3:success': 1, 'pop3s:success': 1,
      'imaps:success': 1, 'smtp:success': 1, 'submission:success': 1, 'webmail:success': 1, 'pop3s:fail': 1,
      'imap:fail': 1, 'webmail:fail': 1, 'pop3:null_password': 1, 'webmail:null_password': 1,
      'smtp:unknown_user': 1, 'webmail:unknown_user': 1,
    });
  });
});

describe('fields', () => {
  it('password fail without the password', () => {
    expect(parseVchkpw('vchkpw-pop3: password fail user1@xxxx.com:192.168.2.1')).toEqual({
      kind: 'auth', service: 'pop3', protocol: 'pop3', port: 110, outcome: 'fail', mechanism: null,
      login: 'user1@xxxx.com', user: 'user1', domain: 'xxxx.com', ip: '192.168.2.1', system: false,
      passwordLogged: false, detail: null,
    });
  });

  it("password fail with (pass: '…'): that it was logged is kept, the text is not", () => {
    const ev = parseVchkpw("vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.xxx.com>') myuserid@xxx.com:208.210.222.68");
    expect(ev).toMatchObject({ service: 'smtp', protocol: 'smtp', port: 25, outcome: 'fail', user: 'myuserid',
      domain: 'xxx.com', ip: '208.210.222.68', passwordLogged: true });
    expect(JSON.stringify(ev)).not.toContain('65825.1118321790');
  });

  it("a password holding `') ` still leaves the address intact", () => {
    const ev = parseVchkpw("vchkpw-imap: password fail (pass: 'a') b@c:1') alice@example.org:192.0.2.7");
    expect(ev).toMatchObject({ outcome: 'fail', user: 'alice', domain: 'example.org', ip: '192.0.2.7', passwordLogged: true });
    expect(JSON.stringify(ev)).not.toContain("b@c:1");
  });

  it('login success keeps the mechanism; the tag may still be on the text', () => {
    expect(parseVchkpw('vpopmail[19743]: vchkpw-submission: (CRAM-MD5) login success user@my_domain:1.2.3.4'))
      .toMatchObject({ service: 'submission', protocol: 'smtp', port: 587, outcome: 'success', mechanism: 'CRAM-MD5',
        user: 'user', domain: 'my_domain', ip: '1.2.3.4' });
    expect(parseVchkpw('vchkpw-smtp: (LOGIN) login success a@b.example:192.0.2.1')?.mechanism).toBe('LOGIN');
  });

  it('user not found with an empty domain; null password with a bare name', () => {
    expect(parseVchkpw('vchkpw-pop3: vpopmail user not found myuserid@:208.210.222.68'))
      .toMatchObject({ outcome: 'unknown_user', login: 'myuserid@', user: 'myuserid', domain: '', ip: '208.210.222.68' });
    expect(parseVchkpw('vchkpw-pop3: null password given oneone1:121.243.18.134'))
      .toMatchObject({ outcome: 'null_password', login: 'oneone1', user: 'oneone1', domain: '', ip: '121.243.18.134' });
  });

  it('a port log name, the old `vchkpw:` form, IPv6 peers', () => {
    expect(parseVchkpw('vchkpw-2525: password fail a@example.org:192.0.2.9'))
      .toMatchObject({ service: '2525', protocol: null, port: 2525, outcome: 'fail' });
    expect(parseVchkpw('vchkpw: vpopmail user not found bob@example.org:192.0.2.9'))
      .toMatchObject({ service: '', protocol: null, port: null, outcome: 'unknown_user', user: 'bob' });
    expect(parseVchkpw('vchkpw-imaps: password fail a@example.org:2001:db8::7'))
      .toMatchObject({ service: 'imaps', port: 993, ip: '2001:db8::7', domain: 'example.org' });
  });

  it('access denied and internal errors carry what failed', () => {
    expect(parseVchkpw('vchkpw-submission: smtp access denied alice@example.org:192.0.2.7'))
      .toMatchObject({ outcome: 'denied', detail: 'smtp' });
    expect(parseVchkpw('vchkpw-pop3: setuid 89 failed errno 1 alice@example.org:192.0.2.7'))
      .toMatchObject({ outcome: 'error', detail: 'setuid 89 failed errno 1', user: 'alice' });
    expect(parseVchkpw('vchkpw-smtp: Unable to connect to MySQL server'))
      .toMatchObject({ outcome: 'error', detail: 'Unable to connect to MySQL server', service: 'smtp' });
  });

  it('not vchkpw: other text and damaged lines are left alone', () => {
    expect(parseVchkpw('vchkpwd: password fail a@b:1.2.3.4')).toBeUndefined();
    expect(parseVchkpw('vpopmail[1]: vdelivermail: delivered')).toBeUndefined();
    expect(parseVchkpw('vchkpw-pop3: password fail [EMAIL PROTECTED]:67.109.191.46')).toBeUndefined();
    expect(parseVchkpw('')).toBeUndefined();
  });
});
