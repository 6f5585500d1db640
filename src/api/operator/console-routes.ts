import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RempartError } from '../../errors.js';
import type { AuthenticatedOperator } from '../../service/takedown/operators.js';
import type { NoticeAnswer } from '../../service/takedown/notices.js';
import type { Period } from '../../service/takedown/reporting.js';
import type { Language } from '../../store/takedown.js';
import type { OperatorEngine } from './app.js';
import { clearSessionCookie, sessionToken, setSessionCookie } from './session-cookie.js';

export const CSRF_HEADER = 'x-csrf-token';

const refParams = { type: 'object', required: ['ref'], properties: { ref: { type: 'string', maxLength: 40 } } } as const;
const language = { type: 'string', enum: ['fr', 'en'] } as const;

function body(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties };
}

/** The console's JSON API, under /console/api. Everything but login needs a session. */
export const consoleRoutes: FastifyPluginAsync<{ rempart: OperatorEngine }> = async (app, { rempart }) => {
  const operators = new WeakMap<FastifyRequest, AuthenticatedOperator>();
  const operatorOf = (request: FastifyRequest) => operators.get(request)!;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (request.routeOptions.url === '/console/api/login') return;
    const operator = await rempart.operators.authenticate(sessionToken(request));
    // SameSite=Strict already keeps other sites' forms out; the token also stops same-site tricks.
    if (request.method !== 'GET' && request.headers[CSRF_HEADER] !== operator.csrfToken) {
      throw new RempartError('FORBIDDEN', `missing or wrong ${CSRF_HEADER} header`);
    }
    operators.set(request, operator);
  });

  app.post(
    '/login',
    {
      schema: {
        body: body(
          { name: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 }, code: { type: 'string', maxLength: 12 } },
          ['name', 'password', 'code'],
        ),
      },
    },
    async (request, reply) => {
      const { name, password, code } = request.body as { name: string; password: string; code: string };
      const { token, session } = await rempart.operators.login(name, password, code, request.ip);
      setSessionCookie(request, reply, token, (Date.parse(session.expiresAt) - Date.now()) / 1000);
      return session;
    },
  );

  app.post('/logout', async (request, reply) => {
    await rempart.operators.logout(sessionToken(request));
    clearSessionCookie(reply);
    return { ok: true };
  });

  app.get('/session', async (request) => rempart.operators.session(sessionToken(request)!));

  app.get('/queue', async () => ({
    queue: await rempart.casework.queue(),
    emailConfigured: rempart.notices.emailConfigured,
  }));

  app.get('/reports', async () => ({ reports: await rempart.casework.recentReports() }));

  app.get('/reports/:ref', { schema: { params: refParams } }, async (request) =>
    rempart.casework.report((request.params as { ref: string }).ref, operatorOf(request).actor),
  );

  app.post(
    '/links/:ref/status',
    { schema: { params: refParams, body: body({ status: { type: 'string' }, note: { type: 'string', maxLength: 1000 } }, ['status']) } },
    async (request) => {
      const { status, note } = request.body as { status: string; note?: string };
      return rempart.casework.setLinkStatus((request.params as { ref: string }).ref, status, note, operatorOf(request).actor);
    },
  );

  app.post(
    '/reports/:ref/notices',
    {
      schema: {
        params: refParams,
        body: body(
          {
            links: { type: 'array', items: { type: 'string', maxLength: 40 }, minItems: 1, maxItems: 500 },
            channel: { type: 'string', enum: ['platform', 'email'] },
            recipient: { type: 'string', maxLength: 254 },
            explanation: { type: 'string', maxLength: 4000 },
            language,
          },
          ['links', 'channel'],
        ),
      },
    },
    async (request) => {
      const ref = (request.params as { ref: string }).ref;
      const input = request.body as { links: string[]; channel: 'platform' | 'email'; recipient?: string; explanation?: string; language?: Language };
      const notices = await rempart.notices.send(ref, input, operatorOf(request).actor);
      return { notices: notices.map((n) => n.ref), report: await rempart.casework.report(ref, operatorOf(request).actor) };
    },
  );

  app.get('/notices', async (request) => {
    const { open } = request.query as { open?: string };
    const notices = await rempart.notices.list({ open: open === 'false' ? undefined : true, limit: 1000 });
    const names = new Map((await rempart.platforms.list()).map((p) => [p.id, p.name]));
    return {
      notices: notices.map((n) => ({
        ...n,
        platform: n.platformId === null ? null : (names.get(n.platformId) ?? null),
        overdue: rempart.notices.isOverdue(n),
      })),
    };
  });

  app.get('/notices/:ref/email', { schema: { params: refParams } }, async (request) => {
    const notice = await rempart.notices.notice((request.params as { ref: string }).ref);
    return { ...rempart.notices.emailText(notice), recipient: notice.recipient };
  });

  app.post(
    '/notices/:ref/outcome',
    {
      schema: {
        params: refParams,
        body: body(
          {
            answers: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: body(
                { link: { type: 'string', maxLength: 40 }, outcome: { type: 'string', enum: ['removed', 'refused'] }, reason: { type: 'string', maxLength: 1000 } },
                ['link', 'outcome'],
              ),
            },
          },
          ['answers'],
        ),
      },
    },
    async (request) => {
      const { answers } = request.body as { answers: NoticeAnswer[] };
      return rempart.notices.recordOutcome((request.params as { ref: string }).ref, answers, operatorOf(request).actor);
    },
  );

  app.post('/notices/:ref/sent', { schema: { params: refParams } }, async (request) =>
    rempart.notices.markSent((request.params as { ref: string }).ref, operatorOf(request).actor),
  );

  app.post('/notices/:ref/resend', { schema: { params: refParams } }, async (request) =>
    rempart.notices.deliverEmail(await rempart.notices.notice((request.params as { ref: string }).ref), operatorOf(request).actor),
  );

  app.get(
    '/reports/:ref/answer-draft',
    {
      schema: {
        params: refParams,
        querystring: body({ template: { type: 'string', maxLength: 40 }, language }, ['template', 'language']),
      },
    },
    async (request) => {
      const { template, language: lang } = request.query as { template: string; language: Language };
      return rempart.casework.draftAnswer((request.params as { ref: string }).ref, template, lang);
    },
  );

  app.post(
    '/reports/:ref/answer',
    { schema: { params: refParams, body: body({ text: { type: 'string', maxLength: 20_000 } }, ['text']) } },
    async (request) =>
      rempart.casework.answer((request.params as { ref: string }).ref, (request.body as { text: string }).text, operatorOf(request).actor),
  );

  app.post(
    '/reports/:ref/minor',
    { schema: { params: refParams, body: body({ referral: { type: 'string', maxLength: 200 } }) } },
    async (request) =>
      rempart.casework.handleMinor(
        (request.params as { ref: string }).ref,
        (request.body as { referral?: string } | undefined)?.referral,
        operatorOf(request).actor,
      ),
  );

  app.get('/reports/:ref/export', { schema: { params: refParams } }, async (request, reply) => {
    const ref = (request.params as { ref: string }).ref;
    const exported = await rempart.casework.exportMinor(ref, operatorOf(request).actor);
    return reply.header('content-disposition', `attachment; filename="rempart-${ref}.json"`).send(exported);
  });

  app.post('/reports/:ref/close', { schema: { params: refParams } }, async (request) =>
    rempart.casework.close((request.params as { ref: string }).ref, operatorOf(request).actor),
  );

  app.get('/platforms', async () => {
    const platforms = await rempart.casework.platforms();
    return {
      platforms: await Promise.all(
        platforms.map(async (p) => ({ ...p, webhook: (await rempart.webhooks.endpointOf(p.platformId)) ?? null })),
      ),
    };
  });

  app.put(
    '/platforms/:name',
    {
      schema: {
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } },
        body: body(
          {
            domains: { type: 'array', items: { type: 'string', maxLength: 253 }, maxItems: 200 },
            noticeEmail: { type: ['string', 'null'], maxLength: 254 },
            deadlineHours: { type: ['integer', 'null'] },
          },
          ['domains'],
        ),
      },
    },
    async (request) => {
      const input = request.body as { domains: string[]; noticeEmail?: string | null; deadlineHours?: number | null };
      return rempart.casework.setPlatformSettings((request.params as { name: string }).name, input, operatorOf(request).actor);
    },
  );

  // The review queue (as `rempart review`): submissions held out of the bank (near the
  // allow-list, a burst from one address, disputed by platforms) until released or rejected.
  app.get(
    '/review',
    { schema: { querystring: body({ status: { type: 'string', enum: ['held', 'released', 'rejected', 'all'], default: 'held' } }) } },
    async (request) => {
      const { status } = request.query as { status: 'held' | 'released' | 'rejected' | 'all' };
      return { held: await rempart.review.list(status === 'all' ? undefined : status, 500) };
    },
  );

  app.post('/review/:ref/release', { schema: { params: refParams } }, async (request) =>
    rempart.review.release((request.params as { ref: string }).ref, operatorOf(request).actor),
  );

  app.post('/review/:ref/reject', { schema: { params: refParams } }, async (request) =>
    rempart.review.reject((request.params as { ref: string }).ref, operatorOf(request).actor),
  );

  app.get('/templates', async () => ({ templates: await rempart.templates.list() }));

  app.put(
    '/templates/:key/:language',
    {
      schema: {
        params: { type: 'object', required: ['key', 'language'], properties: { key: { type: 'string', maxLength: 40 }, language } },
        body: body({ title: { type: 'string', maxLength: 200 }, body: { type: 'string', maxLength: 20_000 } }, ['title', 'body']),
      },
    },
    async (request) => {
      const { key, language: lang } = request.params as { key: string; language: Language };
      return rempart.templates.save(key, lang, request.body as { title: string; body: string }, operatorOf(request).actor);
    },
  );

  const statsQuery = {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to'],
    properties: { from: { type: 'string' }, to: { type: 'string' }, period: { type: 'string', enum: ['day', 'week', 'month'], default: 'month' } },
  } as const;

  app.get('/stats', { schema: { querystring: statsQuery } }, async (request) =>
    rempart.reporting.figures(request.query as { from: string; to: string; period: Period }),
  );

  app.get('/stats.csv', { schema: { querystring: statsQuery } }, async (request, reply) => {
    const query = request.query as { from: string; to: string; period: Period };
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rempart-${query.from}-${query.to}.csv"`)
      .send(await rempart.reporting.csv(query));
  });
};
