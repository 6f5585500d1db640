/**
 * The victim's page: builds the shell (header, language switch, navigation) and switches
 * between the "protect" and "status" views with the URL fragment.
 */
import { api, type CreatedCase } from './api.js';
import { focusElement, h } from './dom.js';
import { HashingPool } from './hashing-client.js';
import { initialLanguage, LANGUAGES, messagesFor, rememberLanguage } from './i18n.js';
import { bindAttribute, bindText, onLanguageChange, setLanguage, unbindTree } from './localized.js';
import { createCreatedView } from './views/created.js';
import { createRegisterView } from './views/register.js';
import { VideoHashingClient } from './video/client.js';
import { createStatusView } from './views/status.js';

type Route = 'protect' | 'status';

/** Each language is named in itself, so a victim can find theirs whatever is shown. */
function createLanguageSwitch(): HTMLElement {
  const buttons = LANGUAGES.map((language) => {
    const button = h('button', { type: 'button', class: 'language', lang: language, 'data-language': language });
    button.textContent = messagesFor(language).languageName;
    button.addEventListener('click', () => {
      rememberLanguage(language);
      setLanguage(language);
    });
    return button;
  });
  onLanguageChange((current) => {
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.language === current));
  });
  return bindAttribute(h('div', { class: 'language-switch', role: 'group' }, ...buttons), 'aria-label', (m) => m.languageSwitch);
}

function start(root: HTMLElement): void {
  const algorithms = api.algorithms();
  const pool = new HashingPool();
  const main = h('main', { id: 'content', tabindex: -1 });
  const status = createStatusView();
  const videos = new VideoHashingClient();
  const register = createRegisterView({ pool, videos, algorithms, onCreated: showCreated });
  const algorithmsError = h('p', { class: 'error', role: 'alert' });
  algorithms.catch(() => bindText(algorithmsError, (m) => m.errorAlgorithms));

  const links = (['protect', 'status'] as const).map((route) =>
    bindText(h('a', { href: `#${route}`, 'data-route': route }), (m) => (route === 'protect' ? m.navProtect : m.navStatus)),
  );
  const nav = bindAttribute(h('nav', {}, h('ul', {}, ...links.map((link) => h('li', {}, link)))), 'aria-label', (m) => m.navLabel);
  let created: HTMLElement | null = null;

  function show(route: Route, moveFocus: boolean): void {
    // Leaving the "created" view forgets the secret: it is shown once only.
    if (created) unbindTree(created);
    created = null;
    const view = route === 'status' ? status.element : register;
    main.replaceChildren(algorithmsError, view);
    for (const link of links) {
      if (link.dataset.route === route) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const heading = view.querySelector('h2');
    if (moveFocus && heading) focusElement(heading);
  }

  function showCreated(result: CreatedCase): void {
    created = createCreatedView(result, (caseNumber) => {
      status.prefill(caseNumber);
      location.hash = '#status';
    });
    main.replaceChildren(created);
    focusElement(created.querySelector('h2')!);
  }

  const routeFromHash = (): Route => (location.hash === '#status' ? 'status' : 'protect');
  window.addEventListener('hashchange', () => show(routeFromHash(), true));

  // The skip link focuses the content itself: following "#content" would change the route.
  const skipLink = bindText(h('a', { href: '#content', class: 'skip-link' }), (m) => m.skipToContent);
  skipLink.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });

  root.replaceChildren(
    skipLink,
    h(
      'header',
      {},
      h('div', { class: 'brand' }, h('h1', {}, 'Rempart'), bindText(h('p', { class: 'tagline' }), (m) => m.tagline)),
      createLanguageSwitch(),
    ),
    nav,
    main,
    h('footer', {}, bindText(h('p', {}), (m) => m.footer)),
  );
  setLanguage(initialLanguage());
  show(routeFromHash(), false);
}

const root = document.getElementById('app');
if (root) start(root);
