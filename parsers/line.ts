// One raw line → its frame. Which program's parser reads the text is the ingest's stage list
// (src/ingest/programs.ts): the framing knows nothing of the programs.

import { parseFrame, type Frame, type FrameContext } from './frame.js';

export function frameLine(raw: string, ctx: FrameContext): Frame {
  // CRLF copies: the CR belongs to the line ending, not to the text.
  const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  return parseFrame(line, ctx);
}
