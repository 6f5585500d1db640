/** Small helpers shared by the console's views. */
import { h } from '../dom.js';
import { t } from './i18n.js';

export { h };

export function when(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, t.status[status] ?? status);
}

export function button(label: string, onClick: () => void | Promise<void>, attributes: Record<string, string | boolean> = {}): HTMLButtonElement {
  const element = h('button', { type: 'button', ...attributes }, label);
  element.addEventListener('click', () => {
    element.disabled = true;
    Promise.resolve(onClick()).finally(() => {
      if (element.isConnected) element.disabled = false;
    });
  });
  return element;
}

let fieldCounter = 0;

/** A labelled control (the label's for= points at it), wrapped for layout. */
export function field<E extends HTMLElement>(label: string, control: E): { wrapper: HTMLElement; control: E } {
  const id = control.id || `field-${++fieldCounter}`;
  control.id = id;
  return { wrapper: h('div', { class: 'field' }, h('label', { for: id }, label), control), control };
}

/** Shows an error (or clears it) in a live region. */
export function errorRegion(): { element: HTMLElement; show(error: unknown): void; clear(): void } {
  const element = h('p', { class: 'error', role: 'alert' });
  return {
    element,
    show(error) {
      element.textContent = error instanceof Error ? error.message : String(error);
    },
    clear() {
      element.textContent = '';
    },
  };
}
