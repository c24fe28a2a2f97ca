// The AUTH user name from a SASL response, for PLAIN, LOGIN and CRAM-MD5. The password is never kept.

const RX_BASE64 = /^[A-Za-z0-9+/]+=*$/;

/** AUTH user from an initial/continuation response (`nth`: which response of the exchange). */
export function authUser(mech: string | null, b64: string, nth: number): string | null {
  if (b64.length === 0 || b64 === '*') return null;
  if (!RX_BASE64.test(b64)) return null;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  if (mech === 'PLAIN') {                      // authzid \0 authcid \0 password
    const parts = text.split('\u0000');
    return parts.length >= 3 ? (parts[1] ?? null) : null;
  }
  if (mech === 'LOGIN') return nth === 0 ? text : null;
  if (mech === 'CRAM-MD5') {                   // "user digest"
    const sp = text.lastIndexOf(' ');
    return sp > 0 ? text.slice(0, sp) : null;
  }
  return null;
}
