// What a program's lines become, as data: each stage is a parser (parsers/, pure) and the
// correlator its events go to. The pipeline tries the stages in order on each line's text; the
// first that knows the line takes it. Adding a program is a new entry in the list the ingest builds
// (src/ingest/programs.ts), not an edit of the pipeline.

import type { Frame } from '../../parsers/frame.js';
import type { CodecFactory } from './event-channel.js';

/** A program's stage: its parser and where its events go. */
export interface Stage<E = unknown> {
  /** The events' source, as the live view and the metrics name it ('send', 'smtpd', …). */
  readonly name: string;
  /** The program's text, and its frame for parsers that need the syslog tag or pid (Plesk's handlers). */
  readonly parse: (text: string, frame: Frame) => E | undefined;
  /**
   * The program logs once per host whatever log carries it (qmail-send): its copies in two logs
   * are one stream. Otherwise each log (syslog tag or multilog dir) is a stream of its own.
   */
  readonly onePerHost?: boolean;
  /** The host its correlator keys the event under (indimail: one qmail-send per queue). */
  hostOf?(host: string, text: string): string;
  /** Takes an event. It may keep the event's fields, never the event: a codec's decode writes over it (EventCodec). */
  push(at: number, host: string, stream: string, ev: E): void;
  /** How its events cross from the reader thread (event-channel.ts); without one they go as plain data. */
  readonly codec?: CodecFactory<E>;
}

/** Lines of programs that share a maillog but are not qmail's family (dovecot, spamd, clamd…). */
export type Foreign = (tag: string | undefined, text: string) => string | undefined;
