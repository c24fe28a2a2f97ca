// /metrics over plain node:http, for Prometheus to scrape. Anything else is a 404.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QtraceError } from '../util/errors.js';

export interface MetricsServer {
  readonly port: number;
  readonly address: string;        // host:port as bound
  close(): Promise<void>;
}

/** 'HOST:PORT', '[::1]:PORT' or ':PORT' (loopback). */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new QtraceError('USAGE', `--metrics wants HOST:PORT, not '${s}'`, 'e.g. 127.0.0.1:9850');
  }
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]!), port };
}

export async function serveMetrics(listen: string, render: () => string): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    if (path !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n'); return; }
    const body = render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new QtraceError('METRICS', `cannot serve metrics on ${listen}: ${e.code === 'EADDRINUSE' ? 'address in use' : e.message}`)));
    server.listen(port, host, () => resolve());
  });
  server.unref(); // never what keeps the process alive
  return {
    port: (server.address() as AddressInfo).port,
    address: `${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
