// A tiny HTTP server on 127.0.0.1 for download tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Starts a server routing by path; returns its base URL, per-path hit counts and `close`. */
export async function startServer(routes: Record<string, Handler>) {
  const hits: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const p = req.url ?? '/';
    hits[p] = (hits[p] ?? 0) + 1;
    const h = routes[p];
    if (h) h(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves bytes with a Content-Length. */
export function serve(bytes: Uint8Array): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
    res.end(bytes);
  };
}

/** Announces the full length, sends half, then cuts the connection. */
export function serveTruncated(bytes: Uint8Array): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
  };
}

/** Answers 500 for the first `failures` requests, then serves the bytes. */
export function serveAfterFailures(bytes: Uint8Array, failures: number): Handler {
  let n = 0;
  return (req, res) => {
    if (n++ < failures) {
      res.statusCode = 500;
      res.end('try again');
    } else serve(bytes)(req, res);
  };
}

/**
 * Serves bytes and honours `Range: bytes=N-` with 206 and Content-Range, as images.cocodataset.org does.
 * `tearFirst` requests (counted from the start) announce the full length, send `tearAt` of the bytes asked for,
 * then close the connection. Every request's Range header (or '') is pushed to `ranges`.
 */
export function serveRanges(bytes: Uint8Array, opts: { tearFirst?: number; tearAt?: number; ranges?: string[] } = {}): Handler {
  let n = 0;
  return (req, res) => {
    const range = req.headers.range ?? '';
    opts.ranges?.push(range);
    const m = /^bytes=(\d+)-$/.exec(range);
    const start = m ? Number(m[1]) : 0;
    if (start >= bytes.length && m) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    const body = bytes.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': body.length, 'accept-ranges': 'bytes' };
    if (m) headers['content-range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (n++ < (opts.tearFirst ?? 0)) {
      // Close the connection after the client had time to take the bytes in: a close that arrives with them can make
      // the client drop them unread (then nothing is left to resume, which the tests could not tell from a bug).
      res.write(body.subarray(0, Math.floor(body.length * (opts.tearAt ?? 0.5))), () => setTimeout(() => res.socket?.destroy(), 100));
    } else res.end(body);
  };
}
