/**
 * Main-thread side of video hashing: one worker, one video at a time (a video already
 * keeps the machine's decoder busy), files handed over by reference, progress reported.
 */
import type { VideoHashRequest, VideoWorkerMessage } from './messages.js';

/** Where the build puts the video worker bundle (see src/web/build.ts). */
const WORKER_URL = 'assets/video-worker.js';

type Done = Extract<VideoWorkerMessage, { kind: 'done' }>;

interface Job {
  request: VideoHashRequest;
  onProgress: (fraction: number) => void;
  resolve: (reply: Done) => void;
}

export class VideoHashingClient {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private nextId = 1;

  /** Resolves with the hashes or a failure; never rejects. */
  hash(file: Blob, onProgress: (fraction: number) => void): Promise<Done> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, file }, onProgress, resolve });
      this.pump();
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL, { name: 'rempart-video' });
    worker.onmessage = (event: MessageEvent<VideoWorkerMessage>) => {
      const job = this.current;
      if (!job || event.data.id !== job.request.id) return;
      if (event.data.kind === 'progress') {
        job.onProgress(event.data.fraction);
        return;
      }
      this.current = undefined;
      job.resolve(event.data);
      this.pump();
    };
    worker.onerror = (event) => {
      // A crashed worker fails its video; the next one starts afresh.
      const job = this.current;
      this.current = undefined;
      this.worker?.terminate();
      this.worker = undefined;
      job?.resolve({ id: job.request.id, kind: 'done', ok: false, failure: 'internal', detail: event.message || 'the video worker stopped' });
      this.pump();
    };
    return worker;
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    this.current = this.queue.shift()!;
    this.worker ??= this.start();
    this.worker.postMessage(this.current.request);
  }
}

/** Whether a picked file is a video (by its type, or its extension when the type is empty). */
export function isVideoFile(file: File): boolean {
  if (file.type.startsWith('video/')) return true;
  return file.type === '' && /\.(mp4|m4v|mov|3gp|webm|mkv|avi)$/i.test(file.name);
}
