/**
 * What a victim registers for one image, from its hashes and a matching profile's
 * registered set: the same on the server (POST /v1/hash answers it) and in the victim's
 * page. Types only from the profile, so the page's main bundle stays small.
 */
import type { WireHash } from '../types.js';
import type { Role } from './derive.js';
import type { WireDerivedSet } from './wire.js';

/** One hash of a registration item: a wire hash and what it was computed from. */
export interface ItemHash {
  algorithm: string;
  value: string;
  quality?: number;
  role: Role;
  box?: [number, number, number, number];
  /** Turn of the box in degrees (upright windows and regions). */
  angle?: number;
}

/** What a victim registers for one image (`items[]` of POST /v1/cases). */
export interface RegistrationItem {
  kind: 'image';
  hashes: ItemHash[];
}

/**
 * The item registered for one image: every algorithm's own hash of the whole picture
 * (role 'full': exactly what a flat registration holds, so everything that matched a
 * flat registration still matches), then the profile's derived hashes. The profile's own
 * 'full' entry is left out: it is a near copy of the algorithm's hash computed from a
 * different decode size, and would only double the chances of an innocent match.
 */
export function registrationItem(hashes: readonly WireHash[], derived?: WireDerivedSet): RegistrationItem {
  const out: ItemHash[] = hashes.map((h) => ({ algorithm: h.algorithm, value: h.value, ...(h.quality === undefined ? {} : { quality: h.quality }), role: 'full' }));
  for (const h of derived?.hashes ?? []) {
    if (h.role === 'full') continue;
    out.push({ algorithm: h.algorithm, value: h.value, quality: h.quality, role: h.role, box: h.box, ...(h.angle === undefined ? {} : { angle: h.angle }) });
  }
  return { kind: 'image', hashes: out };
}
