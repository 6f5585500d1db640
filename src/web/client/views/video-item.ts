/**
 * One chosen video in the list: a local preview (an object URL, never uploaded), the
 * progress of its analysis on the device, and the fingerprints that would be sent.
 */
import { h } from '../dom.js';
import { bindAttribute, bindText, unbindTree } from '../localized.js';
import type { VideoHashes, VideoWorkerMessage } from '../video/messages.js';
import type { ItemState } from './image-item.js';

export class VideoItem {
  readonly element: HTMLLIElement;
  state: ItemState = 'hashing';
  video: VideoHashes | undefined;
  private readonly previewUrl: string;
  private readonly status: HTMLParagraphElement;
  private readonly bar: HTMLProgressElement;
  private readonly body: HTMLDivElement;

  constructor(
    readonly file: File,
    onRemove: (item: VideoItem) => void,
  ) {
    this.previewUrl = URL.createObjectURL(file);
    const preview = h('video', { class: 'item-preview', src: this.previewUrl, muted: true, preload: 'metadata', 'aria-hidden': 'true' });
    this.status = h('p', { class: 'item-status', role: 'status' });
    this.bar = h('progress', { class: 'item-progress', max: 100, value: 0 });
    bindText(this.status, (m) => m.videoHashing(0));
    const remove = h('button', { type: 'button', class: 'item-remove' }, '×');
    bindAttribute(remove, 'aria-label', (m) => m.remove(file.name));
    remove.addEventListener('click', () => onRemove(this));
    this.body = h('div', { class: 'item-body' }, h('p', { class: 'item-name' }, file.name), this.status, this.bar);
    this.element = h('li', { class: 'item item-video', 'data-state': 'hashing', 'data-kind': 'video' }, preview, this.body, remove);
  }

  progress(fraction: number): void {
    const percent = Math.floor(fraction * 100);
    if (percent === Number(this.bar.value)) return;
    this.bar.value = percent;
    bindText(this.status, (m) => m.videoHashing(percent));
  }

  /** Records the worker's answer; frames under the quality floor are not sent. */
  complete(reply: Extract<VideoWorkerMessage, { kind: 'done' }>, qualityFloor: number): void {
    this.bar.remove();
    if (!reply.ok) {
      console.warn(`Rempart could not hash ${this.file.name}: ${reply.failure}: ${reply.detail}`);
      this.element.dataset.failure = reply.failure;
      this.setState('failed');
      bindText(this.status, (m) => (reply.failure === 'unsupported' ? m.videoUnsupported : m.videoFailed));
      return;
    }
    const video = { ...reply.video, frames: reply.video.frames.filter((frame) => frame.quality >= qualityFloor) };
    this.video = video;
    this.element.dataset.elapsedMs = String(reply.elapsedMs);
    this.element.dataset.decoder = reply.decoder;
    this.element.dataset.frames = `${reply.decodedFrames} decoded, ${reply.skippedFrames} skipped`;
    this.element.dataset.reads = `${reply.reads.planes} from planes, ${reply.reads.canvas} by canvas`;
    if (video.frames.length === 0) {
      this.setState('low-quality');
      bindText(this.status, (m) => m.videoLowQuality);
    } else {
      this.setState('ready');
      bindText(this.status, (m) => m.videoReady(video.frames.length, Math.round(video.duration)));
    }
    this.body.append(this.renderHashes(video));
  }

  dispose(): void {
    URL.revokeObjectURL(this.previewUrl);
    unbindTree(this.element);
    this.element.remove();
  }

  private setState(state: ItemState): void {
    this.state = state;
    this.element.dataset.state = state;
  }

  private renderHashes(video: VideoHashes): HTMLDetailsElement {
    const list = h('dl', { class: 'item-hashes' });
    list.append(h('dt', {}, 'MD5'), h('dd', {}, h('code', { 'data-algorithm': 'video-md5' }, video.md5)));
    for (const frame of video.frames) {
      list.append(
        h('dt', {}, `pdq ${frame.t.toFixed(1)} s (${frame.quality}/100)`),
        h('dd', {}, h('code', { 'data-algorithm': 'pdq', 'data-role': 'frame', 'data-t': frame.t }, frame.value)),
      );
      if (frame.window) {
        list.append(
          h('dt', {}, `pdq ${frame.t.toFixed(1)} s, centre (${frame.window.quality}/100)`),
          h('dd', {}, h('code', { 'data-algorithm': 'pdq', 'data-role': 'window', 'data-t': frame.t }, frame.window.value)),
        );
      }
    }
    return h('details', {}, bindText(h('summary', {}), (m) => m.showHashes), list);
  }
}
