/**
 * The column types that differ between the backends, and how each backend's are read.
 * A role's row mapper is written once, generic over these types, and each backend feeds it
 * its normaliser: PostgreSQL returns timestamptz as Date and jsonb parsed; SQLite returns
 * ISO text and JSON text.
 */

/** What a backend returns for a timestamp and for a JSON document column. */
export interface ColumnTypes {
  time: unknown;
  json: unknown;
}

export interface PostgresColumnTypes extends ColumnTypes {
  time: Date;
  json: unknown;
}

export interface SqliteColumnTypes extends ColumnTypes {
  time: string;
  json: string;
}

/** Reads the backend-specific columns into the values the roles return. */
export interface Columns<C extends ColumnTypes> {
  /** A timestamp as ISO 8601 text (UTC, milliseconds). */
  time(value: C['time']): string;
  /** A JSON document, parsed. */
  json<T>(value: C['json']): T;
}

export const postgresColumns: Columns<PostgresColumnTypes> = {
  time: (value) => value.toISOString(),
  json: <T>(value: unknown) => value as T,
};

export const sqliteColumns: Columns<SqliteColumnTypes> = {
  time: (value) => value,
  json: <T>(value: string) => JSON.parse(value) as T,
};

/** A nullable timestamp as ISO text or null. */
export function timeOrNull<C extends ColumnTypes>(columns: Columns<C>, value: C['time'] | null): string | null {
  return value === null ? null : columns.time(value);
}

/** A nullable JSON document, parsed, or null. */
export function jsonOrNull<C extends ColumnTypes, T>(columns: Columns<C>, value: C['json'] | null): T | null {
  return value === null ? null : columns.json<T>(value);
}
