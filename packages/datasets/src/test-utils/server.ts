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
