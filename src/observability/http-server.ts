import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { errorMessage, SetupError } from '../errors.js';

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Path -> handler; GET and HEAD only. */
export type Routes = ReadonlyMap<string, () => Reply | Promise<Reply>>;

export interface Listen {
  readonly port: number;
  readonly host: string;
}

export interface HttpServer {
  /** Where it listens, e.g. http://127.0.0.1:9464 (the actual port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A plain node:http server: four read-only routes do not need a framework. Every body it sends
 * goes through `scrub` (secretScrubber): its routes answer anyone who can reach the port.
 */
export async function startHttpServer(
  listen: Listen,
  routes: Routes,
  logger: Logger,
  scrub: (text: string) => string,
): Promise<HttpServer> {
  const server = createServer((request, response) => {
    void answer(routes, request, response, logger, scrub);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(listen, error)));
    server.listen(listen.port, listen.host, () => resolve());
  });
  server.on('error', (error) => logger.warn({ err: error }, 'metrics server error'));
  const { port } = server.address() as AddressInfo;
  const url = `http://${displayHost(listen.host)}:${port}`;
  logger.info({ url }, 'serving /metrics, /healthz, /readyz and /status');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps connections alive between scrapes; they must not delay exit.
        server.closeAllConnections();
      }),
  };
}

async function answer(
  routes: Routes,
  request: IncomingMessage,
  response: ServerResponse,
  logger: Logger,
  scrub: (text: string) => string,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(path);
  let reply: Reply;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    reply = text(405, 'method not allowed');
  } else if (!handler) {
    reply = text(404, `not found; try ${[...routes.keys()].join(', ')}`);
  } else {
    try {
      reply = await handler();
    } catch (error) {
      logger.warn({ err: error, path }, 'metrics server handler failed');
      reply = text(500, errorMessage(error));
    }
  }
  const body = scrub(reply.body);
  response.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

export function text(status: number, body: string): Reply {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` };
}

export function json(status: number, value: unknown): Reply {
  return { status, contentType: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` };
}

function listenError(listen: Listen, error: NodeJS.ErrnoException): Error {
  const where = `${listen.host}:${listen.port}`;
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
    return new SetupError(
      `cannot serve metrics on ${where} (${error.code}): set OUTBOX_METRICS_PORT to a free port ` +
        '(0 turns the HTTP server off) or OUTBOX_METRICS_HOST to an address of this host',
      { cause: error },
    );
  }
  return error;
}

/** A wildcard address is not somewhere to connect to; its loopback is. */
function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
