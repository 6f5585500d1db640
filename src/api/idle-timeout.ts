import type { FastifyInstance } from 'fastify';

/**
 * Closes connections that are silent when they should not be, without cutting a request
 * that is being worked on. Node's socket timeout counts any silence, including the seconds
 * a request may spend waiting for a hashing thread and decoding (bounded by their own
 * limits), so it is armed only where silence is the client's: from the connection until a
 * request starts (Node's header timeout does not cover a connection that sends nothing),
 * and while the response is written (a client that stops reading). Node's keep-alive
 * timeout takes over between requests, and its header and request timeouts while a request
 * is received.
 */
export function registerIdleTimeout(app: FastifyInstance, idleMs: number): void {
  app.server.on('connection', (socket) => socket.setTimeout(idleMs));
  app.addHook('onRequest', async (request) => {
    request.raw.socket.setTimeout(0);
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    request.raw.socket.setTimeout(idleMs);
    return payload;
  });
}
