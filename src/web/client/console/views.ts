/** The console's list views: queue, notices, platforms, templates, figures. */
import { call } from './api.js';
import type { Figures, Notice, PlatformEntry, QueueEntry, Shell, Template } from './types.js';
import { button, errorRegion, field, h, when } from './ui.js';
import { t } from './i18n.js';

export async function renderQueue(shell: Shell): Promise<void> {
  const { queue } = await call<{ queue: QueueEntry[] }>('GET', 'queue');
  const rows = queue.map((entry) =>
    h(
      'tr',
      { class: [entry.minor ? 'minor' : '', entry.overdueNotices ? 'overdue' : ''].join(' ').trim(), 'data-report': entry.ref },
      h(
        'td',
        {},
        h('a', { href: `#report/${entry.ref}` }, entry.caseNumber),
        ' ',
        entry.minor ? h('span', { class: 'badge minor' }, entry.minorHandled ? t.minorReferred : t.minor) : null,
      ),
      h('td', {}, when(entry.createdAt)),
      h('td', {}, when(entry.waitingSince)),
      h('td', {}, String(entry.links)),
      h('td', {}, String(entry.toReview)),
      h('td', {}, String(entry.awaitingAnswer)),
      h('td', {}, String(entry.removed)),
      h('td', {}, entry.overdueNotices ? h('span', { class: 'badge overdue' }, t.overdueCount(entry.overdueNotices)) : '—'),
    ),
  );
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'queue-heading' },
      h('h2', { id: 'queue-heading' }, t.routes.queue),
      h('p', { class: 'muted' }, t.queueIntro),
      queue.length === 0
        ? h('p', { 'data-testid': 'queue-empty' }, t.queueEmpty)
        : h(
            'table',
            { 'data-testid': 'queue' },
            h('caption', { class: 'muted' }, t.queueCaption(queue.length)),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...t.queueColumns.map((column) =>
                  h('th', { scope: 'col' }, column),
                ),
              ),
            ),
            h('tbody', {}, ...rows),
          ),
    ),
  );
}

export async function renderNotices(shell: Shell): Promise<void> {
  const { notices } = await call<{ notices: Notice[] }>('GET', 'notices');
  const overdue = notices.filter((n) => n.overdue).length;
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'notices-heading' },
      h('h2', { id: 'notices-heading' }, t.openNotices),
      h('p', {}, overdue ? h('span', { class: 'badge overdue' }, t.overdueCount(overdue)) : t.noneOverdue),
      notices.length === 0
        ? h('p', {}, t.noOpenNotice)
        : h(
            'table',
            { 'data-testid': 'notices' },
            h('thead', {}, h('tr', {}, ...t.noticeColumns.map((column) => h('th', { scope: 'col' }, column)))),
            h(
              'tbody',
              {},
              ...notices.map((n) =>
                h(
                  'tr',
                  { class: n.overdue ? 'overdue' : '', 'data-notice': n.ref },
                  h('td', {}, n.ref),
                  h('td', {}, n.channel === 'platform' ? t.viaApi(n.platform) : t.viaEmail(n.recipient)),
                  h('td', {}, n.category === 'minor' ? h('span', { class: 'badge minor' }, t.minor) : 'NCII'),
                  h('td', {}, n.sentAt ? when(n.sentAt) : n.sendError ? t.sendFailed(n.sendError) : t.notSentYet),
                  h('td', {}, when(n.deadlineAt), ' ', n.overdue ? h('span', { class: 'badge overdue' }, t.overdue) : null),
                  h('td', {}, t.answeredOf(n.links.filter((l) => l.outcome).length, n.links.length)),
                ),
              ),
            ),
          ),
    ),
  );
}

export async function renderPlatforms(shell: Shell): Promise<void> {
  const { platforms } = await call<{ platforms: PlatformEntry[] }>('GET', 'platforms');
  const forms = platforms.map((platform) => {
    const domains = field(t.domains, h('textarea', { rows: 3 }));
    domains.control.value = platform.domains.join('\n');
    const email = field(t.noticeEmail, h('input', { type: 'email', value: platform.noticeEmail ?? '' }));
    const deadline = field(t.deadlineHours, h('input', { type: 'number', min: 1, max: 2160, value: platform.deadlineHours ?? '' }));
    const error = errorRegion();
    const saved = h('p', { role: 'status' });
    const save = h('button', { type: 'submit', class: 'primary' }, t.savePlatform(platform.name));
    const form = h(
      'form',
      { class: 'panel', 'data-platform': platform.name, novalidate: true },
      h('h3', {}, platform.name, platform.revoked ? t.revoked : ''),
      h('p', { class: 'muted' }, platform.webhook ? t.webhookAt(platform.webhook.url) : t.noWebhook),
      domains.wrapper,
      email.wrapper,
      deadline.wrapper,
      h('div', { class: 'actions' }, save),
      error.element,
      saved,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      error.clear();
      saved.textContent = '';
      const hours = deadline.control.value.trim();
      call('PUT', `platforms/${encodeURIComponent(platform.name)}`, {
        domains: domains.control.value.split('\n').map((d) => d.trim()).filter(Boolean),
        noticeEmail: email.control.value.trim() || null,
        deadlineHours: hours === '' ? null : Number(hours),
      }).then(
        () => (saved.textContent = t.saved),
        (failure: unknown) => error.show(failure),
      );
    });
    return form;
  });
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'platforms-heading' },
      h('h2', { id: 'platforms-heading' }, t.routes.platforms),
      h('p', { class: 'muted' }, t.platformsIntro),
      ...(forms.length ? forms : [h('p', {}, t.noPlatform)]),
    ),
  );
}

export async function renderTemplates(shell: Shell): Promise<void> {
  const { templates } = await call<{ templates: Template[] }>('GET', 'templates');
  const forms = templates.map((template) => {
    const title = field(t.title, h('input', { type: 'text', value: template.title }));
    const body = field(t.text, h('textarea', { class: 'template' }));
    body.control.value = template.body;
    const error = errorRegion();
    const saved = h('p', { role: 'status' });
    const form = h(
      'form',
      { class: 'panel', 'data-template': `${template.key}:${template.language}`, novalidate: true },
      h('h3', {}, `${template.key} (${template.language.toUpperCase()})`),
      h('p', { class: 'muted' }, template.edited ? t.editedBy(template.updatedBy, template.updatedAt) : t.defaultText),
      title.wrapper,
      body.wrapper,
      h('p', { class: 'muted' }, t.variables),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t.saveTemplate(template.key, template.language))),
      error.element,
      saved,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      error.clear();
      call('PUT', `templates/${template.key}/${template.language}`, { title: title.control.value, body: body.control.value }).then(
        () => (saved.textContent = t.saved),
        (failure: unknown) => error.show(failure),
      );
    });
    return h('details', {}, h('summary', {}, `${template.title} — ${template.language.toUpperCase()}`), form);
  });
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'templates-heading' },
      h('h2', { id: 'templates-heading' }, t.routes.templates),
      h('p', { class: 'muted' }, t.templatesIntro),
      ...forms,
    ),
  );
}

export async function renderStats(shell: Shell): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const from = field(t.from, h('input', { type: 'date', value: yearAgo }));
  const to = field(t.toInclusive, h('input', { type: 'date', value: today }));
  const period = field(t.per, h('select', {}, h('option', { value: 'day' }, t.periods.day), h('option', { value: 'week' }, t.periods.week), h('option', { value: 'month', selected: true }, t.periods.month)));
  const output = h('div', { 'aria-live': 'polite' });
  const error = errorRegion();
  const csv = h('a', { class: 'button', download: '' }, t.downloadCsv);
  const load = async () => {
    error.clear();
    const query = `from=${from.control.value}&to=${to.control.value}&period=${period.control.value}`;
    csv.setAttribute('href', `api/stats.csv?${query}`);
    try {
      const figures = await call<Figures>('GET', `stats?${query}`);
      output.replaceChildren(
        h('h3', {}, t.perPeriod),
        h(
          'table',
          { 'data-testid': 'stats-periods' },
          h('thead', {}, h('tr', {}, ...t.perPeriodColumns.map((column) => h('th', { scope: 'col' }, column)))),
          h(
            'tbody',
            {},
            ...figures.periods.map((p) =>
              h('tr', {}, ...[p.period, p.reports, p.minorReports, p.links, p.notices, p.emailNotices, p.removals, p.refusals].map((v) => h('td', {}, String(v)))),
            ),
          ),
        ),
        h('h3', {}, t.perPlatform),
        h(
          'table',
          { 'data-testid': 'stats-platforms' },
          h('thead', {}, h('tr', {}, ...t.perPlatformColumns.map((column) => h('th', { scope: 'col' }, column)))),
          h(
            'tbody',
            {},
            ...figures.platforms.map((p) =>
              h(
                'tr',
                {},
                ...[p.platform, p.notices, p.removals, p.medianHoursNoticeToRemoval ?? '—', p.medianHoursReportToRemoval ?? '—'].map((v) => h('td', {}, String(v))),
              ),
            ),
          ),
        ),
      );
    } catch (failure) {
      error.show(failure);
    }
  };
  const form = h('form', { class: 'panel', novalidate: true }, from.wrapper, to.wrapper, period.wrapper, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t.show), csv));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  shell.show(h('section', { 'aria-labelledby': 'stats-heading' }, h('h2', { id: 'stats-heading' }, t.routes.stats), form, error.element, output));
  await load();
}

export { button };
