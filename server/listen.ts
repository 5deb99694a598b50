import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { PcapApp } from './app.js';
import type { Logger } from './log.js';

export interface Listening {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, ends progress streams and running analyses, waits (at most `graceMs`) for requests in flight. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves the app on a Node HTTP server. Node defaults tuned for large uploads: no whole-request
 * deadline (a 500 MB upload on a slow link takes a while; uploads have their own idle timeout),
 * headers within 60 s. `Expect: 100-continue` uploads that announce more than the cap get their 413
 * before sending a byte of the body (curl sends that header for large files).
 */
export async function listen(app: PcapApp, o: { port: number; host: string; logger?: Logger }): Promise<Listening> {
  const server = createAdaptorServer({ fetch: app.fetch, port: o.port, hostname: o.host }) as Server;
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split('?')[0];
    if (app.acceptsUploadHeaders(req.method, path, req.headers['content-length'])) res.writeContinue();
    // Without `100 Continue` the client waits; the app answers 413 from the headers alone.
    server.emit('request', req, res);
  });
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
    o.logger?.debug('client_error', { code: err.code });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    server,
    port,
    url: `http://${shown}:${port}`,
    close: async (graceMs = 10_000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await app.close();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
