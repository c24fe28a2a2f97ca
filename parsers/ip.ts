// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`), as the Fefe IPv6 patch for ucspi-tcp and a
// dual-stack listener print them (and put them in TCPREMOTEIP for chkuser, spamdyke, rblsmtpd).
// Events keep the IPv4 form in `ip` so that lines of one client match by IP whichever program
// logged it, and the text as logged in `ipLogged` when it differed.

const RX_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** The IPv4 address inside an IPv4-mapped IPv6 address; any other text unchanged. */
export function unmapIp(ip: string): string {
  if (ip.length < 14 || ip.charCodeAt(0) !== 58) return ip;   // ':'
  const m = RX_MAPPED.exec(ip);
  return m === null ? ip : (m[1] ?? ip);
}

/** `{ ip }`, plus `ipLogged` when the logged text was an IPv4-mapped address. */
export function ipFields(logged: string): { ip: string; ipLogged?: string } {
  const ip = unmapIp(logged);
  return ip === logged ? { ip } : { ip, ipLogged: logged };
}
