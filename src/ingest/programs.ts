// The programs qtrace reads, in the order their parsers are tried on a line: each a stage of
// parser → correlator (src/ingest/stages.ts). qmail-send goes first: most lines of a busy log.
// The add-ons follow smtpd; each of their parsers refuses a line on its first characters.

import type { SendEvent } from '../../parsers/events.js';
import type { Frame } from '../../parsers/frame.js';
import { parsePlesk, type PleskEvent } from '../../parsers/plesk.js';
import { parseQmailScanner, type ScanEvent } from '../../parsers/qmail-scanner.js';
import { parseSendText, queueOf } from '../../parsers/qmail-send.js';
import type { SmtpdEvent } from '../../parsers/smtpd-events.js';
import { parseSmtpdText } from '../../parsers/smtpd.js';
import { parseVchkpw, type VchkpwEvent } from '../../parsers/vchkpw.js';
import type { AddonCorrelator } from '../correlate/addons.js';
import type { Correlator } from '../correlate/correlator.js';
import type { SessionCorrelator } from '../correlate/sessions.js';
import { recogniseNotQmail } from '../../parsers/not-qmail.js';
import { sendCodec } from './send-codec.js';
import type { Foreign, Stage } from './stages.js';

/** The correlators of one pass, one per kind of history they build. */
export interface Correlators {
  readonly send: Correlator;
  readonly sessions: SessionCorrelator;
  readonly addons?: AddonCorrelator;
}

/** vchkpw's event does not carry its pid (the frame's [PID]): the stage hands both on. */
/** A vchkpw event with the syslog pid it came with (its kind on top, as every stage's event has one). */
interface Auth { readonly kind: VchkpwEvent['kind']; readonly ev: VchkpwEvent; readonly pid: number | null }

function parseAuth(text: string, f: Frame): Auth | undefined {
  if (text.charCodeAt(0) !== 118) return undefined;   // 'v': every vchkpw line starts `vchkpw`
  const ev = parseVchkpw(text);
  return ev === undefined ? undefined : { kind: ev.kind, ev, pid: f.pid ?? null };
}

export function stagesFor(c: Correlators): Stage[] {
  const send: Stage<SendEvent> = {
    name: 'send', parse: parseSendText, onePerHost: true,
    // indimail multi-queue: each queue is its own qmail-send, with its own ids
    hostOf: (host, text) => { const q = queueOf(text); return q === undefined ? host : `${host}/${q}`; },
    push: (at, host, _stream, ev) => c.send.push(at, host, ev),
    codec: sendCodec,
  };
  const smtpd: Stage<SmtpdEvent> = {
    name: 'smtpd', parse: parseSmtpdText,
    push: (at, host, stream, ev) => c.sessions.push(at, host, stream, ev),
  };
  const a = c.addons;
  if (a === undefined) return [send, smtpd] as Stage[];
  const vchkpw: Stage<Auth> = {
    name: 'vchkpw', parse: parseAuth,
    push: (at, host, _stream, x) => a.pushAuth(at, host, x.ev, x.pid),
  };
  const plesk: Stage<PleskEvent> = {
    name: 'plesk', parse: (text, f) => parsePlesk(text, f.tag, f.pid),
    push: (at, host, _stream, ev) => a.pushPlesk(at, host, ev),
  };
  const scanner: Stage<ScanEvent> = {
    name: 'qmail-scanner', parse: (text, f) => parseQmailScanner(text, f.tag === 'qmail-scanner' ? f.pid : undefined),
    push: (at, host, _stream, ev) => a.pushScan(at, host, ev),
  };
  return [send, smtpd, vchkpw, plesk, scanner] as Stage[];
}

/** Lines of other programs that share a maillog (Dovecot, spamd, clamd…): counted apart from unknown ones. */
export const foreign: Foreign = (tag, text) => recogniseNotQmail(tag, text)?.program;
