/**
 * Errors raised while parsing hashes. Plain Error subclasses (no Node APIs) carrying a
 * stable `code`; src/api/errors.ts maps each code to an HTTP status.
 */
export class HashFormatError extends Error {
  readonly code = 'HASH_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'HashFormatError';
  }
}

export class UnknownAlgorithmError extends Error {
  readonly code = 'UNKNOWN_ALGORITHM';
  constructor(readonly algorithm: string, known: readonly string[]) {
    super(`unknown hash algorithm "${algorithm}" (known: ${known.join(', ')})`);
    this.name = 'UnknownAlgorithmError';
  }
}
