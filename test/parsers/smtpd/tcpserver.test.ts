import { describe, expect, it } from 'vitest';
import { decodeWaitStatus, parseTcpserver } from '../../../parsers/tcpserver.js';
import { parseSmtpdText } from '../../../parsers/smtpd.js';

describe('tcpserver', () => {
  it('status, pid', () => {
    expect(parseTcpserver('tcpserver: status: 20/20')).toEqual({ kind: 'tcp_status', busy: 20, limit: 20 });
    expect(parseTcpserver('tcpserver: pid 9189 from 127.0.0.1')).toEqual({ kind: 'tcp_pid', pid: 9189, ip: '127.0.0.1' });
  });

  it('ok with -l0 and a PTR name (lab b1)', () => {
    expect(parseSmtpdText('tcpserver: ok 9189 0:127.0.0.1:2525 localhost:127.0.0.1::56857')).toEqual({
      kind: 'tcp_ok', pid: 9189,
      local: { host: '0', ip: '127.0.0.1', port: 2525 },
      remote: { host: 'localhost', ip: '127.0.0.1', info: '', port: 56857 },
    });
  });

  it('ok with both host names (public: everthink)', () => {
    expect(parseSmtpdText('tcpserver: ok 23904 vulcan.everthink.net:192.168.1.13:25 fritzlap6:192.168.1.165::53346')).toEqual({
      kind: 'tcp_ok', pid: 23904,
      local: { host: 'vulcan.everthink.net', ip: '192.168.1.13', port: 25 },
      remote: { host: 'fritzlap6', ip: '192.168.1.165', info: '', port: 53346 },
    });
  });

  it('deny without remote host name (public: us.es)', () => {
    expect(parseSmtpdText('tcpserver: deny 6944 us.es:192.168.1.13:25 :193.147.171.74::40714')).toEqual({
      kind: 'tcp_deny', pid: 6944,
      local: { host: 'us.es', ip: '192.168.1.13', port: 25 },
      remote: { host: '', ip: '193.147.171.74', info: '', port: 40714 },
    });
  });

  it('remote ident info (RINFO) is kept apart from the IP', () => {
    const ev = parseSmtpdText('tcpserver: ok 77 mx:10.0.0.1:25 client.example:10.0.0.2:joe:40000');
    expect(ev).toMatchObject({ kind: 'tcp_ok', remote: { host: 'client.example', ip: '10.0.0.2', info: 'joe', port: 40000 } });
  });

  it('ucspi-tcp6: raw IPv6 addresses, split from the outside in (formats.md §3.2)', () => {
    expect(parseSmtpdText('tcpserver: ok 4711 mx.example.org:2001:db8::25:25 host.example.net:2001:db8:1::7::51234')).toEqual({
      kind: 'tcp_ok', pid: 4711,
      local: { host: 'mx.example.org', ip: '2001:db8::25', port: 25 },
      remote: { host: 'host.example.net', ip: '2001:db8:1::7', info: '', port: 51234 },
    });
    expect(parseSmtpdText('tcpserver: ok 12 :::ffff:192.0.2.1:25 :::1::43424')).toMatchObject({
      local: { host: '', ip: '192.0.2.1', ipLogged: '::ffff:192.0.2.1', port: 25 },
      remote: { host: '', ip: '::1', info: '', port: 43424 },
    });
    expect(parseSmtpdText('tcpserver: pid 12 from 2001:db8::7')).toEqual({ kind: 'tcp_pid', pid: 12, ip: '2001:db8::7' });
  });

  it('0.88 writes ":" inside a field as "?" (safecats), fields stay colon-free', () => {
    expect(parseSmtpdText('tcpserver: ok 5 0:127.0.0.1:25 a?b:127.0.0.1:id?x:1025')).toMatchObject({
      remote: { host: 'a?b', ip: '127.0.0.1', info: 'id?x', port: 1025 },
    });
  });

  it('end: the wait status is decoded', () => {
    expect(parseTcpserver('tcpserver: end 9189 status 0')).toEqual(
      { kind: 'tcp_end', pid: 9189, status: 0, exitCode: 0, signal: null, core: false });
    expect(parseTcpserver('tcpserver: end 9494 status 256')).toMatchObject({ exitCode: 1, signal: null });
    expect(parseTcpserver('tcpserver: end 9493 status 25600')).toMatchObject({ exitCode: 100, signal: null });
    expect(parseTcpserver('tcpserver: end 7 status 9')).toMatchObject({ exitCode: null, signal: 9, core: false });
    expect(parseTcpserver('tcpserver: end 7 status 139')).toMatchObject({ exitCode: null, signal: 11, core: true });
    expect(decodeWaitStatus(0x7f)).toEqual({ exitCode: null, signal: null, core: false });
  });

  it('warnings and fatal errors', () => {
    expect(parseTcpserver('tcpserver: warning: dropping connection, unable to fork: out of memory'))
      .toEqual({ kind: 'tcp_warning', text: 'dropping connection, unable to fork: out of memory' });
    expect(parseTcpserver('tcpserver: fatal: unable to bind: address already used'))
      .toEqual({ kind: 'tcp_fatal', text: 'unable to bind: address already used' });
  });

  it('not its shape → undefined', () => {
    for (const t of ['tcpserver: ok 1 2 3', 'tcpserver: ok x 0:1.2.3.4:25 :1.2.3.5::1', 'tcpserver: end 1 status',
      'tcpserver: ok 1 0:1.2.3.4:99999 :1.2.3.5::1', 'tcpserver:', 'tcpservers: status: 1/2', '']) {
      expect(parseTcpserver(t), t).toBeUndefined();
    }
  });
});
