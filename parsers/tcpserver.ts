// tcpserver -v lines (ucspi-tcp 0.88 tcpserver.c; ucspi-tcp6 0.99a and 1.x), formats.md §3.
// 0.88 turns ':' inside a field into '?', so every field is colon-free; ucspi-tcp6 prints IPv6
// addresses raw. The ok/deny fields are therefore split from the outside in: the host is everything
// before the first ':', the port everything after the last ':', and (remote side) the ident info the
// colon-free field before the port. What remains is the IP, colons and '::' included.
// An IPv4-mapped peer (`::ffff:1.2.3.4`, the Fefe IPv6 patch, dual-stack listeners) keeps its IPv4
// form in `ip` and the logged text in `ipLogged` (parsers/ip.ts).
// Patched forms: the limits patch (QMailToaster ucspi-tcp-limits.patch, linux.voyager.hr) ends a
// deny line with ` LOAD:n`, ` MAXCONNIP:n` or ` MAXCONNC:n`; indimail's tcpserver adds text after
// `status: n/N` (`… sigchild, pid=P`, ` sql: 0`); a three-number `status: n/N/M` exists in real logs
// (issue 12) but no source printing it was found, so its third number is kept without a meaning.

import type { Captures, SmtpdEvent, SmtpdFormat, TcpLocal, TcpRemote } from './smtpd-events.js';
import { matchFormats, toInt } from './smtpd-events.js';
import { ipFields } from './ip.js';

const RX_STATUS = /^tcpserver: status: (?<busy>\d+)\/(?<limit>\d+)$/;
const RX_STATUS_THREE = /^tcpserver: status: (?<busy>\d+)\/(?<limit>\d+)\/(?<third>\d+)$/;
const RX_STATUS_NOTE = /^tcpserver: status: (?<busy>\d+)\/(?<limit>\d+) (?<note>.+)$/;
const RX_PID = /^tcpserver: pid (?<pid>\d+) from (?<ip>\S+)$/;
const RX_OK =
  /^tcpserver: ok (?<pid>\d+) (?<lhost>[^: ]*):(?<lip>\S*):(?<lport>\d+) (?<rhost>[^: ]*):(?<rip>\S*):(?<rinfo>[^: ]*):(?<rport>\d+)$/;
const RX_DENY =
  /^tcpserver: deny (?<pid>\d+) (?<lhost>[^: ]*):(?<lip>\S*):(?<lport>\d+) (?<rhost>[^: ]*):(?<rip>\S*):(?<rinfo>[^: ]*):(?<rport>\d+)$/;
const RX_DENY_LIMIT =
  /^tcpserver: deny (?<pid>\d+) (?<lhost>[^: ]*):(?<lip>\S*):(?<lport>\d+) (?<rhost>[^: ]*):(?<rip>\S*):(?<rinfo>[^: ]*):(?<rport>\d+) (?<lname>LOAD|MAXCONNIP|MAXCONNC):(?<lvalue>\d+)$/;
const RX_END = /^tcpserver: end (?<pid>\d+) status (?<status>\d+)$/;
const RX_END_SIGNAL = /^tcpserver: end (?<pid>\d+) killed by signal (?<sig>\d+)$/;
const RX_WARNING = /^tcpserver: warning: (?<text>.*)$/;
const RX_FATAL = /^tcpserver: fatal: (?<text>.*)$/;

/** Decode a raw wait(2) status as printed by `end P status S`. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal: number | null; core: boolean } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null, core: false };
  if (sig === 0x7f) return { exitCode: null, signal: null, core: false };      // stopped, not an exit
  return { exitCode: null, signal: sig, core: (status & 0x80) !== 0 };
}

function statusOf(g: Captures): SmtpdEvent | undefined {
  const busy = toInt(g['busy']);
  const limit = toInt(g['limit']);
  if (busy === undefined || limit === undefined) return undefined;
  const third = toInt(g['third']);
  const note = g['note'];
  return { kind: 'tcp_status', busy, limit, ...(third === undefined ? {} : { third }),
    ...(note === undefined ? {} : { note }) };
}

function deny(g: Captures): SmtpdEvent | undefined {
  const pid = toInt(g['pid']);
  const ep = endpoints(g);
  if (pid === undefined || ep === undefined) return undefined;
  const name = g['lname'];
  return { kind: 'tcp_deny', pid, local: ep.local, remote: ep.remote,
    ...(name === undefined ? {} : { limit: { name, value: g['lvalue'] ?? '' } }) };
}

function endpoints(g: Captures): { local: TcpLocal; remote: TcpRemote } | undefined {
  const lport = toInt(g['lport']);
  const rport = toInt(g['rport']);
  if (lport === undefined || rport === undefined || lport > 65535 || rport > 65535) return undefined;
  return {
    local: { host: g['lhost'] ?? '', ...ipFields(g['lip'] ?? ''), port: lport },
    remote: { host: g['rhost'] ?? '', ...ipFields(g['rip'] ?? ''), info: g['rinfo'] ?? '', port: rport },
  };
}

export const TCPSERVER_FORMATS: readonly SmtpdFormat[] = [
  {
    name: 'tcpserver.status', kind: 'tcp_status', pattern: RX_STATUS, provenance: 'real',
    build: statusOf,
    samples: ['tcpserver: status: 0/20', 'tcpserver: status: 20/20', 'tcpserver: status: 1/40'],
  },
  {
    name: 'tcpserver.status.three', kind: 'tcp_status', pattern: RX_STATUS_THREE, provenance: 'unverified',
    build: statusOf,
    samples: ['tcpserver: status: 0/200/0'],   // as issue 12 quotes it
  },
  {
    name: 'tcpserver.status.note', kind: 'tcp_status', pattern: RX_STATUS_NOTE, provenance: 'source',
    build: statusOf,
    // indimail-mta ucspi-tcp-x/tcpserver.c printstatus(); its older strerr_warn5(…, " sql: 0")
    samples: ['tcpserver: status: 1/40 un-encrypted session, pid=4711, IP 192.0.2.10',
      'tcpserver: status: 0/40 sigchild, pid=4711', 'tcpserver: status: 0/40 sql: 0'],
  },
  {
    name: 'tcpserver.pid', kind: 'tcp_pid', pattern: RX_PID, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      return pid === undefined ? undefined : { kind: 'tcp_pid', pid, ...ipFields(g['ip'] ?? '') };
    },
    samples: ['tcpserver: pid 9189 from 127.0.0.1', 'tcpserver: pid 23904 from 192.168.1.165'],
  },
  {
    name: 'tcpserver.ok', kind: 'tcp_ok', pattern: RX_OK, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      const ep = endpoints(g);
      if (pid === undefined || ep === undefined) return undefined;
      return { kind: 'tcp_ok', pid, local: ep.local, remote: ep.remote };
    },
    samples: [
      'tcpserver: ok 9189 0:127.0.0.1:2525 localhost:127.0.0.1::56857',
      'tcpserver: ok 23904 vulcan.everthink.net:192.168.1.13:25 fritzlap6:192.168.1.165::53346',
      'tcpserver: ok 4389 us.es:192.168.1.113:2525 :192.168.7.153::54949',
    ],
  },
  {
    name: 'tcpserver.deny', kind: 'tcp_deny', pattern: RX_DENY, provenance: 'real',
    build: deny,
    samples: [
      'tcpserver: deny 9493 0:127.0.0.1:2525 client5.lab.test:127.0.0.5::37491',
      'tcpserver: deny 6944 us.es:192.168.1.13:25 :193.147.171.74::40714',
    ],
  },
  {
    name: 'tcpserver.deny.limit', kind: 'tcp_deny', pattern: RX_DENY_LIMIT, provenance: 'source',
    build: deny,
    // ucspi-tcp-limits.patch doit(): cats(" "); safecats("MAXCONNIP"); cats(":"); safecats(maxconstr)
    samples: ['tcpserver: deny 4711 mx.example.org:192.0.2.1:25 :198.51.100.7::40123 MAXCONNIP:5',
      'tcpserver: deny 4712 mx.example.org:192.0.2.1:25 :198.51.100.8::40124 LOAD:350'],
  },
  {
    name: 'tcpserver.end', kind: 'tcp_end', pattern: RX_END, provenance: 'real',
    build: (g) => {
      const pid = toInt(g['pid']);
      const status = toInt(g['status']);
      if (pid === undefined || status === undefined) return undefined;
      const w = decodeWaitStatus(status);
      return { kind: 'tcp_end', pid, status, exitCode: w.exitCode, signal: w.signal, core: w.core };
    },
    samples: ['tcpserver: end 9189 status 0', 'tcpserver: end 9494 status 256', 'tcpserver: end 9493 status 25600'],
  },
  {
    name: 'tcpserver.end.signal', kind: 'tcp_end', pattern: RX_END_SIGNAL, provenance: 'source',
    build: (g) => {
      const pid = toInt(g['pid']);
      const sig = toInt(g['sig']);
      if (pid === undefined || sig === undefined || sig === 0 || sig > 127) return undefined;
      return { kind: 'tcp_end', pid, status: sig, exitCode: null, signal: sig, core: false };
    },
    // indimail-mta ucspi-tcp-x/tcpserver.c sigchld(); `status` holds the wait status it stands for.
    // (Its `end P status N` prints the exit code, not the wait status: it reads as djb's line.)
    samples: ['tcpserver: end 4711 killed by signal 9'],
  },
  {
    name: 'tcpserver.warning', kind: 'tcp_warning', pattern: RX_WARNING, provenance: 'source',
    build: (g) => ({ kind: 'tcp_warning', text: g['text'] ?? '' }),
    samples: ['tcpserver: warning: dropping connection, unable to run qmail-smtpd: file does not exist'],
  },
  {
    name: 'tcpserver.fatal', kind: 'tcp_fatal', pattern: RX_FATAL, provenance: 'source',
    build: (g) => ({ kind: 'tcp_fatal', text: g['text'] ?? '' }),
    samples: ['tcpserver: fatal: unable to bind: address already used'],
  },
];

/** `tcpserver: …` lines. */
export function parseTcpserver(text: string): SmtpdEvent | undefined {
  if (!text.startsWith('tcpserver: ')) return undefined;
  return matchFormats(TCPSERVER_FORMATS, text);
}
