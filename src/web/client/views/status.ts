/**
 * "Check or withdraw my case": look a case up with its number and secret, show its state,
 * and withdraw it after an explicit confirmation.
 */
import { api, ApiError, type CaseStatus } from '../api.js';
import { focusElement, h } from '../dom.js';
import { formatDate } from '../i18n.js';
import { bindText, currentLanguage, currentMessages as messages, onLanguageChange } from '../localized.js';
import { describeApiError } from './errors.js';
import { createReportSection } from './report.js';

export interface StatusView {
  element: HTMLElement;
  /** Pre-fills the case number (after creation) and puts the cursor on the secret. */
  prefill(caseNumber: string): void;
}

export function createStatusView(): StatusView {
  const numberInput = h('input', {
    id: 'status-case-number',
    name: 'caseNumber',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'none',
  });
  const secretInput = h('input', {
    id: 'status-case-secret',
    name: 'caseSecret',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'none',
  });
  const check = bindText(h('button', { type: 'submit', class: 'button button-primary' }), (m) => m.check);
  const form = h(
    'form',
    { class: 'status-form', novalidate: true },
    h('div', { class: 'field' }, bindText(h('label', { for: numberInput.id }), (m) => m.caseNumber), numberInput),
    h('div', { class: 'field' }, bindText(h('label', { for: secretInput.id }), (m) => m.caseSecret), secretInput),
    check,
  );
  const message = h('p', { class: 'error', role: 'alert' });
  const result = h('div', { class: 'case-result', 'data-testid': 'case-result', hidden: true });
  // Built once per look-up, outside the result (which is rebuilt on each change): it holds typed input.
  const reportArea = h('div', { class: 'report-area' });

  let shown: { status: CaseStatus; secret: string } | null = null;

  async function lookUp(caseNumber: string, secret: string): Promise<void> {
    bindText(message, () => '');
    check.disabled = true;
    bindText(check, (m) => m.checking);
    try {
      show(await api.caseStatus(caseNumber, secret), secret);
    } catch (error) {
      fail(error);
    } finally {
      check.disabled = false;
      bindText(check, (m) => m.check);
    }
  }

  function fail(error: unknown): void {
    const failure = error instanceof ApiError ? error : new ApiError(0, 'network');
    bindText(message, () => describeApiError(failure));
  }

  function show(status: CaseStatus, secret: string): void {
    const again = shown?.status.caseNumber === status.caseNumber && shown.status.status === status.status;
    shown = { status, secret };
    render();
    result.hidden = false;
    if (!again) reportArea.replaceChildren(createReportSection(status.caseNumber, secret, status.status === 'active'));
  }

  /** Rebuilt on each change (and language switch): it holds no input of its own. */
  function render(): void {
    result.replaceChildren();
    if (!shown) return;
    const { status, secret } = shown;
    const language = currentLanguage();
    const facts = h('dl', { class: 'facts' });
    const fact = (label: string, value: string, key: string) =>
      facts.append(h('dt', {}, label), h('dd', { 'data-field': key }, value));
    const m = messages();
    fact(m.caseNumber, status.caseNumber, 'caseNumber');
    fact(m.caseState, status.status === 'active' ? m.caseActive : m.caseWithdrawn, 'status');
    fact(m.hashCount, String(status.hashCount), 'hashCount');
    fact(m.matchCount, String(status.matchCount), 'matchCount');
    fact(m.platformsBlocked, String(status.platformsBlocked), 'platformsBlocked');
    fact(m.createdAt, formatDate(status.createdAt, language), 'createdAt');
    if (status.withdrawnAt) fact(m.withdrawnAt, formatDate(status.withdrawnAt, language), 'withdrawnAt');
    result.dataset.status = status.status;
    result.append(facts);
    if (status.status === 'active') result.append(withdrawControls(status.caseNumber, secret));
  }

  function withdrawControls(caseNumber: string, secret: string): HTMLElement {
    const m = messages();
    const start = h('button', { type: 'button', class: 'button button-danger' }, m.withdraw);
    const yes = h('button', { type: 'button', class: 'button button-danger' }, m.withdrawYes);
    const no = h('button', { type: 'button', class: 'button' }, m.withdrawNo);
    const confirmText = h('p', { id: 'withdraw-confirm-text' }, m.withdrawConfirm);
    const confirm = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-labelledby': 'withdraw-confirm-text', hidden: true },
      confirmText,
      h('div', { class: 'actions' }, yes, no),
    );
    start.addEventListener('click', () => {
      start.hidden = true;
      confirm.hidden = false;
      focusElement(confirmText);
    });
    no.addEventListener('click', () => {
      confirm.hidden = true;
      start.hidden = false;
      start.focus();
    });
    yes.addEventListener('click', () => void withdraw(caseNumber, secret, yes));
    return h('div', { class: 'withdraw' }, start, confirm);
  }

  async function withdraw(caseNumber: string, secret: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const withdrawn = await api.withdrawCase(caseNumber, secret);
      const status = await api.caseStatus(caseNumber, secret);
      show(status, secret);
      const notice = bindText(h('p', { class: 'notice', role: 'status' }), (m) => m.withdrawn(withdrawn.removedHashes));
      result.prepend(notice);
      focusElement(notice);
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const caseNumber = numberInput.value.trim();
    const secret = secretInput.value.trim();
    if (!caseNumber || !secret) {
      bindText(message, (m) => m.errorCredentials);
      return;
    }
    void lookUp(caseNumber, secret);
  });
  onLanguageChange(() => render());

  const element = h(
    'section',
    { class: 'view', 'aria-labelledby': 'status-heading' },
    bindText(h('h2', { id: 'status-heading' }), (m) => m.statusHeading),
    bindText(h('p', {}), (m) => m.statusIntro),
    form,
    message,
    result,
    reportArea,
  );
  return {
    element,
    prefill(caseNumber) {
      numberInput.value = caseNumber;
      shown = null;
      render();
      result.hidden = true;
      reportArea.replaceChildren();
    },
  };
}
