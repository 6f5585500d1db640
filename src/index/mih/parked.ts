import { GROWTH } from './slots.js';

/**
 * Slots a bulk load has parked in no table yet (the start-up load: sorting every page into
 * the tables as it arrives would rewrite the static tier again and again). Queries compare
 * them one by one; the index folds them into the static tier a few times during the load.
 */
export class ParkedSlots {
  slots: Uint32Array = new Uint32Array(0);
  count = 0;

  add(slots: Uint32Array): void {
    const n = slots.length;
    if (this.count + n > this.slots.length) {
      const grown = new Uint32Array(Math.max(this.count + n, Math.ceil(this.slots.length * GROWTH)));
      grown.set(this.slots.subarray(0, this.count));
      this.slots = grown;
    }
    this.slots.set(slots, this.count);
    this.count += n;
  }

  /** Takes out one parked slot (the last one fills its place). */
  remove(slot: number): void {
    const { slots } = this;
    let i = 0;
    while (slots[i] !== slot) i++;
    slots[i] = slots[--this.count]!;
  }

  /** Appends the parked slots to `out` from `at`; returns the position after them. */
  collect(out: Uint32Array, at: number): number {
    out.set(this.slots.subarray(0, this.count), at);
    return at + this.count;
  }

  /** Forgets them all (after a fold linked them into the static tier). */
  clear(): void {
    this.count = 0;
    if (this.slots.length > 0) this.slots = new Uint32Array(0);
  }

  get byteLength(): number {
    return this.slots.byteLength;
  }
}
