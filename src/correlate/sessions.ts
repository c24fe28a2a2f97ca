// The smtpd side's public face (src/ingest and src/store import from here); the work is done in
// ./smtpd/: recordio-join.ts (records → complete lines → typed events, via parsers/smtp-dialogue.ts),
// dialogue.ts (the SMTP state machine), addon-rules.ts, verdict.ts, lifecycle.ts (sessions by key),
// snapshot.ts and seams.ts.

export { SessionCorrelator } from './smtpd/lifecycle.js';
export { inSnapshot, joinSessions, prependToSnapshot, takeOver } from './smtpd/seams.js';
export type {
  AddonRecord, DataRecord, DataResult, HandedSession, OtherCommand, RcptRecord, SeamEvents, Session,
  SessionCorrelatorOptions, SessionReply, SessionStats, Transaction,
} from './smtpd/session-types.js';
