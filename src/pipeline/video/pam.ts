/**
 * Reads ffmpeg's PAM stream (`-f image2pipe -c:v pam`): each frame is a short text header
 * (WIDTH, HEIGHT, DEPTH, MAXVAL, TUPLTYPE, ENDHDR) then its RGB bytes. Self-describing,
 * so frame sizes never have to be parsed out of ffmpeg's log. One frame buffer is reused:
 * the consumer must read each frame before returning.
 */
import type { Pixels } from '../../hashing/types.js';

const MAX_HEADER = 256;
const END_HEADER = 'ENDHDR\n';

export class PamFormatError extends Error {}

export class PamReader {
  readonly #onFrame: (pixels: Pixels) => void;
  readonly #maxSide: number;
  #header = '';
  #frame: Uint8Array | undefined;
  /** The last frame's buffer, wiped, kept for the next frame of the same size. */
  #reuse: Uint8Array | undefined;
  #width = 0;
  #height = 0;
  #filled = 0;
  #frames = 0;

  /** `maxSide`: frames larger than this on either side are refused (ffmpeg scales below it). */
  constructor(maxSide: number, onFrame: (pixels: Pixels) => void) {
    this.#maxSide = maxSide;
    this.#onFrame = onFrame;
  }

  get frames(): number {
    return this.#frames;
  }

  /** True when the stream ended between frames. */
  get complete(): boolean {
    return this.#frame === undefined && this.#header === '';
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#frame) {
        at = this.#readHeader(chunk, at);
        continue;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#filled, chunk.length - at);
      frame.set(chunk.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === frame.length) {
        this.#frames++;
        this.#frame = undefined;
        this.#onFrame({ width: this.#width, height: this.#height, channels: 3, data: frame });
        frame.fill(0);
        this.#reuse = frame;
      }
    }
  }

  #readHeader(chunk: Uint8Array, start: number): number {
    let at = start;
    while (at < chunk.length) {
      this.#header += String.fromCharCode(chunk[at++]!);
      if (this.#header.length > MAX_HEADER) throw new PamFormatError('frame header too long');
      if (this.#header.endsWith(END_HEADER)) {
        this.#startFrame(this.#header);
        this.#header = '';
        return at;
      }
    }
    return at;
  }

  #startFrame(header: string): void {
    const fields = new Map<string, string>();
    const lines = header.split('\n');
    if (lines[0] !== 'P7') throw new PamFormatError('not a PAM frame');
    for (const line of lines.slice(1)) {
      const [key, value] = line.split(' ');
      if (key && value !== undefined) fields.set(key, value);
    }
    const width = Number(fields.get('WIDTH'));
    const height = Number(fields.get('HEIGHT'));
    if (fields.get('DEPTH') !== '3' || fields.get('MAXVAL') !== '255' || fields.get('TUPLTYPE') !== 'RGB') {
      throw new PamFormatError('frames must be 8-bit RGB');
    }
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new PamFormatError('bad frame size');
    }
    if (width > this.#maxSide || height > this.#maxSide) throw new PamFormatError('frame larger than requested');
    const size = width * height * 3;
    this.#frame = this.#reuse && this.#reuse.length === size ? this.#reuse : new Uint8Array(size);
    this.#width = width;
    this.#height = height;
    this.#filled = 0;
  }
}
