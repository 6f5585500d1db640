import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * Query strings and path parameters arrive as text, JSON bodies arrive typed: only the
 * former are converted, and only from their one plain spelling. Ajv's own coercion (off in
 * this app) read `after=0x10` as 16, `after=1e3` as 1000 and `quality: "50"` as 50; here
 * an integer is written in decimal digits and a boolean as `true` or `false`, and anything
 * else stays text, so the schema refuses it with a 400 naming the field.
 */
export function registerTextFields(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema as FastifySchema | undefined;
    if (!schema) return;
    if (schema.querystring) convertFields(request.query, schema.querystring);
    if (schema.params) convertFields(request.params, schema.params);
  });
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

function convertFields(values: unknown, schema: unknown): void {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof values !== 'object' || values === null) return;
  const record = values as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    const type = properties[name]?.type;
    if (typeof value !== 'string') continue; // repeated keys arrive as arrays: refused as such
    if (type === 'integer' && DECIMAL.test(value) && Number.isSafeInteger(Number(value))) record[name] = Number(value);
    else if (type === 'boolean' && (value === 'true' || value === 'false')) record[name] = value === 'true';
  }
}
