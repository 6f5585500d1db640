/**
 * Derived sets as they travel (JSON): the same shape from the server (POST /v1/hash) and
 * from the victim's page, so either can be registered and compared.
 */
import { DIHEDRAL_NAMES, type DihedralName, type Pixels } from '../types.js';
import { bytesToHex } from '../codec.js';
import { getProfile, type DerivedHash, type Role } from './profile.js';

export interface WireDerivedHash {
  role: Role;
  /** [x0, y0, x1, y1] in fractions of the picture as displayed (4 decimals). */
  box: [number, number, number, number];
  /** Turn of the hashed box in degrees: tilts, and upright windows and regions (boxed along the content's own orientation). */
  angle?: number;
  algorithm: string;
  value: string;
  quality: number;
  /** 'full' only: the picture is a flat graphic (texture.ts), so it meets only whole pictures. */
  graphic?: true;
  /** Query sets: the 7 other dihedral hashes of whole-picture hashes. */
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

export interface WireDerivedSet {
  profile: string;
  /** 'registered': what a victim registers; 'query': what an upload is searched with. */
  side: 'registered' | 'query';
  hashes: WireDerivedHash[];
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

export function toWire(profileName: string, side: WireDerivedSet['side'], set: readonly DerivedHash[]): WireDerivedSet {
  const { algorithm } = getProfile(profileName);
  return {
    profile: profileName,
    side,
    hashes: set.map((h) => {
      const out: WireDerivedHash = {
        role: h.role,
        box: [round(h.box.x0), round(h.box.y0), round(h.box.x1), round(h.box.y1)],
        algorithm,
        value: bytesToHex(h.hashes[0]!),
        quality: h.quality,
      };
      if (h.angle !== undefined) out.angle = round((h.angle * 180) / Math.PI);
      if (h.graphic) out.graphic = true;
      if (h.hashes.length === DIHEDRAL_NAMES.length) {
        out.dihedral = {};
        DIHEDRAL_NAMES.slice(1).forEach((name, i) => (out.dihedral![name as Exclude<DihedralName, 'original'>] = bytesToHex(h.hashes[i + 1]!)));
      }
      return out;
    }),
  };
}

/** The profile's set of a decoded picture (pixels as the shared decode gives them). */
export function deriveSet(profileName: string, side: WireDerivedSet['side'], pixels: Pixels): WireDerivedSet {
  const profile = getProfile(profileName);
  return toWire(profileName, side, side === 'registered' ? profile.register(pixels) : profile.query(pixels));
}

