/**
 * Rows of the review and allow-list tables as both backends return them, and their one
 * mapper each (the backends differ only in timestamp and JSON columns: ./columns.ts).
 */
import { type ColumnTypes, type Columns, timeOrNull } from './columns.js';
import { heldItemsFromParsed, type NewItemJson } from './held-items.js';
import type { AllowListEntry, HeldSubmission, HoldReason, HoldStatus } from './review.js';
import type { NewItem } from './types.js';

export interface HeldRow<C extends ColumnTypes> {
  id: number;
  ref: string;
  case_id: number;
  case_number: string;
  reason: HoldReason;
  detail: C['json'];
  items: C['json'];
  hash_count: number;
  status: HoldStatus;
  held_at: C['time'];
  decided_at: C['time'] | null;
  decided_by: string | null;
}

export interface AllowListRow<C extends ColumnTypes> {
  id: number;
  algorithm: string;
  value: Uint8Array;
  label: string | null;
  added_at: C['time'];
}

/** A live hash with its item, for gathering live items by ref. */
export interface LiveHashRow<C extends ColumnTypes> {
  item_id: number;
  item_ref: string;
  case_id: number;
  kind: 'image' | 'video';
  algorithm: string;
  value: Uint8Array;
  quality: number | null;
  role: string;
  detail: C['json'] | null;
}

export interface LiveItem {
  itemId: number;
  itemRef: string;
  caseId: number;
  item: NewItem;
}

export interface ReviewRowMappers<C extends ColumnTypes> {
  held(row: HeldRow<C>): HeldSubmission;
  allowListEntry(row: AllowListRow<C>): AllowListEntry;
  /** Live hashes (ordered by item) gathered into their items. */
  liveItems(rows: readonly LiveHashRow<C>[]): LiveItem[];
}

export function reviewRowMappers<C extends ColumnTypes>(columns: Columns<C>): ReviewRowMappers<C> {
  return {
    held: (row) => ({
      id: row.id,
      ref: row.ref,
      caseId: row.case_id,
      caseNumber: row.case_number,
      reason: row.reason,
      detail: columns.json<Record<string, unknown>>(row.detail),
      items: heldItemsFromParsed(columns.json<NewItemJson>(row.items)),
      hashCount: row.hash_count,
      status: row.status,
      heldAt: columns.time(row.held_at),
      decidedAt: timeOrNull(columns, row.decided_at),
      decidedBy: row.decided_by,
    }),
    allowListEntry: (row) => ({ id: row.id, algorithm: row.algorithm, bytes: new Uint8Array(row.value), label: row.label, addedAt: columns.time(row.added_at) }),
    liveItems(rows) {
      const byItem = new Map<number, LiveItem>();
      for (const r of rows) {
        let entry = byItem.get(r.item_id);
        if (!entry) {
          entry = { itemId: r.item_id, itemRef: r.item_ref, caseId: r.case_id, item: { kind: r.kind, hashes: [] } };
          byItem.set(r.item_id, entry);
        }
        const detail = r.detail === null ? null : columns.json<Record<string, unknown>>(r.detail);
        entry.item.hashes.push({ algorithm: r.algorithm, bytes: new Uint8Array(r.value), quality: r.quality, role: r.role, detail });
      }
      return [...byItem.values()];
    },
  };
}
