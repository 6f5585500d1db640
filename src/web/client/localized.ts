/**
 * Live translation: each text on the page is bound to a function of the messages, so the
 * language switch updates everything in place without losing focus or typed input.
 */
import { messagesFor, type Language, type Messages } from './i18n.js';

type Render = (messages: Messages) => string;

interface Binding {
  element: Element;
  attribute: string | null;
  render: Render;
}

let language: Language = 'fr';
let bindings: Binding[] = [];
const listeners: Array<(language: Language) => void> = [];

export function currentLanguage(): Language {
  return language;
}

export function currentMessages(): Messages {
  return messagesFor(language);
}

/** Sets the element's text now and again whenever the language changes. */
export function bindText<E extends Element>(element: E, render: Render): E {
  return bind(element, null, render);
}

export function bindAttribute<E extends Element>(element: E, attribute: string, render: Render): E {
  return bind(element, attribute, render);
}

function bind<E extends Element>(element: E, attribute: string | null, render: Render): E {
  const binding = { element, attribute, render };
  // A new text for the same place replaces the old one instead of piling up.
  bindings = bindings.filter((b) => b.element !== element || b.attribute !== attribute);
  bindings.push(binding);
  applyBinding(binding, currentMessages());
  return element;
}

/** Drops bindings of removed elements (their text will not be needed again). */
export function unbindTree(root: Element): void {
  bindings = bindings.filter((b) => !root.contains(b.element));
}

export function onLanguageChange(listener: (language: Language) => void): void {
  listeners.push(listener);
}

export function setLanguage(next: Language): void {
  language = next;
  document.documentElement.lang = next;
  const messages = messagesFor(next);
  document.title = messages.title;
  for (const binding of bindings) applyBinding(binding, messages);
  for (const listener of listeners) listener(next);
}

function applyBinding(binding: Binding, messages: Messages): void {
  const value = binding.render(messages);
  if (binding.attribute === null) binding.element.textContent = value;
  else binding.element.setAttribute(binding.attribute, value);
}
