import { WORDS_PER_CODE } from '../../hashing/hamming.js';
import { IdSlotTable } from './id-table.js';

/** Where a slot's code is linked. */
export const FREE = 0;
export const STATIC = 1;
export const DELTA = 2;
/** In no table: being added (inside add / addPacked), or parked by a bulk load. */
export const UNLINKED = 3;

/** "No slot here": the end of a static bucket's live entries, or a removed delta entry. */
export const EMPTY = 0xffffffff;

/** Arrays grow by this factor (amortised, like any dynamic array). */
export const GROWTH = 1.5;
const MIN_CAPACITY = 16;

/**
 * The codes themselves, one slot each: `words` (8 uint32 words per slot), `ids` (slot → id),
 * `state` (which tier links the slot) and the id → slot table. A code never moves: removed
 * slots go on a free list (chained through `ids`) and are reused by later inserts, so no
 * table entry is ever rewritten because another code left.
 */
export class CodeSlots {
  words: Uint32Array;
  ids: Uint32Array;
  state: Uint8Array;
  /** Slots ever used: [0, top) holds live and free slots. */
  top = 0;
  private capacity: number;
  /** First free slot + 1 (0: none). */
  private freeHead = 0;
  private readonly idTable: IdSlotTable;

  constructor(expected: number) {
    this.capacity = Math.max(expected, MIN_CAPACITY);
    this.words = new Uint32Array(this.capacity * WORDS_PER_CODE);
    this.ids = new Uint32Array(this.capacity);
    this.state = new Uint8Array(this.capacity);
    this.idTable = new IdSlotTable(expected);
  }

  /** Slot of `id`, or -1. */
  slotOf(id: number): number {
    return this.idTable.get(id, this.ids);
  }

  /** Brings the id-table homes of `ids` into cache before a bulk insert (see IdSlotTable.warm). */
  warm(ids: Uint32Array): number {
    return this.idTable.warm(ids);
  }

  /** Makes room for `n` more slots at once (a bulk insert), unless free slots will be reused. */
  reserve(n: number): void {
    if (this.top + n > this.capacity && this.freeHead === 0) this.grow(this.top + n);
  }

  /** A slot for `id` (absent), marked UNLINKED; its code is written by the caller. */
  allocate(id: number): number {
    let slot: number;
    if (this.freeHead !== 0) {
      slot = this.freeHead - 1;
      this.freeHead = this.ids[slot]!;
    } else {
      if (this.top === this.capacity) this.grow(this.top + 1);
      slot = this.top++;
    }
    this.state[slot] = UNLINKED;
    this.ids[slot] = id;
    this.idTable.insert(id, slot, this.ids);
    return slot;
  }

  /** Forgets a slot's id and puts it on the free list (its table entries are already gone). */
  release(slot: number): void {
    this.idTable.delete(this.ids[slot]!, this.ids);
    this.state[slot] = FREE;
    this.ids[slot] = this.freeHead;
    this.freeHead = slot + 1;
  }

  /** Every slot holding a code, in slot order. */
  liveSlots(count: number): Uint32Array {
    const { state, top } = this;
    const slots = new Uint32Array(count);
    for (let slot = 0, n = 0; slot < top; slot++) if (state[slot] !== FREE) slots[n++] = slot;
    return slots;
  }

  get byteLength(): number {
    return this.words.byteLength + this.ids.byteLength + this.state.byteLength + this.idTable.byteLength;
  }

  private grow(minimum: number): void {
    const capacity = Math.max(minimum, Math.ceil(this.capacity * GROWTH));
    const words = new Uint32Array(capacity * WORDS_PER_CODE);
    words.set(this.words.subarray(0, this.top * WORDS_PER_CODE));
    const ids = new Uint32Array(capacity);
    ids.set(this.ids.subarray(0, this.top));
    const state = new Uint8Array(capacity);
    state.set(this.state.subarray(0, this.top));
    this.words = words;
    this.ids = ids;
    this.state = state;
    this.capacity = capacity;
  }
}
