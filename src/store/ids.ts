// Message ids in SQLite: INTEGER holds a signed 64-bit value, so an unsigned 64-bit inode above
// 2^63 is stored as its two's complement, and ids are read back as text, never as a rounded double.

import { msgId, type MsgId } from '../../parsers/ids.js';

const INT64_MAX = (1n << 63n) - 1n;

export function idToSql(id: MsgId): number | bigint {
  return typeof id === 'bigint' && id > INT64_MAX ? BigInt.asIntN(64, id) : id;
}

/** From `CAST(msg AS TEXT)`. */
export function idFromSql(text: string): MsgId {
  return text.startsWith('-') ? BigInt.asUintN(64, BigInt(text)) : msgId(text);
}

/** In a view (JSON): a number while exact, else its decimal digits. */
export function idForView(id: MsgId): number | string {
  return typeof id === 'bigint' ? id.toString() : id;
}
