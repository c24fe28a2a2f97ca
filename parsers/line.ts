// One raw line → its frame and its event. The event parsers to try are given as data, so the
// framing knows nothing of the programs and each program's parser knows nothing of framing.

import type { SendEvent } from './events.js';
import { parseFrame, type Frame, type FrameContext } from './frame.js';
import { parseSendText } from './qmail-send.js';

export type TextParser<E> = (text: string) => E | undefined;

export interface ParsedText<S> {
  readonly send: SendEvent | undefined;
  readonly other: S | undefined;
}

/** Tries qmail-send first (most lines of a busy log), then the other parser. */
export function parseText<S>(text: string, other: TextParser<S> | undefined): ParsedText<S> {
  const send = parseSendText(text);
  if (send !== undefined) return { send, other: undefined };
  return { send: undefined, other: other === undefined ? undefined : other(text) };
}

export function frameLine(raw: string, ctx: FrameContext): Frame {
  // CRLF copies: the CR belongs to the line ending, not to the text.
  const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  return parseFrame(line, ctx);
}
