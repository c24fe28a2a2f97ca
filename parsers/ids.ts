// qmail's message ids are inode numbers: 64-bit on some filesystems, beyond what a double holds
// exactly (2^53). An id is a number while it is exact, else a bigint; never a rounded double.

export type MsgId = number | bigint;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Decimal digits → the id, exact whatever its size. */
export function msgId(digits: string): MsgId {
  if (digits.length < 16) return Number(digits);
  const b = BigInt(digits);
  return b <= SAFE ? Number(b) : b;
}
