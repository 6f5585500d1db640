/**
 * Shown once after a case is created: the case number and secret, with copy and download
 * buttons and a plain warning that nobody can recover them.
 */
import type { CreatedCase } from '../api.js';
import { h } from '../dom.js';
import { bindAttribute, bindText, currentLanguage, currentMessages } from '../localized.js';
import { formatDate } from '../i18n.js';
import type { Messages } from '../i18n.js';

export function createCreatedView(created: CreatedCase, onDone: (caseNumber: string) => void): HTMLElement {
  const heading = bindText(h('h2', { id: 'created-heading' }), (m) => m.createdHeading);
  const feedback = h('p', { class: 'feedback', role: 'status', 'aria-live': 'polite' });

  const credential = (id: string, label: (m: Messages) => string, copyLabel: (m: Messages) => string, value: string) => {
    const copy = bindText(h('button', { type: 'button', class: 'button' }), (m) => m.copy);
    bindAttribute(copy, 'aria-label', copyLabel);
    const output = h('output', { id, class: 'credential-value', 'data-testid': id }, value);
    copy.addEventListener('click', () => void copyText(value, output, feedback));
    return h('div', { class: 'credential' }, bindText(h('dt', {}), label), h('dd', {}, output, copy));
  };

  const download = bindText(h('button', { type: 'button', class: 'button' }), (m) => m.download);
  download.addEventListener('click', () => {
    const m = currentMessages();
    const when = formatDate(created.createdAt, currentLanguage());
    saveTextFile(m.downloadFileName, m.downloadText(created.caseNumber, created.caseSecret, when));
  });
  const done = bindText(h('button', { type: 'button', class: 'button button-primary' }), (m) => m.createdDone);
  done.addEventListener('click', () => onDone(created.caseNumber));

  return h(
    'section',
    { class: 'view', 'aria-labelledby': 'created-heading', 'data-testid': 'created' },
    heading,
    bindText(h('p', {}), (m) => m.createdIntro(created.hashCount)),
    bindText(h('p', { class: 'warning', role: 'alert' }), (m) => m.credentialsWarning),
    h(
      'dl',
      { class: 'credentials' },
      credential('case-number', (m) => m.caseNumber, (m) => m.copyCaseNumber, created.caseNumber),
      credential('case-secret', (m) => m.caseSecret, (m) => m.copyCaseSecret, created.caseSecret),
    ),
    h('div', { class: 'actions' }, download, done),
    feedback,
  );
}

async function copyText(value: string, output: HTMLElement, feedback: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(value);
    bindText(feedback, (m) => m.copied);
  } catch {
    // No clipboard access (insecure context, refused permission): select it for the victim.
    const range = document.createRange();
    range.selectNodeContents(output);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    bindText(feedback, (m) => m.copyFailed);
  }
}

/** A local download from memory: nothing is sent anywhere. */
function saveTextFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
