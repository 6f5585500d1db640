/**
 * One report: the victim's description and contact (personal data: shown here only), each
 * link with its host, platform, status and history, and the analyst's actions: check a
 * link, send notices, record the outcome, answer the victim, the minors' path, close.
 */
import { call } from './api.js';
import type { ConsoleLink, ConsoleReport, Notice, Shell } from './types.js';
import { button, errorRegion, field, h, statusBadge, when } from './ui.js';
import { t } from './i18n.js';


export async function renderReport(shell: Shell, ref: string, focus: string | null = null): Promise<void> {
  const report = await call<ConsoleReport>('GET', `reports/${encodeURIComponent(ref)}`);
  const error = errorRegion();
  const status = h('p', { role: 'status', 'data-testid': 'action-status' });
  const refresh = async (message: string, focusSelector: string | null = null) => {
    await renderReport(shell, ref, focusSelector);
    const region = shell.main.querySelector('[data-testid="action-status"]');
    if (region) region.textContent = message;
  };
  const act = async (run: () => Promise<unknown>, message: string, focusSelector: string | null = null) => {
    error.clear();
    try {
      await run();
      await refresh(message, focusSelector);
    } catch (failure) {
      error.show(failure);
    }
  };

  const open = report.status === 'open';
  const blockedForMinor = report.minor && report.minorHandledAt === null;

  const header = h(
    'section',
    { 'aria-labelledby': 'report-heading' },
    h('h2', { id: 'report-heading' }, t.caseHeading(report.caseNumber), ' ', report.minor ? h('span', { class: 'badge minor' }, t.minor) : null),
    h(
      'p',
      { class: 'muted' },
      t.reportLine(
        report.ref,
        when(report.createdAt),
        t.reportStatus[report.status] ?? report.status,
        report.language.toUpperCase(),
        t.caseStatus[report.caseStatus] ?? report.caseStatus,
      ),
    ),
    status,
    error.element,
  );

  const personal = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'personal-heading' },
    h('h3', { id: 'personal-heading' }, t.personalHeading),
    report.personalErasedAt
      ? h('p', { class: 'muted' }, t.personalErased(when(report.personalErasedAt)))
      : h(
          'div',
          {},
          h('p', { class: 'muted' }, t.personalWarning),
          h('h4', {}, t.description),
          h('div', { class: 'personal', 'data-testid': 'description' }, report.description ?? t.noneGiven),
          h('h4', {}, t.contact),
          h('div', { class: 'personal', 'data-testid': 'contact' }, report.contact ?? t.noneGiven),
        ),
  );

  const minorPanel = report.minor ? minorSection(report, act) : null;
  const detection = detectionSection(report);

  // Links
  const selected = new Set<string>();
  const linkRows = report.links.map((link) => linkRow(link, report, selected, act));
  const linksTable = h(
    'table',
    { 'data-testid': 'links' },
    h('caption', { class: 'muted' }, t.linksCaption),
    h('thead', {}, h('tr', {}, ...t.linkColumns.map((column) => h('th', { scope: 'col' }, column)))),
    h('tbody', {}, ...linkRows),
  );

  const noticeForm = open ? noticeSection(report, selected, blockedForMinor, act) : null;
  const noticesPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'notices-of-report' },
    h('h3', { id: 'notices-of-report' }, t.noticesHeading),
    report.notices.length === 0 ? h('p', {}, t.noNotice) : h('div', {}, ...report.notices.map((n) => noticeBlock(n, act))),
  );

  const content = h(
    'div',
    {},
    header,
    personal,
    minorPanel,
    detection,
    h('section', { class: 'panel', 'aria-labelledby': 'links-heading' }, h('h3', { id: 'links-heading' }, t.linksHeading(report.links.length)), linksTable, noticeForm),
    noticesPanel,
    answerSection(report, act),
    open
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'close-heading' },
          h('h3', { id: 'close-heading' }, t.closeHeading),
          h('p', {}, t.closeExplanation),
          button(t.closeHeading, () => act(() => call('POST', `reports/${report.ref}/close`), t.closed), { class: 'danger' }),
        )
      : null,
  );
  shell.show(content, focus === null);
  if (focus) {
    const target = shell.main.querySelector<HTMLElement>(focus);
    (target ?? shell.main.querySelector<HTMLElement>('h2'))?.focus();
  }
}

type Act = (run: () => Promise<unknown>, message: string, focusSelector?: string | null) => Promise<void>;


/** Proactive detection: what platforms did with uploads that matched the case's hashes. */
function detectionSection(report: ConsoleReport): HTMLElement {
  const { platformsBlocking, entries } = report.platformFeedback;
  const summary = platformsBlocking === 0 ? t.noneBlocking : t.blocking(platformsBlocking);
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'detection-heading' },
    h('h3', { id: 'detection-heading' }, t.detectionHeading),
    h('p', { 'data-testid': 'platforms-blocking', 'data-count': String(platformsBlocking) }, summary, t.matchesInAll(report.matchCount)),
    entries.length === 0
      ? null
      : h(
          'table',
          { 'data-testid': 'feedback' },
          h('thead', {}, h('tr', {}, ...t.feedbackColumns.map((column) => h('th', { scope: 'col' }, column)))),
          h(
            'tbody',
            {},
            ...entries.map((entry) =>
              h(
                'tr',
                { 'data-value': entry.value },
                h('td', {}, entry.platform),
                h('td', {}, h('code', {}, entry.itemRef)),
                h('td', {}, h('span', { class: `badge feedback-${entry.value}` }, t.feedback[entry.value] ?? entry.value)),
                h('td', {}, entry.tags.join(', ') || '—'),
                h('td', {}, when(entry.at)),
              ),
            ),
          ),
        ),
  );
}

function linkRow(link: ConsoleLink, report: ConsoleReport, selected: Set<string>, act: Act): HTMLElement {
  const box = h('input', { type: 'checkbox', 'aria-label': t.selectLink(link.url), 'data-link': link.ref });
  box.disabled = !(link.status === 'checked' || link.status === 'refused') || report.status !== 'open';
  box.addEventListener('change', () => (box.checked ? selected.add(link.ref) : selected.delete(link.ref)));
  const note = h('input', { type: 'text', 'aria-label': t.noteFor(link.host), placeholder: t.notePlaceholder });
  const setStatus = (status: string, label: string) =>
    button(label, () => act(() => call('POST', `links/${link.ref}/status`, { status, note: note.value }), t.linkSet(link.host, label), `[data-link-row="${link.ref}"] button`), {
      'data-action': status,
    });
  const editable = report.status === 'open' && ['received', 'under_review', 'checked', 'not_found', 'not_illegal', 'refused'].includes(link.status);
  const history = h(
    'details',
    {},
    h('summary', {}, t.history(link.history.length)),
    h('ol', {}, ...link.history.map((e) => h('li', {}, t.historyEntry(when(e.at), t.status[e.status] ?? e.status, `${e.actor.kind} ${e.actor.id}`, e.note ?? '', e.noticeRef ?? '')))),
  );
  return h(
    'tr',
    { 'data-link-row': link.ref, 'data-status': link.status },
    h('td', {}, box),
    h(
      'td',
      {},
      h('a', { href: link.url, class: 'url', target: '_blank', rel: 'noopener noreferrer' }, link.url),
      h('div', { class: 'muted' }, t.linkDetails(link.host, link.siteHint, when(link.createdAt))),
      history,
    ),
    h('td', {}, link.platform ?? h('span', { class: 'muted' }, t.notRegistered)),
    h('td', {}, statusBadge(link.status), link.reason ? h('div', { class: 'muted' }, link.reason) : null),
    h(
      'td',
      {},
      editable
        ? h(
            'div',
            {},
            h(
              'div',
              { class: 'actions' },
              setStatus('under_review', t.status.under_review!),
              setStatus('checked', t.status.checked!),
              setStatus('not_found', t.status.not_found!),
              setStatus('not_illegal', t.status.not_illegal!),
            ),
            note,
          )
        : h('span', { class: 'muted' }, link.status === 'notice_sent' ? t.waitingForAnswer : '—'),
    ),
  );
}

function noticeSection(report: ConsoleReport, selected: Set<string>, blockedForMinor: boolean, act: Act): HTMLElement {
  const channelPlatform = h('input', { type: 'radio', name: 'channel', value: 'platform', id: 'channel-platform', checked: true });
  const channelEmail = h('input', { type: 'radio', name: 'channel', value: 'email', id: 'channel-email' });
  const recipient = field(t.recipient, h('input', { type: 'email', id: 'notice-recipient' }));
  const language = field(t.noticeLanguage, h('select', { id: 'notice-language' }, h('option', { value: 'en' }, 'English'), h('option', { value: 'fr' }, 'Français')));
  const explanation = field(t.whyIllegal, h('textarea', { id: 'notice-explanation', rows: 3 }));
  const send = button(
    t.sendNotice,
    () =>
      act(
        () =>
          call('POST', `reports/${report.ref}/notices`, {
            links: [...selected],
            channel: channelEmail.checked ? 'email' : 'platform',
            recipient: channelEmail.checked ? recipient.control.value.trim() : undefined,
            language: language.control.value,
            explanation: explanation.control.value,
          }),
        t.noticeSent,
        '#notices-of-report',
      ),
    { class: 'primary', 'data-testid': 'send-notice' },
  );
  if (blockedForMinor) send.disabled = true;
  return h(
    'fieldset',
    { 'data-testid': 'notice-form' },
    h('legend', {}, t.sendNoticeLegend),
    blockedForMinor ? h('p', { class: 'error' }, t.minorFirst) : null,
    h('div', {}, channelPlatform, h('label', { for: 'channel-platform', class: 'inline' }, t.toPlatform)),
    h('div', {}, channelEmail, h('label', { for: 'channel-email', class: 'inline' }, t.byEmail)),
    recipient.wrapper,
    language.wrapper,
    explanation.wrapper,
    h('div', { class: 'actions' }, send),
  );
}

function noticeBlock(notice: Notice, act: Act): HTMLElement {
  const rows = notice.links.map((link) => {
    const outcome = h('select', { 'aria-label': t.outcomeFor(link.url) }, h('option', { value: '' }, '—'), h('option', { value: 'removed' }, t.status.removed!), h('option', { value: 'refused' }, t.status.refused!));
    outcome.value = link.outcome ?? '';
    const reason = h('input', { type: 'text', 'aria-label': t.reasonFor(link.url), value: link.reason ?? '' });
    return { link, outcome, reason, row: h('li', {}, h('span', { class: 'url' }, link.url), ' ', link.outcome ? statusBadge(link.outcome) : h('span', { class: 'muted' }, t.noAnswerYet), link.reason ? ` (${link.reason})` : '', h('div', { class: 'actions' }, outcome, reason)) };
  });
  const record = button(
    t.recordOutcome,
    () =>
      act(
        () =>
          call('POST', `notices/${notice.ref}/outcome`, {
            answers: rows
              .filter((r) => r.outcome.value !== '')
              .map((r) => ({ link: r.link.linkRef, outcome: r.outcome.value, reason: r.reason.value || undefined })),
          }),
        t.outcomeRecorded,
        '#notices-of-report',
      ),
    { 'data-testid': `record-${notice.ref}` },
  );
  const emailText = h('div', { class: 'notice-text', 'data-testid': `email-${notice.ref}` });
  const details =
    notice.channel === 'email'
      ? h('details', {}, h('summary', {}, t.emailText), emailText)
      : null;
  details?.addEventListener('toggle', () => {
    if (!(details as HTMLDetailsElement).open || emailText.textContent) return;
    void call<{ subject: string; text: string }>('GET', `notices/${notice.ref}/email`).then((mail) => {
      emailText.textContent = `${t.subject}: ${mail.subject}\n\n${mail.text}`;
    });
  });
  return h(
    'article',
    { class: notice.overdue ? 'overdue' : '', 'data-notice': notice.ref },
    h(
      'h4',
      {},
      t.noticeTo(notice.ref, notice.channel, notice.platform, notice.recipient),
      ' ',
      notice.category === 'minor' ? h('span', { class: 'badge minor' }, t.minor) : null,
      ' ',
      notice.overdue ? h('span', { class: 'badge overdue' }, t.overdue) : null,
    ),
    h(
      'p',
      { class: 'muted' },
      t.noticeLine(
        when(notice.createdAt),
        notice.createdBy,
        notice.sentAt ? t.sentAt(when(notice.sentAt)) : notice.sendError ? t.sendingFailed(notice.sendError) : t.notSentYet,
        when(notice.deadlineAt),
        notice.closedAt ? when(notice.closedAt) : null,
      ),
    ),
    h('ul', {}, ...rows.map((r) => r.row)),
    h(
      'div',
      { class: 'actions' },
      record,
      notice.channel === 'email' && !notice.sentAt ? button(t.sendAgain, () => act(() => call('POST', `notices/${notice.ref}/resend`), t.sentAgain)) : null,
      notice.channel === 'email' && !notice.sentAt ? button(t.markSent, () => act(() => call('POST', `notices/${notice.ref}/sent`), t.markedSent)) : null,
    ),
    details,
  );
}

function minorSection(report: ConsoleReport, act: Act): HTMLElement {
  const referral = field(t.authoritiesRef, h('input', { type: 'text', id: 'minor-referral', value: report.minorReferral ?? '' }));
  return h(
    'section',
    { class: 'panel minor', 'aria-labelledby': 'minor-heading', 'data-testid': 'minor-panel' },
    h('h3', { id: 'minor-heading' }, t.minorHeading),
    h('p', {}, t.minorExplanation),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: `api/reports/${report.ref}/export`, download: `rempart-${report.ref}.json`, 'data-testid': 'export' }, t.exportForAuthorities)),
    report.minorHandledAt
      ? h('p', { 'data-testid': 'minor-handled' }, t.referredOn(when(report.minorHandledAt), report.minorHandledBy, report.minorReferral))
      : h(
          'div',
          {},
          referral.wrapper,
          h('div', { class: 'actions' }, button(t.recordReferral, () => act(() => call('POST', `reports/${report.ref}/minor`, { referral: referral.control.value }), t.referralRecorded), { class: 'primary' })),
        ),
  );
}

function answerSection(report: ConsoleReport, act: Act): HTMLElement {
  const template = field(t.template, h('select', { id: 'answer-template' }, ...t.templates.map(([key, label]) => h('option', { value: key }, label))));
  const language = field(t.language, h('select', { id: 'answer-language' }, h('option', { value: 'fr' }, 'Français'), h('option', { value: 'en' }, 'English')));
  language.control.value = report.language;
  const text = field(t.answerText, h('textarea', { id: 'answer-text', class: 'answer' }));
  text.control.value = report.answer?.text ?? '';
  const fill = button(t.fillFromTemplate, async () => {
    const draft = await call<{ text: string }>('GET', `reports/${report.ref}/answer-draft?template=${template.control.value}&language=${language.control.value}`);
    text.control.value = draft.text;
    text.control.focus();
  });
  const save = button(t.saveAnswer, () => act(() => call('POST', `reports/${report.ref}/answer`, { text: text.control.value }), t.answerSaved, '#answer-text'), { class: 'primary' });
  if (report.status === 'withdrawn') save.disabled = true;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'answer-heading' },
    h('h3', { id: 'answer-heading' }, t.answerHeading),
    report.answer ? h('p', { class: 'muted' }, t.lastSaved(when(report.answer.at), report.answer.by)) : h('p', { class: 'muted' }, t.noAnswer),
    h('div', { class: 'actions' }, template.wrapper, language.wrapper),
    h('div', { class: 'actions' }, fill),
    text.wrapper,
    h('div', { class: 'actions' }, save),
  );
}
