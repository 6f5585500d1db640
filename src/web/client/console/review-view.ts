/**
 * The review queue (what `rempart review` does on the command line): submissions held out
 * of the bank, each with why it was held, and Release / Reject. Rejecting erases hash
 * values for good, so it asks once more, in the page (a real button, not a browser dialog).
 */
import { call } from './api.js';
import type { HeldView, Shell } from './types.js';
import { button, errorRegion, field, h, when } from './ui.js';
import { t } from './i18n.js';

const STATUSES = ['held', 'released', 'rejected', 'all'] as const;
type Shown = (typeof STATUSES)[number];

/** Why it was held, in a line an analyst can check (never a hash value: the API has none). */
function details(held: HeldView): string {
  const d = held.detail;
  if (held.reason === 'allow_list' && Array.isArray(d.met)) {
    return (d.met as { allowListed: number; label: string | null; distance: number }[])
      .map((m) => t.nearAllowListed(m.label ?? `#${m.allowListed}`, m.distance))
      .join('; ');
  }
  if (held.reason === 'burst') return t.burstDetail(Number(d.similarSubmissions), Number(d.windowMinutes));
  if (held.reason === 'dispute' && d.notBlocked && typeof d.notBlocked === 'object') {
    return t.disputeDetail(Math.max(0, ...Object.values(d.notBlocked as Record<string, number>)));
  }
  return '—';
}

export async function renderReview(shell: Shell, shown: Shown = 'held', notice = ''): Promise<void> {
  const { held } = await call<{ held: HeldView[] }>('GET', `review?status=${shown}`);
  const status = h('p', { role: 'status', 'data-testid': 'review-status' }, notice);
  const error = errorRegion();
  const again = (message: string) => renderReview(shell, shown, message).catch((failure: unknown) => error.show(failure));

  const select = field(t.reviewShow, h('select', { id: 'review-status-filter' }, ...STATUSES.map((s) => h('option', { value: s }, t.reviewStatuses[s]))));
  select.control.value = shown;
  select.control.addEventListener('change', () => {
    void renderReview(shell, select.control.value as Shown).then(() => document.getElementById('review-status-filter')?.focus());
  });

  const rows = held.map((entry) => {
    const actions = h('td', {});
    if (entry.status === 'held') {
      /** Sends the decision, then lists again with what happened (or shows why it failed). */
      const decide = (action: 'release' | 'reject', done: string) => async () => {
        error.clear();
        try {
          await call('POST', `review/${entry.ref}/${action}`);
          await again(done);
        } catch (failure) {
          error.show(failure);
        }
      };
      const showActions = () => {
        actions.replaceChildren(
          button(t.releaseButton, decide('release', t.released(entry.ref)), { 'aria-label': t.release(entry.ref) }),
          ' ',
          button(t.rejectButton, () => askToReject(), { class: 'danger', 'aria-label': t.reject(entry.ref) }),
        );
      };
      const askToReject = () => {
        const confirm = button(t.confirmRejectButton, decide('reject', t.rejected(entry.ref)), { class: 'danger' });
        actions.replaceChildren(h('p', {}, t.confirmReject(entry.hashCount)), confirm, ' ', button(t.cancel, () => showActions()));
        confirm.focus();
      };
      showActions();
    } else {
      actions.append(entry.decidedAt ? t.decidedBy(entry.decidedBy, when(entry.decidedAt)) : '—');
    }
    return h(
      'tr',
      { 'data-hold': entry.ref, 'data-status': entry.status },
      h('td', {}, when(entry.heldAt)),
      h('td', {}, entry.caseNumber),
      h('td', {}, t.holdReasons[entry.reason] ?? entry.reason),
      h('td', {}, details(entry)),
      h('td', {}, String(entry.hashCount)),
      h('td', {}, t.holdStatuses[entry.status] ?? entry.status),
      actions,
    );
  });

  shell.show(
    h(
      'section',
      { 'aria-labelledby': 'review-heading' },
      h('h2', { id: 'review-heading' }, t.routes.review),
      h('p', { class: 'muted' }, t.reviewIntro),
      h('div', { class: 'panel' }, select.wrapper),
      status,
      error.element,
      held.length === 0
        ? h('p', { 'data-testid': 'review-empty' }, t.reviewEmpty)
        : h(
            'table',
            { 'data-testid': 'review' },
            h('caption', { class: 'muted' }, t.reviewCaption(held.length)),
            h('thead', {}, h('tr', {}, ...t.reviewColumns.map((column) => h('th', { scope: 'col' }, column)))),
            h('tbody', {}, ...rows),
          ),
    ),
  );
}
