// qmail-scanner (Jason Haar's Perl QMAILQUEUE wrapper, 1.x and 2.x). Its syslog line is
// `[qmail-scanner[PID]: ]TAG ELAPSED BYTES SENDER RCPTS [REST]`, where TAG is the same verdict it
// writes into `X-Qmail-Scanner(-Diagnostics):` headers: `Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0):`
// — the verdict word, then `NAME:N(detail)` components (RC = relay client 0/1 with the client IP,
// SA = SpamAssassin 0/1 with score/required). The component grammar is checked against real
// headers (test/public); qmail-scanner-queue.pl's logging itself was not found in the public
// sources searched, so the line's field order is taken from the description (samples
// marked 'source'): elapsed seconds, message bytes, envelope sender, recipients, then free text
// that may hold the message-id `<…@…>`.
//
// Where it leads: qmail-scanner is QMAILQUEUE, exec'ed by qmail-smtpd (or qmail-inject): its PID
// is the pid qmail-smtpd forked for the queue, and it runs the real qmail-queue as a child, so
// qmail-send's `qp` is NOT this pid (formats.md: forking wrappers break qp = pid). Link to the SMTP
// session by RC's IP and time on that host (the session whose DATA ended then), and to the message
// by sender + recipients + bytes within seconds (`info msg M: bytes B from <S>`; B counts the
// queued message, which qmail-scanner may have grown by its headers, so bytes is a hint only).

import { matchFormats, toInt, type Captures, type Format } from './format.js';

export interface ScanComponent {
  readonly name: string;          // RC, SA, CLAMDSCAN… as logged
  readonly value: number;
  readonly detail: string | null; // text in parentheses
}

export interface ScanEvent {
  readonly kind: 'scan';
  /** The tag's first word as logged (Clear, …). */
  readonly word: string;
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
  readonly messageId: string | null;
  readonly rest: string;
  readonly pid: number | null;
}

const RX_COMPONENT = /([A-Za-z][A-Za-z0-9_-]{0,15}):(-?\d{1,6})(?:\(([^()]*)\))?:/g;
const RX_TAG_HEAD = /^([A-Za-z][A-Za-z_-]{0,30}):/;

/** A scanner TAG (`Clear:RC:1(ip):SA:0(-1.2/5.0):`) → its parts; undefined when it is not one. */
export function parseScannerTag(tag: string): Pick<ScanEvent, 'word' | 'verdict' | 'components' | 'relayClient' | 'ip' | 'spam' | 'score' | 'required'> | undefined {
  const head = RX_TAG_HEAD.exec(tag);
  if (head === null) return undefined;
  const word = head[1] ?? '';
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
  const lw = word.toLowerCase();
  const verdict: ScanEvent['verdict'] = lw === 'clear' || lw === 'clean' ? (spam === true ? 'spam' : 'clear')
    : /spam/.test(lw) ? 'spam' : /virus|infect/.test(lw) ? 'virus' : /polic|banned|bad|quarantin/.test(lw) ? 'policy' : 'other';
  return {
    word, verdict, components, relayClient: rc === undefined ? null : rc.value !== 0,
    ip: rc?.detail ?? null, spam, score, required,
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
  return {
    kind: 'scan', tag, ...parts, elapsed, bytes, sender: g['sender'] ?? '',
    recipients: rcpts === '' ? [] : rcpts.split(','), messageId: RX_MSGID.exec(rest)?.[0] ?? null, rest,
    pid: toInt(g['pid']) ?? null,
  };
}

export type ScanFormat = Format<ScanEvent>;

export const QMAIL_SCANNER_FORMATS: readonly ScanFormat[] = [
  {
    name: 'qmail-scanner.verdict', provenance: 'source', build,
    pattern: /^(?:qmail-scanner\[(?<pid>\d{1,10})\]: )?(?<tag>[A-Za-z][A-Za-z_-]{0,30}:[A-Za-z]\S*:) (?<elapsed>\d{1,9}(?:\.\d{1,9})?) (?<bytes>\d{1,15}) (?<sender>\S*) (?<rcpts>\S*)(?: (?<rest>.*))?$/,
    samples: [
      'Clear:RC:1(192.0.2.7):SA:0(-1.2/5.0): 0.824417 2214 alice@example.org bob@example.net Hello <20260101120000.1234@example.org> 1767268800.12345',
      'Clear:RC:0(198.51.100.9):SA:1(9.8/5.0): 3.1 15020 spammer@example.com carol@example.net,dave@example.net Buy_now',
      'qmail-scanner[4711]: Clear:RC:1(192.0.2.7): 0.03 512 alice@example.org bob@example.net',
    ],
  },
];

/** A qmail-scanner log line's text (with or without its `qmail-scanner[PID]: ` tag). */
export function parseQmailScanner(text: string, pid?: number): ScanEvent | undefined {
  const c = text.charCodeAt(0);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  if (text.indexOf(':') < 0 || text.indexOf(' ') < 0) return undefined;
  const ev = matchFormats(QMAIL_SCANNER_FORMATS, text);
  if (ev === undefined || pid === undefined || ev.pid !== null) return ev;
  return { ...ev, pid };
}
