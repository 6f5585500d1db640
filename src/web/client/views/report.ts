/**
 * "Get content already online removed", under the case once it is opened with its number
 * and secret: report the links where the images appear (no image is sent), then follow
 * each link (received, under review, removal request sent, removed, refused with the
 * reason) and read the hotline's answer.
 */
import { api, ApiError, type VictimReport } from '../api.js';
import { focusElement, h } from '../dom.js';
import { formatDate } from '../i18n.js';
import { bindText, currentLanguage, currentMessages as messages, onLanguageChange } from '../localized.js';
import { describeApiError } from './errors.js';

/** Links typed one per line (blank lines ignored). */
function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

export function createReportSection(caseNumber: string, secret: string, caseActive: boolean): HTMLElement {
  const section = h('section', { class: 'report', 'aria-labelledby': 'report-heading', 'data-testid': 'report' });
  const heading = bindText(h('h3', { id: 'report-heading' }), (m) => m.reportHeading);
  const message = h('p', { class: 'error', role: 'alert' });
  const notice = h('p', { class: 'notice', role: 'status' });
  const body = h('div', {});
  let report: VictimReport | null = null;

  const fail = (error: unknown) => {
    const failure = error instanceof ApiError ? error : new ApiError(0, 'network');
    bindText(message, () => describeApiError(failure));
  };

  function render(): void {
    body.replaceChildren(report ? followView(report) : caseActive ? reportForm() : h('p', {}));
  }

  function reportForm(): HTMLElement {
    const adult = h('input', { type: 'radio', name: 'age', id: 'age-adult', value: 'adult', checked: true });
    const minor = h('input', { type: 'radio', name: 'age', id: 'age-minor', value: 'minor' });
    const links = h('textarea', { id: 'report-links', rows: 4, spellcheck: 'false', autocapitalize: 'none', 'aria-describedby': 'report-links-hint' });
    const description = h('textarea', { id: 'report-description', rows: 3, maxlength: 2000, 'aria-describedby': 'report-personal-hint' });
    const contact = h('input', { id: 'report-contact', type: 'email', autocomplete: 'email', 'aria-describedby': 'report-personal-hint' });
    const submit = bindText(h('button', { type: 'submit', class: 'button button-primary' }), (m) => m.reportSubmit);
    const form = h(
      'form',
      { class: 'report-form', novalidate: true },
      bindText(h('p', {}), (m) => m.reportIntro),
      h(
        'fieldset',
        {},
        bindText(h('legend', {}), (m) => m.ageLegend),
        h('div', { class: 'choice' }, adult, bindText(h('label', { for: adult.id }), (m) => m.ageAdult)),
        h('div', { class: 'choice' }, minor, bindText(h('label', { for: minor.id }), (m) => m.ageMinor)),
      ),
      h(
        'div',
        { class: 'field' },
        bindText(h('label', { for: links.id }), (m) => m.linksLabel),
        links,
        bindText(h('p', { class: 'hint', id: 'report-links-hint' }), (m) => m.linksHint),
      ),
      h('div', { class: 'field' }, bindText(h('label', { for: description.id }), (m) => m.descriptionLabel), description),
      h('div', { class: 'field' }, bindText(h('label', { for: contact.id }), (m) => m.contactLabel), contact),
      bindText(h('p', { class: 'hint', id: 'report-personal-hint' }), (m) => m.personalHint),
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      bindText(message, () => '');
      const urls = linesOf(links.value);
      if (urls.length === 0) {
        bindText(message, (m) => m.errorNoLinks);
        links.focus();
        return;
      }
      submit.disabled = true;
      bindText(submit, (m) => m.reportSending);
      api
        .sendReport(caseNumber, secret, {
          ageBracket: minor.checked ? 'minor' : 'adult',
          links: urls.map((url) => ({ url })),
          ...(description.value.trim() ? { description: description.value } : {}),
          ...(contact.value.trim() ? { contact: contact.value.trim() } : {}),
          language: currentLanguage(),
        })
        .then((sent) => {
          report = sent;
          render();
          bindText(notice, (m) => m.reportSent);
          focusElement(notice);
        })
        .catch((error: unknown) => {
          submit.disabled = false;
          bindText(submit, (m) => m.reportSubmit);
          fail(error);
        });
    });
    return form;
  }

  function followView(current: VictimReport): HTMLElement {
    const m = messages();
    const language = currentLanguage();
    const rows = current.links.map((link) =>
      h(
        'li',
        { class: 'link', 'data-status': link.status, 'data-link': link.id },
        h('span', { class: 'link-url' }, link.url),
        ' ',
        h('strong', { class: `link-status status-${link.status}` }, m.linkStatus(link.status)),
        link.reason ? h('span', { class: 'link-reason' }, ` — ${link.reason}`) : null,
        h('span', { class: 'hint' }, ` (${formatDate(link.removedAt ?? link.updatedAt, language)})`),
      ),
    );
    const answer = current.answer
      ? h(
          'div',
          { class: 'answer', 'data-testid': 'answer' },
          h('h4', {}, m.answerHeading),
          h('p', { class: 'hint' }, formatDate(current.answer.at, language)),
          h('div', { class: 'answer-text' }, current.answer.text),
        )
      : null;
    const more = h('textarea', { id: 'report-more-links', rows: 2, spellcheck: 'false', autocapitalize: 'none' });
    const add = h('button', { type: 'submit', class: 'button' }, m.addLinksSubmit);
    const addForm = h('form', { class: 'add-links', novalidate: true }, h('div', { class: 'field' }, h('label', { for: more.id }, m.addLinksLabel), more), add);
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      bindText(message, () => '');
      const urls = linesOf(more.value);
      if (urls.length === 0) {
        bindText(message, (mm) => mm.errorNoLinks);
        more.focus();
        return;
      }
      add.disabled = true;
      api
        .addLinks(caseNumber, secret, urls.map((url) => ({ url })))
        .then((updated) => {
          report = updated;
          render();
          bindText(notice, (mm) => mm.linksAdded);
          focusElement(notice);
        })
        .catch((error: unknown) => {
          add.disabled = false;
          fail(error);
        });
    });
    return h(
      'div',
      {},
      h('h4', { id: 'links-heading' }, m.linksHeading),
      h('ul', { class: 'links', 'aria-labelledby': 'links-heading', 'data-testid': 'reported-links' }, ...rows),
      answer,
      caseActive && current.status !== 'withdrawn' ? addForm : null,
    );
  }

  onLanguageChange(() => {
    if (report && section.isConnected) render();
  });

  section.append(heading, notice, message, body);
  api.report(caseNumber, secret).then(
    (found) => {
      report = found;
      render();
    },
    (error: unknown) => {
      if (error instanceof ApiError && error.status === 404) render();
      else fail(error);
    },
  );
  return section;
}
