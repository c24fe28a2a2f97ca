// The typed events the SMTP-side parsers produce: tcpserver, rblsmtpd, recordio and the common
// qmail-smtpd add-ons (chkuser, spamdyke, simscan, s/qmail, sagredo qlog and older logging patches).
// Every IP field holds the IPv4 form of an IPv4-mapped address (`::ffff:…`, parsers/ip.ts); the
// `…Logged` field beside it, present only then, is the text as logged.
// A parser maps one line of text (stamp and syslog prefix already removed by parsers/frame.ts) to
// one of these, or returns undefined when the line is not its shape. Like parsers/events.ts, events
// carry no time or host: the framing supplies those. Line shapes: ../shared/qmail/formats.md §3, §4, §6.

/** Local end of a tcpserver `ok`/`deny` line: `LH:LIP:LPORT`. */
export interface TcpLocal {
  readonly host: string;          // TCPLOCALHOST ('' if unknown, '0' with -l0)
  readonly ip: string;            // IPv4, or raw IPv6 (ucspi-tcp6)
  readonly ipLogged?: string;
  readonly port: number;
}

/** Remote end of a tcpserver `ok`/`deny` line: `RH:RIP:RINFO:RPORT`. */
export interface TcpRemote {
  readonly host: string;          // TCPREMOTEHOST ('' without PTR or with -H)
  readonly ip: string;
  readonly ipLogged?: string;
  readonly info: string;          // TCPREMOTEINFO (ident; '' with -R)
  readonly port: number;
}

/** Which bytes ended a complete recordio line before its trailing space. */
export type RecordioCr = '' | '\r' | '?';   // '?' = the CR as splogger/syslog wrote it

import type { Format } from './format.js';

/** The X-Bogosity text bogofilter returned (`Spam, tests=bogofilter, spamicity=0.99, …`). */
export interface Bogosity {
  readonly verdict: string;               // Spam | Ham | Unsure (bogofilter ≥ 0.9), Yes | No (older)
  readonly spamicity: number | null;      // spamicity= (or the older "spam probability=")
  readonly text: string;                  // everything after "X-Bogosity: "
}

export type SmtpdEvent =
  // tcpserver (ucspi-tcp 0.88, ucspi-tcp6)
  | { readonly kind: 'tcp_status'; readonly busy: number; readonly limit: number;
      readonly third?: number;            // `status: 0/200/0`: a third number some patched tcpserver prints
      readonly note?: string }            // indimail's `… un-encrypted session, pid=P, IP A`, `sql: 0`
  | { readonly kind: 'tcp_pid'; readonly pid: number; readonly ip: string; readonly ipLogged?: string }
  | { readonly kind: 'tcp_ok'; readonly pid: number; readonly local: TcpLocal; readonly remote: TcpRemote }
  | { readonly kind: 'tcp_deny'; readonly pid: number; readonly local: TcpLocal; readonly remote: TcpRemote;
      readonly limit?: { readonly name: string; readonly value: string } }  // limits patch: LOAD, MAXCONNIP, MAXCONNC
  | { readonly kind: 'tcp_end'; readonly pid: number; readonly status: number;
      readonly exitCode: number | null;   // WEXITSTATUS when the child exited normally
      readonly signal: number | null;     // WTERMSIG when it was killed
      readonly core: boolean }
  | { readonly kind: 'tcp_warning'; readonly text: string }
  | { readonly kind: 'tcp_fatal'; readonly text: string }
  // rblsmtpd
  | { readonly kind: 'rbl'; readonly ip: string; readonly ipLogged?: string; readonly pid: number; readonly code: number;
      readonly text: string;
      readonly list?: string }            // `rblsmtpd: IP pid P LIST: 451 …`: the list that matched
  | { readonly kind: 'rbl_greetdelay'; readonly ip: string; readonly ipLogged?: string; readonly pid: number; readonly text: string }
  | { readonly kind: 'rbl_info'; readonly ip: string; readonly ipLogged?: string; readonly pid: number; readonly text: string }
  // the old pid-less `LIST blocked IP HOST X` line (syslog tag rblsmtpd): a refused connection
  | { readonly kind: 'rbl_listed'; readonly list: string; readonly ip: string; readonly ipLogged?: string;
      readonly host: string; readonly extra: string }
  // recordio: `P < line` (client → server), `P > line` (server → client)
  | { readonly kind: 'rec_in'; readonly pid: number; readonly text: string;
      readonly partial: boolean;          // ended with '+': continues in the next record (same pid, direction)
      readonly cr: RecordioCr }           // stripped trailing CR (complete lines only)
  | { readonly kind: 'rec_out'; readonly pid: number; readonly text: string; readonly partial: boolean;
      readonly cr: RecordioCr }
  | { readonly kind: 'rec_eof'; readonly pid: number; readonly dir: 'in' | 'out' }
  // add-ons
  | { readonly kind: 'chkuser'; readonly style: 'v2.0.9' | 'v2.0'; readonly title: string;
      readonly accepted: boolean; readonly sender: string; readonly auth: string; readonly identify: string;
      readonly helo: string; readonly remoteHost: string; readonly remoteIp: string; readonly remoteIpLogged?: string;
      readonly rcpt: string; readonly description: string;
      readonly stage: 'sender' | 'rcpt';  // chkuser_commonlog's sender checks log an empty rcpt
      readonly threshold: boolean }       // intrusion threshold / rejected intrusion: the session is over its limit
  | { readonly kind: 'spamdyke'; readonly pid: number | null; readonly result: string; readonly allowed: boolean;
      readonly from: string; readonly to: string; readonly originIp: string; readonly originIpLogged?: string;
      readonly originRdns: string;
      readonly auth: string; readonly encryption: string; readonly reason: string | null }
  // spamdyke's other lines (`spamdyke[P]: ERROR: …`, `FILTER_… ip: …`, `DEBUG(f()@file:line): …`)
  | { readonly kind: 'spamdyke_note'; readonly pid: number; readonly level: 'error' | 'filter' | 'debug' | 'excessive';
      readonly text: string }
  | { readonly kind: 'simscan'; readonly ppid: number; readonly result: string;
      readonly action: 'accept' | 'reject' | 'drop';   // queued / refused at DATA / accepted and discarded
      readonly score: number | null; readonly required: number | null;
      readonly simscanRequired?: number;  // the third number of the SpamAssassin form (per-domain hits)
      readonly elapsed: number; readonly subject: string; readonly ip: string;
      readonly sender: string; readonly rcpts: readonly string[] }
  | { readonly kind: 'simscan_debug'; readonly ppid: number | null; readonly text: string }
  | { readonly kind: 'sqmail'; readonly pid: number; readonly action: string; readonly type: string;
      readonly condition: string; readonly proto: string; readonly ip: string; readonly host: string;
      readonly helo: string | null; readonly from: string | null; readonly rcpt: string | null;
      readonly info: string | null;
      readonly detail: string | null }    // words between the condition and P: (the RBL patch's list)
  | { readonly kind: 'qlog'; readonly stage: 'envelope' | 'received'; readonly result: string;
      readonly code: number | null; readonly reason: string; readonly detail: string; readonly helo: string;
      readonly mailfrom: string; readonly rcptto: readonly string[]; readonly relay: boolean | null;
      readonly rcpthosts: boolean | null; readonly size: number | null; readonly authuser: string;
      readonly authtype: string; readonly encrypted: string; readonly localip: string;
      readonly localport: number | null; readonly remoteip: string; readonly remoteport: number | null;
      readonly remotehost: string; readonly qp: number | null; readonly pid: number | null }
  | { readonly kind: 'smtpd_pidlog'; readonly pid: number; readonly text: string;
      readonly verb: 'MAIL' | 'RCPT' | null; readonly addr: string | null }
  | { readonly kind: 'smtpd_title'; readonly pid: number; readonly topic: string; readonly text: string }
  | { readonly kind: 'smtpd_logit'; readonly message: string; readonly reason: string | null;
      readonly from: string; readonly ip: string; readonly rcpt: string; readonly helo: string }
  // goodrcptto: `qmail-smtpd: !ok PID Bad recipient user ADDR from S by IP (HELO H).`
  | { readonly kind: 'goodrcptto'; readonly pid: number; readonly ok: boolean; readonly text: string;
      readonly rcpt: string | null; readonly sender: string | null; readonly ip: string | null;
      readonly helo: string | null }
  // smtpd logging patches: `mail recv: pid P from <S> qp Q` (qp = the message's qp: an exact link)
  | { readonly kind: 'smtpd_recv'; readonly pid: number; readonly sender: string; readonly qp: number }
  // a qmail-smtpd RBL patch: `qmail-smtpd: 421 badiprbl: ip IP rbl: LIST` (no pid)
  | { readonly kind: 'smtpd_rbl'; readonly code: number; readonly ip: string; readonly ipLogged?: string;
      readonly list: string }
  | { readonly kind: 'smtpd_policy'; readonly fromScope: string; readonly from: string; readonly toScope: string;
      readonly to: string; readonly authenticated: boolean; readonly note: string | null }
  // indimail-mta qmail-smtpd (`qmail-smtpd: pid P from IP …`) and its LOGFILTER fifo lines
  | { readonly kind: 'indimail'; readonly program: string; readonly pid: number;
      readonly line: 'accepted' | 'notify' | 'queue_error' | 'fifo' | 'auth_failure' | 'other';
      readonly ip: string | null; readonly ipLogged?: string; readonly helo: string | null;
      readonly from: string | null; readonly rcpt: string | null; readonly auth: string | null;
      readonly size: number | null; readonly tls: string | null; readonly bogosity: Bogosity | null;
      readonly error: string | null; readonly permanent: boolean | null; readonly qp: number | null;
      readonly method: string | null;     // auth_failure: LOGIN, PLAIN, CRAM-MD5, … (auth = the user tried)
      readonly text: string };

export type SmtpdEventKind = SmtpdEvent['kind'];

/** The add-on events: they attach to a session by pid (or by client IP when they carry no pid). */
export type SmtpdAddonEvent = Extract<SmtpdEvent, {
  readonly kind: 'chkuser' | 'spamdyke' | 'simscan' | 'simscan_debug' | 'sqmail' | 'qlog' | 'smtpd_pidlog'
    | 'smtpd_title' | 'smtpd_logit' | 'rbl_listed' | 'goodrcptto' | 'smtpd_recv' | 'smtpd_policy' | 'smtpd_rbl' | 'spamdyke_note'
    | 'indimail';
}>;

export type { Captures } from './format.js';
export { matchFormats, toInt } from './format.js';

/** An smtpd-side line shape (parsers/format.ts), with the kind of event it builds. */
export interface SmtpdFormat extends Format<SmtpdEvent> {
  readonly kind: SmtpdEventKind;
}
