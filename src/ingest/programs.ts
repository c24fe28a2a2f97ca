// The programs qtrace reads, in the order their parsers are tried on a line: each a stage of
// parser → correlator (src/ingest/stages.ts). qmail-send goes first: most lines of a busy log.

import type { SendEvent } from '../../parsers/events.js';
import { parseSendText, queueOf } from '../../parsers/qmail-send.js';
import type { SmtpdEvent } from '../../parsers/smtpd-events.js';
import { parseSmtpdText } from '../../parsers/smtpd.js';
import type { Correlator } from '../correlate/correlator.js';
import type { SessionCorrelator } from '../correlate/sessions.js';
import { recogniseNotQmail } from '../../parsers/not-qmail.js';
import type { Foreign, Stage } from './stages.js';

/** The correlators of one pass, one per kind of history they build. */
export interface Correlators {
  readonly send: Correlator;
  readonly sessions: SessionCorrelator;
}

export function stagesFor(c: Correlators): Stage[] {
  const send: Stage<SendEvent> = {
    name: 'send', parse: parseSendText, onePerHost: true,
    // indimail multi-queue: each queue is its own qmail-send, with its own ids
    hostOf: (host, text) => { const q = queueOf(text); return q === undefined ? host : `${host}/${q}`; },
    push: (at, host, _stream, ev) => c.send.push(at, host, ev),
  };
  const smtpd: Stage<SmtpdEvent> = {
    name: 'smtpd', parse: parseSmtpdText,
    push: (at, host, stream, ev) => c.sessions.push(at, host, stream, ev),
  };
  return [send, smtpd] as Stage[];
}

/** Lines of other programs that share a maillog (Dovecot, spamd, clamd…): counted apart from unknown ones. */
export const foreign: Foreign = (tag, text) => recogniseNotQmail(tag, text)?.program;
