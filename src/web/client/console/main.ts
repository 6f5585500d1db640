/**
 * The analysts' console: log in (password + TOTP code), then the queue of reports, a
 * report's links and actions, the review queue of held submissions, notices (overdue ones highlighted), platforms, answer
 * templates and the hotline's figures. Plain TypeScript, keyboard first: every action is a
 * real button or link, every field has a label, each view change moves focus to its heading.
 */
import { call, ConsoleApiError, setCsrfToken } from './api.js';
import { focusElement } from '../dom.js';
import type { Session, Shell } from './types.js';
import { button, errorRegion, field, h } from './ui.js';
import { renderReport } from './report-view.js';
import { renderNotices, renderPlatforms, renderQueue, renderStats, renderTemplates } from './views.js';
import { renderReview } from './review-view.js';
import { CONSOLE_LANGUAGES, type ConsoleLanguage, consoleLanguage, setConsoleLanguage, t, textsOf } from './i18n.js';

const ROUTES = ['queue', 'review', 'notices', 'platforms', 'templates', 'stats'] as const;

/** Français / English: changing it draws the current view again in that language. */
function languageSwitch(onChange: () => void): HTMLElement {
  const select = h('select', { id: 'console-language' }, ...CONSOLE_LANGUAGES.map((l) => h('option', { value: l, lang: l }, textsOf(l).languageName)));
  select.value = consoleLanguage();
  select.addEventListener('change', () => {
    setConsoleLanguage(select.value as ConsoleLanguage);
    onChange();
    document.getElementById('console-language')?.focus();
  });
  return h('div', { class: 'language' }, h('label', { for: 'console-language' }, `${t.languageSwitch} `), select);
}

function start(root: HTMLElement): void {
  document.documentElement.lang = consoleLanguage();
  document.title = t.consoleTitle;
  void call<Session>('GET', 'session').then(
    (session) => openConsole(root, session),
    () => showLogin(root),
  );
}

function showLogin(root: HTMLElement, message = ''): void {
  const name = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9 ]*', required: true, maxlength: 8 });
  const error = errorRegion();
  if (message) error.element.textContent = message;
  const submit = h('button', { type: 'submit', class: 'primary' }, t.logIn);
  const form = h(
    'form',
    { class: 'panel login', novalidate: true },
    h('h1', { tabindex: -1 }, t.consoleTitle),
    field(t.name, name).wrapper,
    field(t.password, password).wrapper,
    field(t.code, code).wrapper,
    h('div', { class: 'actions' }, submit),
    error.element,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.clear();
    submit.disabled = true;
    call<Session>('POST', 'login', { name: name.value.trim(), password: password.value, code: code.value.trim() })
      .then((session) => openConsole(root, session))
      .catch((failure: unknown) => {
        error.show(failure);
        code.value = '';
        submit.disabled = false;
        code.focus();
      });
  });
  root.replaceChildren(h('main', { id: 'content' }, languageSwitch(() => showLogin(root, message)), form));
  name.focus();
}

function openConsole(root: HTMLElement, session: Session): void {
  setCsrfToken(session.csrfToken);
  const main = h('main', { id: 'content', tabindex: -1 });
  const links = ROUTES.map((route) => h('a', { href: `#${route}`, 'data-route': route }, t.routes[route]));
  const shell: Shell = {
    main,
    show(content, moveFocus = true) {
      main.replaceChildren(content);
      const heading = content.querySelector('h2');
      if (moveFocus && heading) focusElement(heading);
    },
    sessionEnded(message = t.sessionEnded) {
      window.removeEventListener('hashchange', route);
      showLogin(root, message);
    },
  };
  const skip = h('a', { href: '#content', class: 'skip-link' }, t.skipToContent);
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  const logout = button(t.logOut, async () => {
    await call('POST', 'logout').catch(() => undefined);
    shell.sessionEnded(t.loggedOut);
  });
  const redraw = () => {
    window.removeEventListener('hashchange', route);
    openConsole(root, session);
  };
  root.replaceChildren(
    skip,
    h('header', {}, h('h1', {}, t.consoleTitle), h('div', { class: 'who' }, languageSwitch(redraw), h('span', { 'data-testid': 'operator' }, session.operator), logout)),
    h('nav', { 'aria-label': t.navLabel }, h('ul', {}, ...links.map((link) => h('li', {}, link)))),
    main,
  );

  async function route(): Promise<void> {
    const hash = location.hash.replace(/^#/, '') || 'queue';
    const [name, arg] = hash.split('/');
    for (const link of links) {
      if (link.dataset.route === name || (name === 'report' && link.dataset.route === 'queue')) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      if (name === 'report' && arg) await renderReport(shell, arg);
      else if (name === 'review') await renderReview(shell);
      else if (name === 'notices') await renderNotices(shell);
      else if (name === 'platforms') await renderPlatforms(shell);
      else if (name === 'templates') await renderTemplates(shell);
      else if (name === 'stats') await renderStats(shell);
      else await renderQueue(shell);
    } catch (error) {
      if (error instanceof ConsoleApiError && error.status === 401) shell.sessionEnded();
      else {
        const failure = errorRegion();
        failure.show(error);
        shell.show(h('section', {}, h('h2', {}, t.somethingWrong), failure.element));
      }
    }
  }
  window.addEventListener('hashchange', route);
  void route();
}

const root = document.getElementById('console');
if (root) start(root);
