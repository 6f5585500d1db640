import type { FastifyInstance } from 'fastify';

/**
 * One log line per request, written here instead of fastify's own two (which hold the raw
 * URL, with the case number in it, and the client's address). It holds the route pattern,
 * the status and the time; the client's address only where the operator's choice allows it:
 * of authenticated platforms by default, of every request with 'all', of none with 'none'.
 * Never a query string, a body, a header or a secret.
 */
export function registerRequestLog(app: FastifyInstance, clientAddresses: 'platforms' | 'all' | 'none'): void {
  app.addHook('onResponse', async (request, reply) => {
    const line: Record<string, unknown> = {
      method: request.method,
      // The pattern (/v1/cases/:caseNumber), never the URL; unknown paths are not echoed either.
      route: request.routeOptions.url ?? '(no route)',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (request.platform) line.platform = request.platform.name;
    if (clientAddresses === 'all' || (clientAddresses === 'platforms' && request.platform)) line.client = request.ip;
    request.log.info(line, 'request');
  });
}
