/** Held items as stored (a JSON column, values in hex): both backends use this one encoding. */
import type { NewItem } from './types.js';

export function heldItemsToJson(items: readonly NewItem[]): string {
  return JSON.stringify(
    items.map((item) => ({
      kind: item.kind,
      hashes: item.hashes.map((h) => ({
        algorithm: h.algorithm,
        value: Buffer.from(h.bytes).toString('hex'),
        quality: h.quality ?? null,
        role: h.role ?? 'full',
        detail: h.detail ?? null,
      })),
    })),
  );
}

/** Held items as the JSON column holds them. */
export type NewItemJson = {
  kind: NewItem['kind'];
  hashes: { algorithm: string; value: string; quality: number | null; role: string; detail: Record<string, unknown> | null }[];
}[];

/** Held items from the JSON column, once parsed (see ./review-rows.ts). */
export function heldItemsFromParsed(items: NewItemJson): NewItem[] {
  return items.map((item) => ({
    kind: item.kind,
    hashes: item.hashes.map((h) => ({
      algorithm: h.algorithm,
      bytes: Uint8Array.from(Buffer.from(h.value, 'hex')),
      quality: h.quality,
      role: h.role,
      detail: h.detail,
    })),
  }));
}
