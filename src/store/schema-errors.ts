/** Errors of opening a database whose schema this Rempart cannot use as it is (either backend). */

/** Raised when a database was written by a newer Rempart: opening it could corrupt it. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `Database ${path} has schema version ${found}, but this Rempart only knows versions up to ` +
        `${supported}. Upgrade Rempart, or restore a backup made by this version; refusing to open it.`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Raised when a read-only open finds a database that still needs migrations. */
export class SchemaTooOldError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `Database ${path} has schema version ${found}, older than ${supported}; ` +
        `open it once read-write to migrate it.`,
    );
    this.name = 'SchemaTooOldError';
  }
}
