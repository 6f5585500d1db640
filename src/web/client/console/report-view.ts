/**
 * One report: the victim's description and contact (personal data: shown here only), each
 * link with its host, platform, status and history, and the analyst's actions: check a
 * link, send notices, record the outcome, answer the victim, the minors' path, close.
 */
import { call } from './api.js';
import type { ConsoleLink, ConsoleReport, Notice, Shell } from './types.js';
import { button, errorRegion, field, h, statusBadge, when } from './ui.js';

const TEMPLATES = [
  ['received', 'Acknowledgement'],
  ['notices_sent', 'Removal requests sent'],
  ['removed', 'Content removed'],
  ['refused', 'Removal refused'],
  ['not_actionable', 'Links not found'],
  ['minor', 'Minor'],
] as const;

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
    h('h2', { id: 'report-heading' }, `Case ${report.caseNumber}`, ' ', report.minor ? h('span', { class: 'badge minor' }, 'Minor') : null),
    h(
      'p',
      { class: 'muted' },
      `Report ${report.ref} · received ${when(report.createdAt)} · ${report.status}` +
        ` · victim's language ${report.language.toUpperCase()} · case ${report.caseStatus}`,
    ),
    status,
    error.element,
  );

  const personal = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'personal-heading' },
    h('h3', { id: 'personal-heading' }, 'What the victim told us'),
    report.personalErasedAt
      ? h('p', { class: 'muted' }, `Personal data erased on ${when(report.personalErasedAt)}.`)
      : h(
          'div',
          {},
          h('p', { class: 'muted' }, 'Personal data: never copy it elsewhere. It is erased when the report is closed or the case withdrawn.'),
          h('h4', {}, 'Description'),
          h('div', { class: 'personal', 'data-testid': 'description' }, report.description ?? '(none given)'),
          h('h4', {}, 'Contact'),
          h('div', { class: 'personal', 'data-testid': 'contact' }, report.contact ?? '(none given)'),
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
    h('caption', { class: 'muted' }, 'Tick checked links to send them a notice.'),
    h('thead', {}, h('tr', {}, ...['Select', 'Link', 'Platform', 'Status', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...linkRows),
  );

  const noticeForm = open ? noticeSection(report, selected, blockedForMinor, act) : null;
  const noticesPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'notices-of-report' },
    h('h3', { id: 'notices-of-report' }, 'Notices'),
    report.notices.length === 0 ? h('p', {}, 'No notice yet.') : h('div', {}, ...report.notices.map((n) => noticeBlock(n, act))),
  );

  const content = h(
    'div',
    {},
    header,
    personal,
    minorPanel,
    detection,
    h('section', { class: 'panel', 'aria-labelledby': 'links-heading' }, h('h3', { id: 'links-heading' }, `Links (${report.links.length})`), linksTable, noticeForm),
    noticesPanel,
    answerSection(report, act),
    open
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'close-heading' },
          h('h3', { id: 'close-heading' }, 'Close the report'),
          h('p', {}, 'Closing erases the description and contact now. The answer stays readable by the victim.'),
          button('Close the report', () => act(() => call('POST', `reports/${report.ref}/close`), 'Report closed; personal data erased.'), { class: 'danger' }),
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

/** Platforms' own words on copies they matched (feedback): blocked at upload, not blocked, in review… */
const FEEDBACK_LABELS: Record<string, string> = {
  Blocked: 'Blocked',
  NotBlocked: 'Not blocked (says it does not match)',
  PendingReview: 'In review',
  None: 'No action',
  Unknown: 'Unknown',
  QualityUnknown: 'Quality unknown',
  Withdrawn: 'Withdrawn',
  Deleted: 'Deleted',
};

/** Proactive detection: what platforms did with uploads that matched the case's hashes. */
function detectionSection(report: ConsoleReport): HTMLElement {
  const { platformsBlocking, entries } = report.platformFeedback;
  const summary =
    platformsBlocking === 0
      ? 'No platform has reported blocking a copy yet.'
      : `${platformsBlocking} platform${platformsBlocking === 1 ? ' has' : 's have'} blocked copies matching this case's hashes.`;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'detection-heading' },
    h('h3', { id: 'detection-heading' }, 'Copies found by platforms'),
    h('p', { 'data-testid': 'platforms-blocking', 'data-count': String(platformsBlocking) }, summary, ` ${report.matchCount} match(es) in all.`),
    entries.length === 0
      ? null
      : h(
          'table',
          { 'data-testid': 'feedback' },
          h('thead', {}, h('tr', {}, ...['Platform', 'Image or video', 'What it did', 'Tags', 'Last said'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            ...entries.map((entry) =>
              h(
                'tr',
                { 'data-value': entry.value },
                h('td', {}, entry.platform),
                h('td', {}, h('code', {}, entry.itemRef)),
                h('td', {}, h('span', { class: `badge feedback-${entry.value}` }, FEEDBACK_LABELS[entry.value] ?? entry.value)),
                h('td', {}, entry.tags.join(', ') || '—'),
                h('td', {}, when(entry.at)),
              ),
            ),
          ),
        ),
  );
}

function linkRow(link: ConsoleLink, report: ConsoleReport, selected: Set<string>, act: Act): HTMLElement {
  const box = h('input', { type: 'checkbox', 'aria-label': `Select ${link.url}`, 'data-link': link.ref });
  box.disabled = !(link.status === 'checked' || link.status === 'refused') || report.status !== 'open';
  box.addEventListener('change', () => (box.checked ? selected.add(link.ref) : selected.delete(link.ref)));
  const note = h('input', { type: 'text', 'aria-label': `Note for ${link.host} (shown to the victim when not actionable)`, placeholder: 'Note (optional)' });
  const setStatus = (status: string, label: string) =>
    button(label, () => act(() => call('POST', `links/${link.ref}/status`, { status, note: note.value }), `${link.host}: ${label.toLowerCase()}.`, `[data-link-row="${link.ref}"] button`), {
      'data-action': status,
    });
  const editable = report.status === 'open' && ['received', 'under_review', 'checked', 'not_found', 'not_illegal', 'refused'].includes(link.status);
  const history = h(
    'details',
    {},
    h('summary', {}, `History (${link.history.length})`),
    h('ol', {}, ...link.history.map((e) => h('li', {}, `${when(e.at)} — ${e.status} by ${e.actor.kind} ${e.actor.id}${e.note ? `: ${e.note}` : ''}${e.noticeRef ? ` (${e.noticeRef})` : ''}`))),
  );
  return h(
    'tr',
    { 'data-link-row': link.ref, 'data-status': link.status },
    h('td', {}, box),
    h(
      'td',
      {},
      h('a', { href: link.url, class: 'url', target: '_blank', rel: 'noopener noreferrer' }, link.url),
      h('div', { class: 'muted' }, `host ${link.host}${link.siteHint ? ` · victim says: ${link.siteHint}` : ''} · reported ${when(link.createdAt)}`),
      history,
    ),
    h('td', {}, link.platform ?? h('span', { class: 'muted' }, 'not registered (email)')),
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
              setStatus('under_review', 'Under review'),
              setStatus('checked', 'Checked: illegal'),
              setStatus('not_found', 'Not found'),
              setStatus('not_illegal', 'Not illegal'),
            ),
            note,
          )
        : h('span', { class: 'muted' }, link.status === 'notice_sent' ? 'Waiting for the answer' : '—'),
    ),
  );
}

function noticeSection(report: ConsoleReport, selected: Set<string>, blockedForMinor: boolean, act: Act): HTMLElement {
  const channelPlatform = h('input', { type: 'radio', name: 'channel', value: 'platform', id: 'channel-platform', checked: true });
  const channelEmail = h('input', { type: 'radio', name: 'channel', value: 'email', id: 'channel-email' });
  const recipient = field('Recipient (the site’s notice or abuse address)', h('input', { type: 'email', id: 'notice-recipient' }));
  const language = field('Notice language', h('select', { id: 'notice-language' }, h('option', { value: 'en' }, 'English'), h('option', { value: 'fr' }, 'Français')));
  const explanation = field('Why it is illegal (added to the legal ground)', h('textarea', { id: 'notice-explanation', rows: 3 }));
  const send = button(
    'Send notice',
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
        'Notice sent.',
        '#notices-of-report',
      ),
    { class: 'primary', 'data-testid': 'send-notice' },
  );
  if (blockedForMinor) send.disabled = true;
  return h(
    'fieldset',
    { 'data-testid': 'notice-form' },
    h('legend', {}, 'Send a notice for the selected links'),
    blockedForMinor ? h('p', { class: 'error' }, 'Minor: record the referral to the authorities first (above).') : null,
    h('div', {}, channelPlatform, h('label', { for: 'channel-platform', class: 'inline' }, ' To the registered platform (API and webhook)')),
    h('div', {}, channelEmail, h('label', { for: 'channel-email', class: 'inline' }, ' By email (DSA Article 16 notice)')),
    recipient.wrapper,
    language.wrapper,
    explanation.wrapper,
    h('div', { class: 'actions' }, send),
  );
}

function noticeBlock(notice: Notice, act: Act): HTMLElement {
  const rows = notice.links.map((link) => {
    const outcome = h('select', { 'aria-label': `Outcome for ${link.url}` }, h('option', { value: '' }, '—'), h('option', { value: 'removed' }, 'Removed'), h('option', { value: 'refused' }, 'Refused'));
    outcome.value = link.outcome ?? '';
    const reason = h('input', { type: 'text', 'aria-label': `Reason for ${link.url}`, value: link.reason ?? '' });
    return { link, outcome, reason, row: h('li', {}, h('span', { class: 'url' }, link.url), ' ', link.outcome ? statusBadge(link.outcome) : h('span', { class: 'muted' }, 'no answer yet'), link.reason ? ` (${link.reason})` : '', h('div', { class: 'actions' }, outcome, reason)) };
  });
  const record = button(
    'Record outcome',
    () =>
      act(
        () =>
          call('POST', `notices/${notice.ref}/outcome`, {
            answers: rows
              .filter((r) => r.outcome.value !== '')
              .map((r) => ({ link: r.link.linkRef, outcome: r.outcome.value, reason: r.reason.value || undefined })),
          }),
        'Outcome recorded.',
        '#notices-of-report',
      ),
    { 'data-testid': `record-${notice.ref}` },
  );
  const emailText = h('div', { class: 'notice-text', 'data-testid': `email-${notice.ref}` });
  const details =
    notice.channel === 'email'
      ? h('details', {}, h('summary', {}, 'Email text'), emailText)
      : null;
  details?.addEventListener('toggle', () => {
    if (!(details as HTMLDetailsElement).open || emailText.textContent) return;
    void call<{ subject: string; text: string }>('GET', `notices/${notice.ref}/email`).then((mail) => {
      emailText.textContent = `Subject: ${mail.subject}\n\n${mail.text}`;
    });
  });
  return h(
    'article',
    { class: notice.overdue ? 'overdue' : '', 'data-notice': notice.ref },
    h(
      'h4',
      {},
      `${notice.ref} — ${notice.channel === 'platform' ? `${notice.platform} (API)` : `email to ${notice.recipient}`}`,
      ' ',
      notice.category === 'minor' ? h('span', { class: 'badge minor' }, 'Minor') : null,
      ' ',
      notice.overdue ? h('span', { class: 'badge overdue' }, 'Overdue') : null,
    ),
    h(
      'p',
      { class: 'muted' },
      `Created ${when(notice.createdAt)} by ${notice.createdBy} · ${notice.sentAt ? `sent ${when(notice.sentAt)}` : notice.sendError ? `sending failed: ${notice.sendError}` : 'not sent yet'} · answer due ${when(notice.deadlineAt)}${notice.closedAt ? ` · answered ${when(notice.closedAt)}` : ''}`,
    ),
    h('ul', {}, ...rows.map((r) => r.row)),
    h(
      'div',
      { class: 'actions' },
      record,
      notice.channel === 'email' && !notice.sentAt ? button('Send again', () => act(() => call('POST', `notices/${notice.ref}/resend`), 'Sent again.')) : null,
      notice.channel === 'email' && !notice.sentAt ? button('Mark as sent by hand', () => act(() => call('POST', `notices/${notice.ref}/sent`), 'Marked as sent.')) : null,
    ),
    details,
  );
}

function minorSection(report: ConsoleReport, act: Act): HTMLElement {
  const referral = field('Authorities’ reference (e.g. PHAROS number)', h('input', { type: 'text', id: 'minor-referral', value: report.minorReferral ?? '' }));
  return h(
    'section',
    { class: 'panel minor', 'aria-labelledby': 'minor-heading', 'data-testid': 'minor-panel' },
    h('h3', { id: 'minor-heading' }, 'Minor: separate legal path'),
    h('p', {}, 'Pass this report on to the authorities (export below), record the referral, and only then send notices: they go out as notices about a minor, with a short deadline.'),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: `api/reports/${report.ref}/export`, download: `rempart-${report.ref}.json`, 'data-testid': 'export' }, 'Export for the authorities (JSON)')),
    report.minorHandledAt
      ? h('p', { 'data-testid': 'minor-handled' }, `Referred on ${when(report.minorHandledAt)} by ${report.minorHandledBy}${report.minorReferral ? ` (ref. ${report.minorReferral})` : ''}.`)
      : h(
          'div',
          {},
          referral.wrapper,
          h('div', { class: 'actions' }, button('Record the referral', () => act(() => call('POST', `reports/${report.ref}/minor`, { referral: referral.control.value }), 'Referral recorded: notices can be sent.'), { class: 'primary' })),
        ),
  );
}

function answerSection(report: ConsoleReport, act: Act): HTMLElement {
  const template = field('Template', h('select', { id: 'answer-template' }, ...TEMPLATES.map(([key, label]) => h('option', { value: key }, label))));
  const language = field('Language', h('select', { id: 'answer-language' }, h('option', { value: 'fr' }, 'Français'), h('option', { value: 'en' }, 'English')));
  language.control.value = report.language;
  const text = field('Answer to the victim (she reads it on her page)', h('textarea', { id: 'answer-text', class: 'answer' }));
  text.control.value = report.answer?.text ?? '';
  const fill = button('Fill from the template', async () => {
    const draft = await call<{ text: string }>('GET', `reports/${report.ref}/answer-draft?template=${template.control.value}&language=${language.control.value}`);
    text.control.value = draft.text;
    text.control.focus();
  });
  const save = button('Save the answer', () => act(() => call('POST', `reports/${report.ref}/answer`, { text: text.control.value }), 'Answer saved: the victim sees it on her page.', '#answer-text'), { class: 'primary' });
  if (report.status === 'withdrawn') save.disabled = true;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'answer-heading' },
    h('h3', { id: 'answer-heading' }, 'Answer to the victim'),
    report.answer ? h('p', { class: 'muted' }, `Last saved ${when(report.answer.at)} by ${report.answer.by}.`) : h('p', { class: 'muted' }, 'No answer yet.'),
    h('div', { class: 'actions' }, template.wrapper, language.wrapper),
    h('div', { class: 'actions' }, fill),
    text.wrapper,
    h('div', { class: 'actions' }, save),
  );
}
