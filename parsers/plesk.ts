// Plesk's qmail (Plesk for Linux with the qmail MTA). Plesk is closed source: these shapes come
// from published maillogs (test/public/PROVENANCE.md). Plesk wraps qmail-queue, qmail-local and
// qmail-remote ("the code which invokes handlers is … installed as wrappers around qmail-queue,
// qmail-local, and qmail-remote", Plesk extensions guide, Mail Service, implementation notes); each
// wrapper runs the registered handlers (grey, spf, drweb, check-quota, dk_sign, limit-out…) and
// syslogs as `qmail-queue-handlers[PID]`, `qmail-local-handlers[PID]`, `qmail-remote-handlers[PID]`.
// The filters syslog under their own names: `greylisting filter[PID]`, `spf[PID]`, `check-quota[PID]`…
// and so does plesk-sendmail, the sendmail Plesk gives PHP's mail() (`plesk-sendmail[PID]: S<PID>: …`).
// Plesk's Postfix milter (psa-pc-remote) writes the same handler texts; its lines are Postfix's.
//
// Where it leads:
// - qmail-queue-handlers runs in qmail-queue's place (QMAILQUEUE is not needed: the wrapper *is*
//   bin/qmail-queue), so its PID is the message's qp: `info msg M: … qp PID` in qmail-send's log and
//   `Received: (qmail PID invoked …)`. Link to the message exactly by (host, qp = pid) within
//   seconds (pids wrap); a REJECT/DEFER verdict means no message was queued: it is a refused
//   message of the SMTP session whose qmail-smtpd ran this qmail-queue (the session that ends
//   without a `250 ok … qp PID`, at that time), with the handler's name as the reason.
// - qmail-local-handlers / qmail-remote-handlers run in place of qmail-local / qmail-remote, one per
//   delivery: their PID is the delivery's child, which qmail-send does not log. Link by time and by
//   the `to=` address to the `starting delivery D: msg M to local|remote ADDR` open at that moment.
// - Filter lines (greylisting filter[PID], spf[PID]…) carry the filter's own pid: they belong to
//   the handlers line that follows them in the same second (`… during call 'grey' handler`).
// - plesk-sendmail's PID is the injecting process (a website's mail()): the message it queued is
//   the `info msg … uid U` of that second, not linkable by pid.

import { matchFormats, toInt, type Captures, type Format } from './format.js';

export type PleskStage = 'queue' | 'local' | 'remote';

interface Base {
  /** The syslog tag: qmail-queue-handlers, greylisting filter, spf… */
  readonly program: string;
  readonly pid: number | null;
  /** qmail-queue-handlers only: its pid is the message's qp (it runs as qmail-queue). */
  readonly qp: number | null;
}

export type PleskEvent = Base & (
  | { readonly kind: 'plesk_start'; readonly stage: PleskStage }                 // Handlers Filter before-X for qmail started ...
  | { readonly kind: 'plesk_from'; readonly stage: PleskStage; readonly addr: string }
  | { readonly kind: 'plesk_to'; readonly stage: PleskStage; readonly addr: string }
  | { readonly kind: 'plesk_stderr'; readonly stage: PleskStage; readonly verdict: string }    // handlers_stderr: REJECT
  | { readonly kind: 'plesk_verdict'; readonly stage: PleskStage; readonly verdict: string; readonly handler: string }
  | { readonly kind: 'plesk_handler_error'; readonly stage: PleskStage; readonly handler: string }
  | { readonly kind: 'plesk_fork_status'; readonly stage: PleskStage; readonly code: string }
  | { readonly kind: 'plesk_aborted'; readonly stage: PleskStage }                // Message aborted.
  | { readonly kind: 'plesk_mailbox'; readonly stage: PleskStage; readonly path: string }
  | { readonly kind: 'plesk_smtpd_timeout'; readonly stage: PleskStage; readonly text: string }
  | { readonly kind: 'plesk_submitter'; readonly stage: PleskStage; readonly child: number; readonly how: string }
  | { readonly kind: 'plesk_filter_start'; readonly filter: string }           // Starting greylisting filter... / Starting the spf filter...
  | { readonly kind: 'plesk_grey_match'; readonly list: string; readonly from: string; readonly match: string }
  | { readonly kind: 'plesk_spf_status'; readonly status: string }
  | { readonly kind: 'plesk_sendmail'; readonly id: number; readonly text: string }   // plesk-sendmail: S<pid>: …
);

type Body = PleskEvent extends infer E ? E extends Base ? Omit<E, keyof Base> : never : never;

/** A format of a Plesk line's text (after `tag[pid]: `). */
export interface PleskFormat {
  readonly name: string;
  /** Which tags write it: handler wrappers or filters. */
  readonly family: 'handlers' | 'filter';
  readonly format: Format<Body>;
}

const STAGES: Readonly<Record<string, PleskStage>> = {
  'qmail-queue-handlers': 'queue', 'qmail-local-handlers': 'local', 'qmail-remote-handlers': 'remote',
};

function handlers(name: string, pattern: RegExp, provenance: 'real' | 'source', samples: readonly string[],
  build: (g: Captures) => Body | undefined): PleskFormat {
  return { name, family: 'handlers', format: { name, pattern, provenance, samples, build } };
}

function filter(name: string, pattern: RegExp, provenance: 'real' | 'source', samples: readonly string[],
  build: (g: Captures) => Body | undefined): PleskFormat {
  return { name, family: 'filter', format: { name, pattern, provenance, samples, build } };
}

// The stage is filled in from the tag after the match (a text does not say which wrapper wrote it).
const S: PleskStage = 'queue';

export const PLESK_FORMATS: readonly PleskFormat[] = [
  handlers('plesk.start', /^Handlers Filter before-(?<stage>queue|local|remote) for qmail started \.\.\.$/, 'real',
    ['Handlers Filter before-local for qmail started ...', 'Handlers Filter before-remote for qmail started ...'],
    (g) => ({ kind: 'plesk_start', stage: (g['stage'] ?? S) as PleskStage })),
  handlers('plesk.from', /^from=(?<addr>\S*)$/, 'real', ['from=anonymous@yourserver.com', 'from='],
    (g) => ({ kind: 'plesk_from', stage: S, addr: g['addr'] ?? '' })),
  handlers('plesk.to', /^to=(?<addr>\S*)$/, 'real', ['to=test@technicorp.net', 'to=info@clientsdomain.com.au'],
    (g) => ({ kind: 'plesk_to', stage: S, addr: g['addr'] ?? '' })),
  handlers('plesk.stderr', /^handlers_stderr: (?<v>[A-Z_]+)$/, 'real', ['handlers_stderr: REJECT', 'handlers_stderr: DEFER'],
    (g) => ({ kind: 'plesk_stderr', stage: S, verdict: g['v'] ?? '' })),
  handlers('plesk.verdict', /^(?<v>[A-Z_]+) during call '(?<h>[^']*)' handler$/, 'real',
    ["REJECT during call 'grey' handler", "DEFER during call 'grey' handler"],
    (g) => ({ kind: 'plesk_verdict', stage: S, verdict: g['v'] ?? '', handler: g['h'] ?? '' })),
  handlers('plesk.handler_error', /^Error during '(?<h>[^']*)' handler$/, 'real', ["Error during 'grey' handler"],
    (g) => ({ kind: 'plesk_handler_error', stage: S, handler: g['h'] ?? '' })),
  handlers('plesk.fork_status', /^_mh_fork\(\) unrecognized status code '(?<c>[^']*)'$/, 'real',
    ["_mh_fork() unrecognized status code '5'"],
    (g) => ({ kind: 'plesk_fork_status', stage: S, code: g['c'] ?? '' })),
  handlers('plesk.aborted', /^Message aborted\.$/, 'real', ['Message aborted.'],
    () => ({ kind: 'plesk_aborted', stage: S })),
  handlers('plesk.mailbox', /^mailbox: (?<path>\S.*)$/, 'real', ['mailbox: /var/qmail/mailnames/my-domain.co.uk/meg'],
    (g) => ({ kind: 'plesk_mailbox', stage: S, path: g['path'] ?? '' })),
  handlers('plesk.smtpd_timeout', /^(?<text>possibly qmail-smtpd exited by timeout, reset connection\..*)$/, 'real',
    ['possibly qmail-smtpd exited by timeout, reset connection. ^I^I^I^ISee "http://pobox.com/~djb/docs/smtplf.html." for get more information.'],
    (g) => ({ kind: 'plesk_smtpd_timeout', stage: S, text: g['text'] ?? '' })),
  handlers('plesk.submitter', /^starter: submitter\[(?<child>\d+)\] (?<how>exited normally|exited with status \d+|killed by signal \d+|.+)$/, 'source',
    ['starter: submitter[25915] exited normally'],
    (g) => {
      const child = toInt(g['child']);
      return child === undefined ? undefined : { kind: 'plesk_submitter', stage: S, child, how: g['how'] ?? '' };
    }),
  filter('plesk.filter_start', /^Starting (?:the )?(?<f>\S+(?: \S+)?) filter\.\.\.$/, 'real',
    ['Starting greylisting filter...', 'Starting the spf filter...'],
    (g) => ({ kind: 'plesk_filter_start', filter: g['f'] ?? '' })),
  filter('plesk.grey_match', /^list type: (?<list>\w+), from: (?<from>\S*), match string: (?<m>.*)$/, 'real',
    ['list type: black, from: db3outboundpool.messaging.microsoft.com, match string: dsl|pool|broadband|hsd'],
    (g) => ({ kind: 'plesk_grey_match', list: g['list'] ?? '', from: g['from'] ?? '', match: g['m'] ?? '' })),
  filter('plesk.sendmail', /^S(?<id>\d{1,10}): (?<text>.+)$/, 'real', ['S3207: Unable to prepare arguments for mail handlers.'],
    (g) => {
      const id = toInt(g['id']);
      return id === undefined ? undefined : { kind: 'plesk_sendmail', id, text: g['text'] ?? '' };
    }),
  filter('plesk.spf_status', /^SPF status (?<s>[A-Z]+)$/, 'real', ['SPF status PASS'],
    (g) => ({ kind: 'plesk_spf_status', status: g['s'] ?? '' })),
];

const HANDLER_FORMATS = PLESK_FORMATS.filter((f) => f.family === 'handlers').map((f) => f.format);
const FILTER_FORMATS = PLESK_FORMATS.filter((f) => f.family === 'filter').map((f) => f.format);

/** Tags of Plesk's filters (their lines use the filter formats). */
const FILTER_TAGS = new Set(['greylisting filter', 'spf', 'check-quota', 'drweb', 'dk_sign', 'dk_check', 'limit-out',
  'plesk-sendmail']);

/** First characters of the tags above: most lines of a maillog are dismissed on it. */
const FIRST = new Set([...Object.keys(STAGES), ...FILTER_TAGS].map((t) => t.charCodeAt(0)));

// `greylisting filter[PID]: …`: the frame's tag pattern stops at the space, so such lines reach us
// with their tag still on the text; so do lines of framings that have no tag at all.
const RX_TAG = /^(?<tag>[a-z][a-z_ -]{1,40}?)\[(?<pid>\d{1,10})\]: (?<text>.*)$/s;

/** Is this a tag the Plesk parser reads? */
export function isPleskTag(tag: string): boolean {
  return STAGES[tag] !== undefined || FILTER_TAGS.has(tag);
}

/**
 * A Plesk line → its event, or undefined. `tag` and `pid` are the syslog tag and pid when the frame
 * split them off; without them the text may still start with `tag[pid]: `.
 */
export function parsePlesk(text: string, tag?: string, pid?: number): PleskEvent | undefined {
  let t = text;
  let program = tag;
  let p: number | null = pid ?? null;
  if (program === undefined || !isPleskTag(program)) {
    const c = t.charCodeAt(0);
    if (!FIRST.has(c)) return undefined;
    const b = t.indexOf('[');
    if (b < 2 || b > 41) return undefined;
    const m = RX_TAG.exec(t);
    if (m === null) return undefined;
    const g = m.groups ?? {};
    program = g['tag'] ?? '';
    if (!isPleskTag(program)) return undefined;
    p = toInt(g['pid']) ?? null;
    t = g['text'] ?? '';
  }
  if (t.charCodeAt(t.length - 1) === 32) t = t.trimEnd();
  const stage = STAGES[program];
  const body = matchFormats(stage !== undefined ? HANDLER_FORMATS : FILTER_FORMATS, t);
  if (body === undefined) return undefined;
  const qp = stage === 'queue' ? p : null;
  if (stage !== undefined && 'stage' in body && body.kind !== 'plesk_start') {
    return { ...body, stage, program, pid: p, qp } as PleskEvent;
  }
  return { ...body, program, pid: p, qp } as PleskEvent;
}
