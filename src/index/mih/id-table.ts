/**
 * id → slot map as an open-addressing table (linear probing) of 4-byte entries.
 * Each entry holds slot + 1 (0 = empty); the id itself is read back from the index's
 * slot → id array, so the table costs 4 bytes / load factor per id instead of the
 * ~40+ bytes of a Map entry. Deletion shifts later entries back (no tombstones), so
 * lookups never slow down as ids come and go.
 */
const MAX_LOAD = 0.7;

export class IdSlotTable {
  private table: Uint32Array;
  private mask: number;
  private used = 0;

  constructor(expected = 0) {
    let capacity = 16;
    while (capacity * MAX_LOAD < expected) capacity *= 2;
    this.table = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get byteLength(): number {
    return this.table.byteLength;
  }

  /** Slot of `id`, or -1. `ids` is the index's slot → id array. */
  get(id: number, ids: Uint32Array): number {
    const { table, mask } = this;
    for (let h = home(id, mask); ; h = (h + 1) & mask) {
      const entry = table[h]!;
      if (entry === 0) return -1;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  /**
   * Touches the home entry of every id, in a tight loop of independent loads the CPU
   * overlaps, so a bulk insert that follows finds them in cache instead of waiting on one
   * memory access per id in turn. Returns a value only so the loads are not optimised away.
   */
  warm(ids: Uint32Array): number {
    const { table, mask } = this;
    let sink = 0;
    for (let i = 0; i < ids.length; i++) sink ^= table[home(ids[i]!, mask)]!;
    return sink;
  }

  /** Records id → slot; the caller guarantees `id` is absent and `ids[slot] === id`. */
  insert(id: number, slot: number, ids: Uint32Array): void {
    if (this.used + 1 > this.table.length * MAX_LOAD) this.grow(ids);
    const { table, mask } = this;
    let h = home(id, mask);
    while (table[h] !== 0) h = (h + 1) & mask;
    table[h] = slot + 1;
    this.used++;
  }

  /** Forgets `id`; returns false if absent. */
  delete(id: number, ids: Uint32Array): boolean {
    const { table, mask } = this;
    let hole = home(id, mask);
    for (; ; hole = (hole + 1) & mask) {
      const entry = table[hole]!;
      if (entry === 0) return false;
      if (ids[entry - 1] === id) break;
    }
    // Backward-shift deletion: pull up each later entry of the run that may legally sit in the hole.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const entry = table[j]!;
      if (entry === 0) break;
      const h = home(ids[entry - 1]!, mask);
      // The entry may move to `hole` unless its home lies cyclically in (hole, j].
      const homeBetween = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!homeBetween) {
        table[hole] = entry;
        hole = j;
      }
    }
    table[hole] = 0;
    this.used--;
    return true;
  }

  private grow(ids: Uint32Array): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = this.table.length - 1;
    for (const entry of old) {
      if (entry === 0) continue;
      let h = home(ids[entry - 1]!, this.mask);
      while (this.table[h] !== 0) h = (h + 1) & this.mask;
      this.table[h] = entry;
    }
  }
}

/** murmur3's finaliser: the store's ids are often sequential, so scatter every bit. */
function home(id: number, mask: number): number {
  let h = Math.imul(id ^ (id >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}
