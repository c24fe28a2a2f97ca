// qmail-scanner (Jason Haar's Perl QMAILQUEUE wrapper, 1.x and 2.x) with `--log-details syslog`.
// Its syslog line is `qmail-scanner[PID]: TAG ELAPSED BYTES SENDER RCPTS SUBJECT <MESSAGE-ID> …`:
// - TAG is the verdict it also writes into `X-Qmail-Scanner(-Diagnostics):` headers. A clean mail
//   is `Clear:` then `NAME:N(detail):` components, RC = relay client 0/1 (with the client IP),
//   SA = SpamAssassin flag 0/1 (with score/required): `Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0):`. A
//   blocked mail names what blocked it first: a virus scanner (`CLAMDSCAN:` then the virus name)
//   or a policy (qmail-scanner's perlscan, banned attachments…) then its description.
// - SUBJECT has its blanks turned into '_' (qmail-scanner's test_installation.sh finds its test
//   mails with `egrep " qmail-scanner\[.* Qmail-Scanner_"`).
// qmail-scanner-queue.pl itself was not found in the public sources searched; the field order
// comes from two consumers of these lines — the Seguimiento project's antivirus log processor
// (us.es, 2010) splits a line on blanks and reads [5] TAG, [8] sender, [9] recipient, [10]
// subject, [11] <message-id>, and TAG's first field Clear / CLAMDSCAN (virus name next) / other
// (a policy) — and the description for ELAPSED (seconds) and BYTES. The TAG grammar is
// checked against real headers (test/public/qmail-scanner-headers-tags.txt); no real log line was
// found, so the line samples are marked 'source'.
//
// Where it leads: qmail-scanner is QMAILQUEUE, exec'ed by qmail-smtpd (or qmail-inject): its PID
// is the pid qmail-smtpd forked for the queue, and it runs the real qmail-queue as a child, so
// qmail-send's `qp` is NOT this pid (formats.md: forking wrappers break qp = pid). Link to the SMTP
// session by RC's IP and time on that host (the session whose DATA ended then), and to the message
// by sender + recipients (+ message-id where a later line shows it) within seconds; BYTES is a hint
// only (`info msg M: bytes B` counts the queued message with qmail-scanner's added headers).

import { matchFormats, toInt, type Captures, type Format } from './format.js';

export interface ScanComponent {
  readonly name: string;          // RC, SA, CLAMDSCAN… as logged
  readonly value: number;
  readonly detail: string | null; // text in parentheses
}

export interface ScanEvent {
  readonly kind: 'scan';
  /** The tag's first word as logged (Clear, CLAMDSCAN, …). */
  readonly word: string;
  /** For a blocked mail: the tag after its first word (the virus name, the policy's text). */
  readonly reason: string | null;
  readonly verdict: 'clear' | 'spam' | 'virus' | 'policy' | 'other';
  readonly tag: string;
  readonly components: readonly ScanComponent[];
  /** RC's value (1 = relay client) and IP. */
  readonly relayClient: boolean | null;
  readonly ip: string | null;
  /** SA's flag and score/required. */
  readonly spam: boolean | null;
  readonly score: number | null;
  readonly required: number | null;
  readonly elapsed: number;
  readonly bytes: number;
  readonly sender: string;
  readonly recipients: readonly string[];
  /** The subject as logged (blanks became '_'). */
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly rest: string;
  readonly pid: number | null;
}

const RX_COMPONENT = /([A-Za-z][A-Za-z0-9_-]{0,15}):(-?\d{1,6})(?:\(([^()]*)\))?:/g;
const RX_TAG_HEAD = /^([A-Za-z][A-Za-z_-]{0,30}):/;

const RX_AV = /scan|clam|sophos|fsav|f-prot|fprot|trend|kav|drweb|avast|avg|nod32|mcafee|bitdefender|virus|infect/i;

/** A scanner TAG (`Clear:RC:1(ip):SA:0(-1.2/5.0):`, `CLAMDSCAN:virus:`) → its parts; undefined when it is not one. */
export function parseScannerTag(tag: string): Pick<ScanEvent, 'word' | 'reason' | 'verdict' | 'components' | 'relayClient' | 'ip' | 'spam' | 'score' | 'required'> | undefined {
  const head = RX_TAG_HEAD.exec(tag);
  if (head === null || tag.charCodeAt(tag.length - 1) !== 58) return undefined;   // ends with ':'
  const word = head[1] ?? '';
  const lw = word.toLowerCase();
  if (lw !== 'clear' && lw !== 'clean') {
    const reason = tag.slice(head[0].length, -1);
    const verdict: ScanEvent['verdict'] = /spam/.test(lw) ? 'spam' : lw !== 'perlscan' && RX_AV.test(lw) ? 'virus' : 'policy';
    return { word, reason: reason === '' ? null : reason, verdict, components: [], relayClient: null, ip: null,
      spam: null, score: null, required: null };
  }
  const components: ScanComponent[] = [];
  let at = head[0].length;
  RX_COMPONENT.lastIndex = at;
  for (let m = RX_COMPONENT.exec(tag); m !== null && m.index === at; m = RX_COMPONENT.exec(tag)) {
    components.push({ name: m[1] ?? '', value: Number(m[2]), detail: m[3] ?? null });
    at = RX_COMPONENT.lastIndex;
  }
  RX_COMPONENT.lastIndex = 0;
  if (at !== tag.length) return undefined;
  const rc = components.find((c) => c.name === 'RC');
  const sa = components.find((c) => c.name === 'SA');
  let score: number | null = null;
  let required: number | null = null;
  const sm = /^(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(sa?.detail ?? '');
  if (sm !== null) { score = Number(sm[1]); required = Number(sm[2]); }
  const spam = sa === undefined ? null : sa.value !== 0;
  return {
    word, reason: null, verdict: spam === true ? 'spam' : 'clear', components,
    relayClient: rc === undefined ? null : rc.value !== 0, ip: rc?.detail ?? null, spam, score, required,
  };
}

const RX_MSGID = /<[^<>\s]*@[^<>\s]*>/;

function build(g: Captures): ScanEvent | undefined {
  const tag = g['tag'] ?? '';
  const parts = parseScannerTag(tag);
  const bytes = toInt(g['bytes']);
  const elapsed = Number(g['elapsed']);
  if (parts === undefined || bytes === undefined || !Number.isFinite(elapsed)) return undefined;
  const rest = g['rest'] ?? '';
  const rcpts = g['rcpts'] ?? '';
  const first = rest.split(' ', 1)[0] ?? '';
  return {
    kind: 'scan', tag, ...parts, elapsed, bytes, sender: g['sender'] ?? '',
    recipients: rcpts === '' ? [] : rcpts.split(','),
    subject: first === '' || RX_MSGID.test(first) ? null : first, messageId: RX_MSGID.exec(rest)?.[0] ?? null, rest,
    pid: toInt(g['pid']) ?? null,
  };
}

export type ScanFormat = Format<ScanEvent>;

export const QMAIL_SCANNER_FORMATS: readonly ScanFormat[] = [
  {
    name: 'qmail-scanner.verdict', provenance: 'source', build,
    pattern: /^(?:qmail-scanner\[(?<pid>\d{1,10})\]: )?(?<tag>[A-Za-z][A-Za-z_-]{0,30}:\S*:) (?<elapsed>\d{1,9}(?:\.\d{1,9})?) (?<bytes>\d{1,15}) (?<sender>\S*) (?<rcpts>\S*)(?: (?<rest>.*))?$/,
    samples: [
      'Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0): 0.824417 2214 alice@example.org bob@example.net Hello_Bob <20260101120000.1234@example.org> 1767268800.12345',
      'Clear:RC:0(198.51.100.9):SA:1(9.8/5.0): 3.1 15020 spammer@example.com carol@example.net,dave@example.net Buy_now',
      'qmail-scanner[4711]: Clear:RC:1(192.0.2.7): 0.03 512 alice@example.org bob@example.net',
      'CLAMDSCAN:Eicar-Test-Signature: 0.41 1804 alice@example.org root@example.net Qmail-Scanner_viral_test_(3/4):_checking_non-perlscanner_AV... <x@example.org>',
    ],
  },
];

/** A qmail-scanner log line's text (with or without its `qmail-scanner[PID]: ` tag). */
export function parseQmailScanner(text: string, pid?: number): ScanEvent | undefined {
  const c = text.charCodeAt(0);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  const colon = text.indexOf(':');
  const space = text.indexOf(' ');
  if (colon < 0 || space < 0 || colon > space) return undefined;   // the tag is the first word
  const ev = matchFormats(QMAIL_SCANNER_FORMATS, text);
  if (ev === undefined || pid === undefined || ev.pid !== null) return ev;
  return { ...ev, pid };
}
