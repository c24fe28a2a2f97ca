import { describe, expect, it } from 'vitest';
import { parseRblsmtpd } from '../../../parsers/rblsmtpd.js';

describe('rblsmtpd', () => {
  it('553 (lab b1, RBLSMTPD starting with "-")', () => {
    expect(parseRblsmtpd('rblsmtpd: 127.0.0.2 pid 9463: 553 Blocked by lab policy: 127.0.0.2 is listed')).toEqual({
      kind: 'rbl', ip: '127.0.0.2', pid: 9463, code: 553, text: 'Blocked by lab policy: 127.0.0.2 is listed',
    });
  });

  it('451 (lab b1)', () => {
    expect(parseRblsmtpd('rblsmtpd: 127.0.0.3 pid 9492: 451 Temporarily deferred by lab policy: 127.0.0.3')).toEqual({
      kind: 'rbl', ip: '127.0.0.3', pid: 9492, code: 451, text: 'Temporarily deferred by lab policy: 127.0.0.3',
    });
  });

  it('the formats.md example with a URL, an empty text, and an IPv6 client', () => {
    expect(parseRblsmtpd('rblsmtpd: 192.0.2.7 pid 12345: 451 Blocked, look at http://www.spamhaus.org/query/bl?ip=192.0.2.7'))
      .toMatchObject({ code: 451, text: 'Blocked, look at http://www.spamhaus.org/query/bl?ip=192.0.2.7' });
    expect(parseRblsmtpd('rblsmtpd: 192.0.2.7 pid 1: 553')).toMatchObject({ code: 553, text: '' });
    expect(parseRblsmtpd('rblsmtpd: 2001:db8::7 pid 4711: 553 listed')).toMatchObject({ ip: '2001:db8::7', pid: 4711 });
  });

  it('ucspi-tcp6 greetdelay and [RBL info] lines', () => {
    expect(parseRblsmtpd('rblsmtpd: 192.0.2.7 pid 5: greetdelay: 5'))
      .toEqual({ kind: 'rbl_greetdelay', ip: '192.0.2.7', pid: 5, text: '5' });
    expect(parseRblsmtpd('rblsmtpd: 192.0.2.7 pid 5: [RBL info] zen says hi'))
      .toEqual({ kind: 'rbl_info', ip: '192.0.2.7', pid: 5, text: 'zen says hi' });
  });

  it('not its shape → undefined', () => {
    for (const t of ['rblsmtpd: 1.2.3.4 pid 5: 250 ok', 'rblsmtpd: 1.2.3.4 pid x: 553 no', 'rblsmtpd: 1.2.3.4 pid 5: 5531',
      'rblsmtpd: warning: whatever', 'tcpserver: pid 1 from 1.2.3.4']) {
      expect(parseRblsmtpd(t), t).toBeUndefined();
    }
  });
});
