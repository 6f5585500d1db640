/**
 * The takedown roles for a backend that does not have them yet (PostgreSQL, for now): the
 * store as it is, where every takedown or webhook method fails with a clear error instead
 * of the engine refusing to start. `available` tells the engine not to start the loops
 * that need them.
 */
import { RempartError } from '../errors.js';
import type { EngineStore, Store } from './types.js';

const PROBE = 'createReport';

export function withTakedownRoles(store: Store): { store: EngineStore; available: boolean } {
  if (PROBE in store) return { store: store as EngineStore, available: true };
  const fallback = new Proxy(store, {
    get(target, property, receiver) {
      if (property in target) {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      if (typeof property !== 'string' || property === 'then') return undefined;
      return async () => {
        throw new RempartError(
          'NOT_READY',
          `reports, notices, operators and webhooks are not available on the ${target.backend} store yet (${property}); use the SQLite store for the takedown process`,
        );
      };
    },
  });
  return { store: fallback as EngineStore, available: false };
}
