/**
 * Rows of the core tables (cases, change log, platforms, audit) as both backends return
 * them, and their one mapper each to the records of ./types.ts. The backends differ only in
 * the timestamp and JSON columns (see ./columns.ts): each passes its own normaliser.
 */
import { type ColumnTypes, type Columns, jsonOrNull, timeOrNull } from './columns.js';
import type { Actor, AuditEntry, CaseRecord, CaseStatus, Change, PlatformRecord } from './types.js';

export interface CaseRow<C extends ColumnTypes> {
  id: number;
  number: string;
  secret_hash: string;
  status: CaseStatus;
  created_at: C['time'];
  withdrawn_at: C['time'] | null;
  match_count: number;
  hash_count: number;
}

export interface ChangeRow<C extends ColumnTypes> {
  seq: number;
  op: 'add' | 'remove';
  hash_id: number | null;
  ref: string;
  item_ref: string;
  role: string;
  detail: C['json'] | null;
  algorithm: string;
  value: Uint8Array | null;
  quality: number | null;
  at: C['time'];
}

export interface PlatformRow<C extends ColumnTypes> {
  id: number;
  name: string;
  key_id: string;
  key_hash: string;
  created_at: C['time'];
  revoked_at: C['time'] | null;
}

export interface AuditRow<C extends ColumnTypes> {
  id: number;
  at: C['time'];
  actor_kind: Actor['kind'];
  actor_id: string;
  action: string;
  target: string | null;
  detail: C['json'] | null;
}

export interface StoreRowMappers<C extends ColumnTypes> {
  caseRecord(row: CaseRow<C>): CaseRecord;
  change(row: ChangeRow<C>): Change;
  platform(row: PlatformRow<C>): PlatformRecord;
  audit(row: AuditRow<C>): AuditEntry;
}

export function storeRowMappers<C extends ColumnTypes>(columns: Columns<C>): StoreRowMappers<C> {
  const detail = (value: C['json'] | null) => jsonOrNull<C, Record<string, unknown>>(columns, value);
  return {
    caseRecord: (row) => ({
      id: row.id,
      number: row.number,
      status: row.status,
      createdAt: columns.time(row.created_at),
      withdrawnAt: timeOrNull(columns, row.withdrawn_at),
      hashCount: row.hash_count,
      matchCount: row.match_count,
    }),
    change(row) {
      const common = { seq: row.seq, ref: row.ref, itemRef: row.item_ref, role: row.role, algorithm: row.algorithm };
      if (row.op === 'remove') {
        // A removal's detail says only who removed it (a withdrawal by default).
        const removedBy = detail(row.detail)?.removedBy === 'operator' ? { removedBy: 'operator' as const } : {};
        return { ...common, op: 'remove', hashId: row.hash_id, at: columns.time(row.at), ...removedBy };
      }
      return {
        ...common,
        op: 'add',
        hashId: row.hash_id!,
        detail: detail(row.detail),
        bytes: new Uint8Array(row.value!),
        quality: row.quality,
        at: columns.time(row.at),
      };
    },
    platform: (row) => ({
      id: row.id,
      name: row.name,
      keyId: row.key_id,
      createdAt: columns.time(row.created_at),
      revokedAt: timeOrNull(columns, row.revoked_at),
    }),
    audit: (row) => ({
      id: row.id,
      at: columns.time(row.at),
      actor: { kind: row.actor_kind, id: row.actor_id },
      action: row.action,
      target: row.target,
      detail: detail(row.detail),
    }),
  };
}
