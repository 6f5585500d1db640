/**
 * Gains of the candidates one query meets (see plan.ts): open addressing keyed by slot,
 * each entry two uint32 [generation << 8 | gain, slot], so a probe touches one cache line.
 * An entry counts only if its generation is the current query's: starting a query is one
 * increment, not a clear of the table.
 */
const INITIAL_ENTRIES = 1 << 10;
/**
 * The table is sized up front to twice the touches a plan expects, up to this many entries
 * (2^24 × 8 bytes = 128 MiB); past it, it only grows when it actually fills up.
 */
const MAX_PRESIZED_ENTRIES = 1 << 24;
/** ⌊2^32 / φ⌋: multiplicative (Fibonacci) hashing, whose top bits spread nearby slots evenly. */
const FIBONACCI_MULTIPLIER = 0x9e3779b1;
/** The low 8 bits of an entry's head hold the gain; the other 24 hold the generation. */
const GAIN_BITS = 8;
const GENERATION_MASK = (1 << (32 - GAIN_BITS)) - 1;
/** Gains saturate here; also marks a candidate already reported. */
const DONE = (1 << GAIN_BITS) - 1;

export class CandidateTable {
  private table = new Uint32Array(2 * INITIAL_ENTRIES);
  /** 32 − log2(entries): the hash keeps the product's top bits. */
  private shift = 32 - Math.log2(INITIAL_ENTRIES);
  private used = 0;
  private generation = 0;

  /** Starts a query that expects to credit about `expected` candidates. */
  begin(expected: number): void {
    const entries = this.table.length >> 1;
    let size = entries;
    while (size < 2 * expected && size < MAX_PRESIZED_ENTRIES) size *= 2;
    if (size !== entries) this.resize(size, false);
    this.used = 0;
    this.generation = (this.generation + 1) & GENERATION_MASK;
    if (this.generation === 0) {
      // Wrapped around: entries of 2^24 queries ago would look current. Forget them all.
      this.table.fill(0);
      this.generation = 1;
    }
  }

  /**
   * Adds `gain` to a candidate's total; true exactly once per query, when the total first
   * reaches `need` (need = gain = 1: true the first time a slot is seen).
   */
  credit(slot: number, gain: number, need: number): boolean {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    const generation = this.generation;
    for (let h = Math.imul(slot, FIBONACCI_MULTIPLIER) >>> this.shift; ; h = (h + 1) & mask) {
      const head = table[2 * h]!;
      if (head >>> GAIN_BITS !== generation) {
        table[2 * h] = ((generation << GAIN_BITS) | (gain >= need ? DONE : gain)) >>> 0;
        table[2 * h + 1] = slot;
        if (++this.used * 2 > mask + 1) this.resize((mask + 1) * 2, true);
        return gain >= need;
      }
      if (table[2 * h + 1] === slot) {
        const before = head & DONE;
        if (before === DONE) return false;
        const total = before + gain;
        table[2 * h] = ((generation << GAIN_BITS) | (total >= need ? DONE : total)) >>> 0;
        return total >= need;
      }
    }
  }

  get byteLength(): number {
    return this.table.byteLength;
  }

  /** A table of `entries` (a power of two), keeping the current query's entries if asked. */
  private resize(entries: number, keep: boolean): void {
    const old = this.table;
    const generation = this.generation;
    this.table = new Uint32Array(2 * entries);
    this.shift = 32 - Math.log2(entries);
    if (!keep) return;
    const table = this.table;
    const mask = entries - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i]! >>> GAIN_BITS !== generation) continue;
      let h = Math.imul(old[i + 1]!, FIBONACCI_MULTIPLIER) >>> this.shift;
      while (table[2 * h]! >>> GAIN_BITS === generation) h = (h + 1) & mask;
      table[2 * h] = old[i]!;
      table[2 * h + 1] = old[i + 1]!;
    }
  }
}
