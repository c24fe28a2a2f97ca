// vpopmail's vchkpw (the checkpassword of qmail-popup, qmail-smtpd's SMTP AUTH patches and
// webmail), vchkpw.c of vpopmail 5.4/5.5 (inter7, DerDakon and sagredo-dev trees): every line is
// `snprintf(LogLine, "%s: …", VchkpwLogName, …)` then vlog() → syslog(LOG_NOTICE) with
// openlog(LOG_NAME = "vpopmail", LOG_PID, LOG_MAIL), so a maillog shows
// `vpopmail[PID]: vchkpw-SERVICE: TEXT`. VchkpwLogName comes from TCPLOCALPORT: 25 smtp, 110 pop3,
// 143 imap, 465 smtps, 587 submission, 993 imaps, 995 pop3s, any other port `vchkpw-PORT`; a POP or
// IMAP login from a webmail IP (127.0.0.1) is `vchkpw-webmail`. vpopmail before 5.4 wrote `vchkpw:`.
// Every '%' of the line became '#' (sysc()). The password is logged only with
// --enable-logging=v/p (`password fail (pass: '…')`); the event keeps only that it was.
//
// Where it leads: PID is vchkpw's own (a child of qmail-popup or of qmail-smtpd, exec'ed per
// login), not tcpserver's pid, so no exact link exists. An SMTP-side event (service smtp, smtps,
// submission, or a port whose session is qmail-smtpd's) belongs to the SMTP session open from
// `ip` at that time on that host, by IP and time only; POP3/IMAP/webmail events belong to no qmail
// session and are listed and counted on their own (brute force shows here first).

import { matchFormats, type Captures, type Format } from './format.js';

export type VchkpwOutcome =
  | 'success'          // (PLAIN|CRAM-MD5|APOP) login success, system password login success
  | 'fail'             // password fail (wrong password)
  | 'unknown_user'     // vpopmail user not found, system user (shadow entry) not found
  | 'null_password' | 'null_user' | 'invalid_name'
  | 'denied'           // pop|smtp|imap|webmail access denied (account flags)
  | 'no_password'      // user has no password
  | 'error';           // internal: setuid, chdir, putenv, dir create, auth module, SQL log

export interface VchkpwEvent {
  readonly kind: 'auth';
  /** Log name after `vchkpw-`: pop3, pop3s, imap, imaps, smtp, smtps, submission, webmail, a port
   *  number, or '' for the old `vchkpw:` form. */
  readonly service: string;
  /** The protocol the service implies (vchkpw.c's ConnType); null when only a port was logged. */
  readonly protocol: 'smtp' | 'pop3' | 'imap' | 'webmail' | null;
  /** TCPLOCALPORT as the service name implies it (vchkpw-NNN gives it outright). */
  readonly port: number | null;
  readonly outcome: VchkpwOutcome;
  /** Success only: PLAIN, CRAM-MD5, APOP (patched builds log LOGIN too). */
  readonly mechanism: string | null;
  /** The login name as logged: `user@domain` or a bare name. */
  readonly login: string;
  readonly user: string;
  readonly domain: string;
  readonly ip: string;
  /** A /etc/passwd user (ENABLE_PASSWD), not a vpopmail one. */
  readonly system: boolean;
  /** The line carried the password the client sent; the text is never kept. */
  readonly passwordLogged: boolean;
  /** What failed for 'denied' (pop, smtp, imap, webmail) and 'error' (the rest of the line). */
  readonly detail: string | null;
}

const PORTS: Readonly<Record<string, readonly [VchkpwEvent['protocol'], number | null]>> = {
  smtp: ['smtp', 25], pop3: ['pop3', 110], imap: ['imap', 143], smtps: ['smtp', 465],
  submission: ['smtp', 587], imaps: ['imap', 993], pop3s: ['pop3', 995], webmail: ['webmail', null],
};

const HEAD = String.raw`^vchkpw(?:-(?<svc>[a-z0-9]+))?: `;
const WHO = String.raw`(?<login>[^\s:]*):(?<ip>[^\s:]*(?::[^\s:]*)*)$`;   // name:IP, an IPv6 IP keeps its colons
const ADDR = String.raw`(?<user>[^\s@:]*)@(?<domain>[^\s:]*):(?<ip>[^\s:]*(?::[^\s:]*)*)$`;

function rx(body: string): RegExp {
  return new RegExp(HEAD + body);
}

interface Spec {
  readonly name: string;
  readonly pattern: RegExp;
  readonly outcome: VchkpwOutcome;
  readonly system?: boolean;
  readonly samples: readonly string[];
  readonly provenance: 'real' | 'source';
  readonly detail?: (g: Captures) => string | null;
}

function service(g: Captures): Pick<VchkpwEvent, 'service' | 'protocol' | 'port'> {
  const svc = g['svc'] ?? '';
  const known = PORTS[svc];
  if (known !== undefined) return { service: svc, protocol: known[0], port: known[1] };
  if (/^\d{1,5}$/.test(svc)) {
    const p = Number(svc);
    return { service: svc, protocol: null, port: p <= 65535 ? p : null };
  }
  return { service: svc, protocol: null, port: null };
}

function build(spec: Spec, g: Captures): VchkpwEvent {
  let user = g['user'];
  let domain = g['domain'];
  const login = g['login'] ?? (user !== undefined ? `${user}@${domain ?? ''}` : '');
  if (user === undefined) {
    const at = login.indexOf('@');
    user = at < 0 ? login : login.slice(0, at);
    domain = at < 0 ? '' : login.slice(at + 1);
  }
  return {
    kind: 'auth', ...service(g), outcome: spec.outcome, mechanism: g['mech'] ?? null,
    login, user, domain: domain ?? '', ip: g['ip'] ?? '', system: spec.system === true,
    passwordLogged: g['pass'] !== undefined, detail: spec.detail?.(g) ?? null,
  };
}

const PASS = String.raw`(?:(?<pass>\(pass: '.*'\)) )?`;   // greedy: a password may hold `') `

const SPECS: readonly Spec[] = [
  { name: 'vchkpw.success', outcome: 'success', provenance: 'real',
    pattern: rx(String.raw`\((?<mech>[A-Z0-9-]{1,20})\) login success ` + ADDR),
    samples: [
      'vchkpw-pop3: (PLAIN) login success user@my_domain:1.2.3.4',
      'vchkpw-submission: (CRAM-MD5) login success user@my_domain:1.2.3.4',
      'vchkpw-webmail: (PLAIN) login success user@my_domain:127.0.0.1',
    ] },
  { name: 'vchkpw.password_fail', outcome: 'fail', provenance: 'real',
    pattern: rx('password fail ' + PASS + ADDR),
    samples: [
      'vchkpw-pop3: password fail user1@xxxx.com:192.168.2.1',
      "vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.xxx.com>') myuserid@xxx.com:208.210.222.68",
      "vchkpw-imap: password fail (pass: 'aaaa') user@my_domain:192.168.1.19",
    ] },
  { name: 'vchkpw.user_not_found', outcome: 'unknown_user', provenance: 'real',
    pattern: rx('vpopmail user not found ' + ADDR),
    samples: [
      'vchkpw-pop3: vpopmail user not found myuserid@:208.210.222.68',
      'vchkpw-smtp: vpopmail user not found webmaster@:58.62.86.10',
      'vchkpw-pop3: vpopmail user not found dlb@example.net:67.92.111.22',
    ] },
  { name: 'vchkpw.null_password', outcome: 'null_password', provenance: 'real',
    pattern: rx('null password given ' + WHO),
    samples: [
      'vchkpw-pop3: null password given oneone1:121.243.18.134',
      'vchkpw-webmail: null password given user@my_domain:127.0.0.1',
    ] },
  { name: 'vchkpw.null_user', outcome: 'null_user', provenance: 'source',
    pattern: rx('null user name given ' + WHO),
    samples: ['vchkpw-smtp: null user name given :192.0.2.7'] },
  { name: 'vchkpw.invalid_name', outcome: 'invalid_name', provenance: 'source',
    pattern: rx('invalid user/domain characters ' + WHO),
    samples: ['vchkpw-pop3: invalid user/domain characters a#b@example.org:192.0.2.7'] },
  { name: 'vchkpw.access_denied', outcome: 'denied', provenance: 'source',
    pattern: rx('(?<what>pop|smtp|imap|webmail) access denied ' + ADDR),
    detail: (g) => g['what'] ?? null,
    samples: ['vchkpw-submission: smtp access denied alice@example.org:192.0.2.7'] },
  { name: 'vchkpw.no_password', outcome: 'no_password', provenance: 'source',
    pattern: rx('user has no password ' + ADDR),
    samples: ['vchkpw-imap: user has no password bob@example.org:192.0.2.7'] },
  { name: 'vchkpw.system_success', outcome: 'success', system: true, provenance: 'source',
    pattern: rx('system password login success ' + WHO),
    samples: ['vchkpw-pop3: system password login success root:192.0.2.7'] },
  { name: 'vchkpw.system_fail', outcome: 'fail', system: true, provenance: 'source',
    pattern: rx('system password fail ' + PASS + WHO),
    samples: ['vchkpw-pop3: system password fail operator:192.0.2.7',
      "vchkpw-pop3: system password fail (pass: 'x') y') operator:192.0.2.7"] },
  { name: 'vchkpw.system_unknown', outcome: 'unknown_user', system: true, provenance: 'source',
    pattern: rx('system user (?:shadow entry )?not found ' + WHO),
    samples: ['vchkpw-pop3: system user not found nobody2:192.0.2.7',
      'vchkpw-pop3: system user shadow entry not found nobody2:192.0.2.7'] },
  { name: 'vchkpw.internal', outcome: 'error', provenance: 'source',
    pattern: rx(String.raw`(?<what>(?:setgid|setuid) \d+ failed errno -?\d+|(?:autocreate dir errno|chdir failed errno) -?\d+ \S*|putenv\([A-Z]+\) failed errno -?\d+|dir auto create failed|failed to vauth_getpw\(\) after dir auto create) ` + ADDR),
    detail: (g) => g['what'] ?? null,
    samples: [
      'vchkpw-pop3: setuid 89 failed errno 1 alice@example.org:192.0.2.7',
      'vchkpw-imap: chdir failed errno 2 /home/vpopmail/domains/example.org/alice alice@example.org:192.0.2.7',
      'vchkpw-pop3: putenv(HOME) failed errno 12 alice@example.org:192.0.2.7',
    ] },
];

export type VchkpwFormat = Format<VchkpwEvent>;

const MAIN: readonly VchkpwFormat[] = SPECS.map((s) => ({
  name: s.name, pattern: s.pattern, samples: s.samples, provenance: s.provenance,
  build: (g: Captures) => build(s, g),
}));

/** vauth_open()'s verror() text (any other text after the log name), and the SQL logger's complaint. */
const FALLBACK: readonly VchkpwFormat[] = [
  { name: 'vchkpw.sql_log', pattern: /^vchkpw: can't write SQL logs$/, provenance: 'source',
    samples: ["vchkpw: can't write SQL logs"],
    build: () => ({ kind: 'auth', service: '', protocol: null, port: null, outcome: 'error', mechanism: null,
      login: '', user: '', domain: '', ip: '', system: false, passwordLogged: false, detail: "can't write SQL logs" }) },
  { name: 'vchkpw.auth_module', pattern: rx(String.raw`(?!\(|(?:system )?password |vpopmail user |null |invalid user|\w+ access denied |user has no |system user |setgid |setuid |autocreate |chdir |putenv\(|dir auto |failed to vauth|can't write SQL)(?<text>.+)$`),
    provenance: 'source',
    samples: ['vchkpw-smtp: Unable to connect to MySQL server'],
    build: (g) => ({ kind: 'auth', ...service(g), outcome: 'error', mechanism: null, login: '', user: '', domain: '',
      ip: '', system: false, passwordLogged: false, detail: g['text'] ?? null }) },
];

/** Every vchkpw shape. */
export const VCHKPW_FORMATS: readonly VchkpwFormat[] = [...MAIN, ...FALLBACK];

const RX_TAGGED = /^vpopmail\[\d+\]: /;

/** The text of a `vpopmail[PID]:` syslog line (tag given by the frame or still on the text). */
export function parseVchkpw(text: string): VchkpwEvent | undefined {
  let t = text;
  if (t.charCodeAt(0) !== 118) return undefined;   // v
  if (!t.startsWith('vchkpw')) {
    const m = RX_TAGGED.exec(t);
    if (m === null) return undefined;
    t = t.slice(m[0].length);
    if (!t.startsWith('vchkpw')) return undefined;
  }
  if (t.charCodeAt(t.length - 1) === 32) t = t.trimEnd();
  return matchFormats(VCHKPW_FORMATS, t);
}
