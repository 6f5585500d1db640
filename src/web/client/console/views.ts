/** The console's list views: queue, notices, platforms, templates, figures. */
import { call } from './api.js';
import type { Figures, Notice, PlatformEntry, QueueEntry, Shell, Template } from './types.js';
import { button, errorRegion, field, h, when } from './ui.js';

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
        entry.minor ? h('span', { class: 'badge minor' }, entry.minorHandled ? 'Minor (referred)' : 'Minor') : null,
      ),
      h('td', {}, when(entry.createdAt)),
      h('td', {}, when(entry.waitingSince)),
      h('td', {}, String(entry.links)),
      h('td', {}, String(entry.toReview)),
      h('td', {}, String(entry.awaitingAnswer)),
      h('td', {}, String(entry.removed)),
      h('td', {}, entry.overdueNotices ? h('span', { class: 'badge overdue' }, `${entry.overdueNotices} overdue`) : '—'),
    ),
  );
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'queue-heading' },
      h('h2', { id: 'queue-heading' }, 'Queue'),
      h('p', { class: 'muted' }, 'Reports concerning minors first, then the longest waiting. Open a case to check its links.'),
      queue.length === 0
        ? h('p', { 'data-testid': 'queue-empty' }, 'Nothing to do: every report is handled.')
        : h(
            'table',
            { 'data-testid': 'queue' },
            h('caption', { class: 'muted' }, `${queue.length} report(s) waiting`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Case', 'Reported', 'Waiting since', 'Links', 'To check or send', 'Awaiting answer', 'Removed', 'Notices'].map((t) =>
                  h('th', { scope: 'col' }, t),
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
      h('h2', { id: 'notices-heading' }, 'Open notices'),
      h('p', {}, overdue ? h('span', { class: 'badge overdue' }, `${overdue} overdue`) : 'None overdue.'),
      notices.length === 0
        ? h('p', {}, 'No open notice.')
        : h(
            'table',
            { 'data-testid': 'notices' },
            h('thead', {}, h('tr', {}, ...['Notice', 'To', 'Kind', 'Sent', 'Deadline', 'Links answered'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              ...notices.map((n) =>
                h(
                  'tr',
                  { class: n.overdue ? 'overdue' : '', 'data-notice': n.ref },
                  h('td', {}, n.ref),
                  h('td', {}, n.channel === 'platform' ? `${n.platform} (API)` : `${n.recipient} (email)`),
                  h('td', {}, n.category === 'minor' ? h('span', { class: 'badge minor' }, 'Minor') : 'NCII'),
                  h('td', {}, n.sentAt ? when(n.sentAt) : n.sendError ? `failed: ${n.sendError}` : 'not sent yet'),
                  h('td', {}, when(n.deadlineAt), ' ', n.overdue ? h('span', { class: 'badge overdue' }, 'Overdue') : null),
                  h('td', {}, `${n.links.filter((l) => l.outcome).length} of ${n.links.length}`),
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
    const domains = field('Domains (one per line)', h('textarea', { rows: 3 }));
    domains.control.value = platform.domains.join('\n');
    const email = field('Notice email (optional)', h('input', { type: 'email', value: platform.noticeEmail ?? '' }));
    const deadline = field('Deadline to answer, hours (empty: default)', h('input', { type: 'number', min: 1, max: 2160, value: platform.deadlineHours ?? '' }));
    const error = errorRegion();
    const saved = h('p', { role: 'status' });
    const save = h('button', { type: 'submit', class: 'primary' }, `Save ${platform.name}`);
    const form = h(
      'form',
      { class: 'panel', 'data-platform': platform.name, novalidate: true },
      h('h3', {}, platform.name, platform.revoked ? ' (revoked)' : ''),
      h('p', { class: 'muted' }, platform.webhook ? `Webhook: ${platform.webhook.url}` : 'No webhook: notices by API polling only.'),
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
        () => (saved.textContent = 'Saved.'),
        (failure: unknown) => error.show(failure),
      );
    });
    return form;
  });
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'platforms-heading' },
      h('h2', { id: 'platforms-heading' }, 'Platforms'),
      h('p', { class: 'muted' }, 'Links on these domains (and their subdomains) go to the platform by API. Platforms and keys are created with `rempart platform add`.'),
      ...(forms.length ? forms : [h('p', {}, 'No platform yet.')]),
    ),
  );
}

export async function renderTemplates(shell: Shell): Promise<void> {
  const { templates } = await call<{ templates: Template[] }>('GET', 'templates');
  const forms = templates.map((template) => {
    const title = field('Title', h('input', { type: 'text', value: template.title }));
    const body = field('Text', h('textarea', { class: 'template' }));
    body.control.value = template.body;
    const error = errorRegion();
    const saved = h('p', { role: 'status' });
    const form = h(
      'form',
      { class: 'panel', 'data-template': `${template.key}:${template.language}`, novalidate: true },
      h('h3', {}, `${template.key} (${template.language.toUpperCase()})`),
      h('p', { class: 'muted' }, template.edited ? `Edited by ${template.updatedBy} on ${template.updatedAt}` : 'Default text'),
      title.wrapper,
      body.wrapper,
      h('p', { class: 'muted' }, 'Variables: {{caseNumber}}, {{linkCount}}, {{removedCount}}, {{links}}, {{hotline}}'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, `Save ${template.key} (${template.language})`)),
      error.element,
      saved,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      error.clear();
      call('PUT', `templates/${template.key}/${template.language}`, { title: title.control.value, body: body.control.value }).then(
        () => (saved.textContent = 'Saved.'),
        (failure: unknown) => error.show(failure),
      );
    });
    return h('details', {}, h('summary', {}, `${template.title} — ${template.language.toUpperCase()}`), form);
  });
  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'templates-heading' },
      h('h2', { id: 'templates-heading' }, 'Answer templates'),
      h('p', { class: 'muted' }, 'The answers victims read on their page. Each names her rights and the support services.'),
      ...forms,
    ),
  );
}

export async function renderStats(shell: Shell): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const from = field('From', h('input', { type: 'date', value: yearAgo }));
  const to = field('To (inclusive)', h('input', { type: 'date', value: today }));
  const period = field('Per', h('select', {}, h('option', { value: 'day' }, 'day'), h('option', { value: 'week' }, 'week'), h('option', { value: 'month', selected: true }, 'month')));
  const output = h('div', { 'aria-live': 'polite' });
  const error = errorRegion();
  const csv = h('a', { class: 'button', download: '' }, 'Download CSV');
  const load = async () => {
    error.clear();
    const query = `from=${from.control.value}&to=${to.control.value}&period=${period.control.value}`;
    csv.setAttribute('href', `api/stats.csv?${query}`);
    try {
      const figures = await call<Figures>('GET', `stats?${query}`);
      output.replaceChildren(
        h('h3', {}, 'Per period'),
        h(
          'table',
          { 'data-testid': 'stats-periods' },
          h('thead', {}, h('tr', {}, ...['Period', 'Reports', 'Minors', 'Links', 'Notices', 'By email', 'Removals', 'Refusals'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            ...figures.periods.map((p) =>
              h('tr', {}, ...[p.period, p.reports, p.minorReports, p.links, p.notices, p.emailNotices, p.removals, p.refusals].map((v) => h('td', {}, String(v)))),
            ),
          ),
        ),
        h('h3', {}, 'Per platform'),
        h(
          'table',
          { 'data-testid': 'stats-platforms' },
          h('thead', {}, h('tr', {}, ...['Platform', 'Notices', 'Removals', 'Median hours, notice → removal', 'Median hours, report → removal'].map((t) => h('th', { scope: 'col' }, t)))),
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
  const form = h('form', { class: 'panel', novalidate: true }, from.wrapper, to.wrapper, period.wrapper, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show'), csv));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  shell.show(h('section', { 'aria-labelledby': 'stats-heading' }, h('h2', { id: 'stats-heading' }, 'Figures'), form, error.element, output));
  await load();
}

export { button };
