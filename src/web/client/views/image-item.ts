/**
 * One chosen image in the list: local preview (an object URL, never uploaded), its
 * analysis state, and the fingerprints that would be sent, visible to the victim.
 */
import type { ComputedHash } from '../../../hashing/types.js';
import type { WireDerivedSet } from '../../../hashing/profile/wire.js';
import { h } from '../dom.js';
import { bindAttribute, bindText, unbindTree } from '../localized.js';
import type { HashReply } from '../messages.js';

export type ItemState = 'hashing' | 'ready' | 'low-quality' | 'failed';

export class ImageItem {
  readonly element: HTMLLIElement;
  state: ItemState = 'hashing';
  hashes: ComputedHash[] = [];
  /** The matching profile's registered set (hashes and boxes, no pixels), registered with the image. */
  derived?: WireDerivedSet;
  private readonly previewUrl: string;
  private readonly status: HTMLParagraphElement;
  private readonly body: HTMLDivElement;

  constructor(
    readonly file: File,
    onRemove: (item: ImageItem) => void,
  ) {
    this.previewUrl = URL.createObjectURL(file);
    const preview = h('img', { class: 'item-preview', src: this.previewUrl, alt: '', decoding: 'async' });
    this.status = h('p', { class: 'item-status' });
    bindText(this.status, (m) => m.statusHashing);
    const remove = h('button', { type: 'button', class: 'item-remove' }, '×');
    bindAttribute(remove, 'aria-label', (m) => m.remove(file.name));
    remove.addEventListener('click', () => onRemove(this));
    this.body = h('div', { class: 'item-body' }, h('p', { class: 'item-name' }, file.name), this.status);
    this.element = h('li', { class: 'item', 'data-state': 'hashing' }, preview, this.body, remove);
  }

  /** Records the worker's answer and shows what it means for this image. */
  complete(reply: HashReply, qualityFloor: Readonly<Record<string, number>>): void {
    if (!reply.ok) {
      // The detail stays in the console for whoever helps the victim; the page says it plainly.
      console.warn(`Rempart could not hash ${this.file.name}: ${reply.failure}: ${reply.detail}`);
      this.element.dataset.failure = reply.failure;
      this.setState('failed');
      bindText(this.status, (m) => m.statusFailed);
      return;
    }
    this.hashes = reply.hashes;
    this.derived = reply.derived;
    this.element.dataset.elapsedMs = String(reply.elapsedMs);
    // Tests read the derived set from here to compare it with the server's.
    this.element.dataset.derived = JSON.stringify(reply.derived);
    const low = reply.hashes.find((hash) => {
      const floor = qualityFloor[hash.algorithm];
      return floor !== undefined && hash.quality !== undefined && hash.quality < floor;
    });
    if (low) {
      const floor = qualityFloor[low.algorithm]!;
      this.setState('low-quality');
      bindText(this.status, (m) => m.statusLowQuality(low.quality!, floor));
      this.body.append(bindText(h('p', { class: 'item-explanation' }), (m) => m.lowQualityExplanation));
    } else {
      this.setState('ready');
      bindText(this.status, (m) => m.statusReady);
    }
    this.body.append(this.renderHashes());
  }

  /** Frees the preview and the element's translations. */
  dispose(): void {
    URL.revokeObjectURL(this.previewUrl);
    unbindTree(this.element);
    this.element.remove();
  }

  private setState(state: ItemState): void {
    this.state = state;
    this.element.dataset.state = state;
  }

  private renderHashes(): HTMLDetailsElement {
    const list = h('dl', { class: 'item-hashes' });
    for (const hash of this.hashes) {
      const label = hash.quality === undefined ? hash.algorithm : `${hash.algorithm} (${hash.quality}/100)`;
      list.append(
        h('dt', {}, label),
        h('dd', {}, h('code', { 'data-algorithm': hash.algorithm, 'data-quality': hash.quality }, hash.value)),
      );
    }
    return h('details', {}, bindText(h('summary', {}), (m) => m.showHashes), list);
  }
}
