/**
 * The analysts' console: log in (password + TOTP code), then the queue of reports, a
 * report's links and actions, notices (overdue ones highlighted), platforms, answer
 * templates and the hotline's figures. Plain TypeScript, keyboard first: every action is a
 * real button or link, every field has a label, each view change moves focus to its heading.
 */
import { call, ConsoleApiError, setCsrfToken } from './api.js';
import { focusElement } from '../dom.js';
import type { Session, Shell } from './types.js';
import { button, errorRegion, field, h } from './ui.js';
import { renderReport } from './report-view.js';
import { renderNotices, renderPlatforms, renderQueue, renderStats, renderTemplates } from './views.js';

const ROUTES = [
  ['queue', 'Queue'],
  ['notices', 'Notices'],
  ['platforms', 'Platforms'],
  ['templates', 'Answer templates'],
  ['stats', 'Figures'],
] as const;

function start(root: HTMLElement): void {
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
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'panel login', novalidate: true },
    h('h1', { tabindex: -1 }, 'Rempart — analysts’ console'),
    field('Name', name).wrapper,
    field('Password', password).wrapper,
    field('Authenticator code', code).wrapper,
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
  root.replaceChildren(h('main', { id: 'content' }, form));
  name.focus();
}

function openConsole(root: HTMLElement, session: Session): void {
  setCsrfToken(session.csrfToken);
  const main = h('main', { id: 'content', tabindex: -1 });
  const links = ROUTES.map(([route, label]) => h('a', { href: `#${route}`, 'data-route': route }, label));
  const shell: Shell = {
    main,
    show(content, moveFocus = true) {
      main.replaceChildren(content);
      const heading = content.querySelector('h2');
      if (moveFocus && heading) focusElement(heading);
    },
    sessionEnded(message = 'Your session has ended: log in again.') {
      window.removeEventListener('hashchange', route);
      showLogin(root, message);
    },
  };
  const skip = h('a', { href: '#content', class: 'skip-link' }, 'Skip to content');
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  const logout = button('Log out', async () => {
    await call('POST', 'logout').catch(() => undefined);
    shell.sessionEnded('You are logged out.');
  });
  root.replaceChildren(
    skip,
    h('header', {}, h('h1', {}, 'Rempart — analysts’ console'), h('div', { class: 'who' }, h('span', { 'data-testid': 'operator' }, session.operator), logout)),
    h('nav', { 'aria-label': 'Console' }, h('ul', {}, ...links.map((link) => h('li', {}, link)))),
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
        shell.show(h('section', {}, h('h2', {}, 'Something went wrong'), failure.element));
      }
    }
  }
  window.addEventListener('hashchange', route);
  void route();
}

const root = document.getElementById('console');
if (root) start(root);
