/**
 * "Protect my images": pick or drop images, hash them in the worker, flag low-quality
 * ones, then send only the fingerprints to create a case.
 */
import { registrationItem, type RegistrationItem } from '../../../hashing/profile/item.js';
import { api, ApiError, type AlgorithmsResponse, type CreatedCase } from '../api.js';
import { h } from '../dom.js';
import type { HashingPool } from '../hashing-client.js';
import { bindText } from '../localized.js';
import { describeApiError } from './errors.js';
import { ImageItem } from './image-item.js';
import { VideoItem } from './video-item.js';
import { isVideoFile, type VideoHashingClient } from '../video/client.js';
import type { VideoRegistration } from '../api.js';

/** The API accepts at most this many hashes per case. */
const MAX_HASHES_PER_CASE = 1000;

export interface RegisterContext {
  pool: HashingPool;
  videos: VideoHashingClient;
  algorithms: Promise<AlgorithmsResponse>;
  onCreated: (created: CreatedCase) => void;
}

export function createRegisterView(context: RegisterContext): HTMLElement {
  const items: (ImageItem | VideoItem)[] = [];
  let batchTotal = 0;
  let batchDone = 0;

  const input = h('input', { type: 'file', id: 'image-input', class: 'visually-hidden', accept: 'image/*,video/*', multiple: true });
  const pickButton = bindText(h('label', { for: 'image-input', class: 'button button-primary' }), (m) => m.pickLabel);
  const dropZone = h(
    'div',
    { class: 'drop-zone', 'data-testid': 'drop-zone' },
    input,
    pickButton,
    bindText(h('p', { class: 'hint', id: 'pick-hint' }), (m) => m.pickHint),
  );
  input.setAttribute('aria-describedby', 'pick-hint');

  const progress = h('progress', { max: 1, value: 0, hidden: true });
  const progressText = h('p', { class: 'progress-text', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'items', 'aria-labelledby': 'list-heading' });
  const emptyList = bindText(h('p', { class: 'hint' }), (m) => m.emptyList);
  const submit = h('button', { type: 'button', class: 'button button-primary', disabled: true });
  const submitError = h('p', { class: 'error', role: 'alert' });

  const view = h(
    'section',
    { class: 'view', 'aria-labelledby': 'protect-heading' },
    bindText(h('h2', { id: 'protect-heading' }), (m) => m.navProtect),
    h(
      'div',
      { class: 'privacy', role: 'note' },
      bindText(h('h3', {}), (m) => m.privacyHeading),
      bindText(h('p', {}), (m) => m.privacyBody),
    ),
    bindText(h('h3', {}), (m) => m.pickHeading),
    dropZone,
    progress,
    progressText,
    bindText(h('h3', { id: 'list-heading' }), (m) => m.listHeading),
    emptyList,
    list,
    bindText(h('h3', {}), (m) => m.submitHeading),
    bindText(h('p', { class: 'hint' }), (m) => m.submitHint),
    submit,
    submitError,
  );

  function refresh(): void {
    const ready = items.filter((item) => item.state === 'ready');
    const readyVideos = ready.filter((item) => item instanceof VideoItem).length;
    const busy = items.some((item) => item.state === 'hashing');
    submit.disabled = ready.length === 0 || busy;
    bindText(submit, (m) => (readyVideos > 0 ? m.submitWithVideos(ready.length - readyVideos, readyVideos) : m.submit(ready.length)));
    emptyList.hidden = items.length > 0;
    progress.hidden = batchTotal === 0 || batchDone === batchTotal;
    progress.max = Math.max(1, batchTotal);
    progress.value = batchDone;
    if (batchTotal > 0) {
      bindText(progressText, (m) => (batchDone === batchTotal ? m.progressDone(batchTotal) : m.progress(batchDone, batchTotal)));
    }
  }

  function remove(item: ImageItem | VideoItem): void {
    const index = items.indexOf(item);
    if (index >= 0) items.splice(index, 1);
    item.dispose();
    refresh();
  }

  async function addFiles(files: Iterable<File>): Promise<void> {
    // Without the server's quality floor images cannot be judged; the page already says why.
    const algorithms = await context.algorithms.catch(() => null);
    if (!algorithms) return;
    const { qualityFloor } = algorithms;
    // A new batch restarts the counter; files added mid-batch join it.
    if (batchDone === batchTotal) batchTotal = batchDone = 0;
    for (const file of files) {
      if (isVideoFile(file)) {
        // Videos are decoded and hashed here, on the device, one at a time, with progress.
        const video = new VideoItem(file, remove);
        items.push(video);
        list.append(video.element);
        batchTotal++;
        void context.videos
          .hash(file, (fraction) => video.progress(fraction))
          .then((reply) => {
            batchDone++;
            if (items.includes(video)) video.complete(reply, qualityFloor.pdq ?? 50);
            refresh();
          });
        continue;
      }
      const item = new ImageItem(file, remove);
      items.push(item);
      list.append(item.element);
      batchTotal++;
      void context.pool.hash(file).then((reply) => {
        batchDone++;
        if (items.includes(item)) item.complete(reply, qualityFloor);
        refresh();
      });
    }
    refresh();
  }

  async function createCase(): Promise<void> {
    bindText(submitError, () => '');
    const algorithms = await context.algorithms.catch(() => null);
    if (!algorithms) return;
    const known = new Set(algorithms.algorithms.map((a) => a.name));
    const ready = items.filter((item) => item.state === 'ready');
    const videos: VideoRegistration[] = ready.flatMap((item) =>
      item instanceof VideoItem && item.video
        ? [
            {
              md5: item.video.md5,
              frames: item.video.frames.map(({ t, value, quality, origin, window }) => ({ t, value, quality, origin, ...(window ? { window } : {}) })),
            },
          ]
        : [],
    );
    // One item per image: its whole-picture hashes and the matching profile's derived set
    // (trimmed content, windows, regions), so that crops, borders and screenshots match too.
    const registered: RegistrationItem[] = ready
      .flatMap((item) => (item instanceof ImageItem ? [registrationItem(item.hashes, item.derived)] : []))
      .map((item) => ({ ...item, hashes: item.hashes.filter((hash) => known.has(hash.algorithm)) }))
      .filter((item) => item.hashes.length > 0);
    const total = registered.reduce((n, item) => n + item.hashes.length, 0);
    if (total > MAX_HASHES_PER_CASE) {
      bindText(submitError, (m) => m.errorTooMany(MAX_HASHES_PER_CASE));
      return;
    }
    submit.disabled = true;
    bindText(submit, (m) => m.submitting);
    try {
      const created = await api.createCase(registered, videos);
      for (const item of items.splice(0)) item.dispose();
      batchTotal = batchDone = 0;
      bindText(progressText, () => '');
      context.onCreated(created);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, 'network');
      bindText(submitError, () => describeApiError(failure));
    } finally {
      refresh();
    }
  }

  input.addEventListener('change', () => {
    void addFiles(Array.from(input.files ?? []));
    input.value = ''; // lets the victim pick the same file again after removing it
  });
  for (const type of ['dragenter', 'dragover'] as const) {
    view.addEventListener(type, (event) => {
      event.preventDefault();
      dropZone.classList.add('drop-active');
    });
  }
  view.addEventListener('dragleave', (event) => {
    // Only when the pointer leaves the view, not when it moves between its children.
    if (!(event.relatedTarget instanceof Node) || !view.contains(event.relatedTarget)) dropZone.classList.remove('drop-active');
  });
  view.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('drop-active');
    const files = Array.from(event.dataTransfer?.files ?? []).filter(
      (file) => file.type.startsWith('image/') || file.type.startsWith('video/') || file.type === '',
    );
    void addFiles(files);
  });
  submit.addEventListener('click', () => void createCase());
  refresh();
  return view;
}
