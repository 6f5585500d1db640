/**
 * When the hash pairs an upload and a registered image share make a match: the decision
 * rule of a matching profile, over the pairs found within the thresholds. One pure
 * function per question, used by the service (src/service/matching.ts) and by
 * `rempart eval-profile` (src/eval/profile-rules.ts) alike, so what is measured is what
 * ships.
 *
 * Why regions need a second opinion: a region is a small box (down to a tenth of the
 * picture's short side), and an upload brings a few dozen region hashes against a bank of
 * a few dozen per image, so one region pair within the threshold between two unrelated
 * pictures (a sky gradient, a soft vignette, a shaded diagram) is the most likely false
 * match there is. A true copy, cropped or not, keeps several regions in place: two of
 * them map the upload onto the registered image with one scale and one offset.
 */

/** A box [x0, y0, x1, y1] in fractions of its picture. */
export type RelativeBox = readonly [number, number, number, number];

export interface DecisionRules {
  /**
   * One region of the upload alone (whatever registered hash it meets) is a match within this
   * distance; above it, a second region pair must agree with it (region against region).
   */
  readonly singleRegion: number;
  /** Two region pairs agree when their mappings differ by less than this in log scale, per axis... */
  readonly agreeScale: number;
  /** ...and by less than this share of the registered picture in offset, per axis. */
  readonly agreeOffset: number;
  /**
   * An upload whose own whole-picture PDQ quality is under the profile's floor matches
   * nothing, not even through its whole-picture hash: such a hash is decided by almost no
   * edges (a near-blank picture, a flat colour), and the service never registers one.
   */
  readonly uploadFloor: boolean;
  /**
   * An upload that is a flat graphic (its whole picture fails the graphic gate) meets whole
   * pictures only, and within this distance: its PDQ bits are decided by a few edges, so
   * two unrelated graphics (a document figure and a dialog) come within PDQ's threshold.
   */
  readonly graphicWhole: number;
  /**
   * Whole-picture pairs of another algorithm than the profile's (blockhash: every upload is
   * hashed with every registered algorithm, and victims' clients register both):
   * - 'legacy': answered only for a picture registered without a hash of the profile's
   *   algorithm (an older client registered blockhash alone), and never for a flat-graphic
   *   upload; a picture registered with a PDQ hash is decided by the profile's PDQ rules alone;
   * - 'any': every such pair within the algorithm's threshold (today's matching).
   * Why: blockhash has no quality measure of its own, and puts unrelated pictures at
   * distance 0 (smooth gradients and vignettes, pictures split into a light and a dark half;
   * `rempart eval-profile` found 15 such pairs within 7 bits for photo-like uploads and 242
   * for flat graphics), while it adds no recall to the profile's PDQ rules (docs/matching.md).
   */
  readonly otherWhole: 'legacy' | 'any';
}

/** An upload as a whole, as the rules see it before any pair: under the quality floor, a flat graphic. */
export interface UploadKind {
  /** Its own whole-picture PDQ quality is under the profile's floor. */
  readonly underFloor: boolean;
  /** Its whole picture fails the profile's graphic gate (texture.ts). */
  readonly graphic: boolean;
}

/**
 * Whether a whole-picture pair of another algorithm than the profile's (blockhash), already
 * within that algorithm's threshold, is answered (DecisionRules.otherWhole).
 * `withProfileHash`: the registered hash came with a hash of the profile's algorithm (its case,
 * or for a follower its item, holds one: HashStore.registeredWith).
 */
export function otherWholeAnswered(upload: UploadKind, withProfileHash: boolean, rules: Pick<DecisionRules, 'uploadFloor' | 'otherWhole'>): boolean {
  if (rules.uploadFloor && upload.underFloor) return false;
  if (rules.otherWhole === 'any') return true;
  return !withProfileHash && !upload.graphic;
}

/** Scale and offset per axis taking a box of the upload onto a box of the registered image. */
function mapping(query: RelativeBox, registered: RelativeBox): [number, number, number, number] {
  const sx = (registered[2] - registered[0]) / Math.max(1e-6, query[2] - query[0]);
  const sy = (registered[3] - registered[1]) / Math.max(1e-6, query[3] - query[1]);
  return [sx, registered[0] - sx * query[0], sy, registered[1] - sy * query[1]];
}

/**
 * Whether two region pairs (query box → registered box each) map the upload onto the
 * registered image alike: one scale and one offset per axis, within the rules' tolerances.
 * The caller makes sure they are pairs of different regions on both sides.
 */
export function regionsAgree(
  a: { query: RelativeBox; registered: RelativeBox },
  b: { query: RelativeBox; registered: RelativeBox },
  rules: Pick<DecisionRules, 'agreeScale' | 'agreeOffset'>,
): boolean {
  const [sxa, txa, sya, tya] = mapping(a.query, a.registered);
  const [sxb, txb, syb, tyb] = mapping(b.query, b.registered);
  return (
    Math.abs(Math.log(sxa / sxb)) < rules.agreeScale &&
    Math.abs(Math.log(sya / syb)) < rules.agreeScale &&
    Math.abs(txa - txb) < rules.agreeOffset &&
    Math.abs(tya - tyb) < rules.agreeOffset
  );
}

/** A region pair within the region threshold: which upload region, which registered hash, their boxes and distance. */
export interface RegionPair {
  readonly queryKey: number | string;
  readonly registeredKey: number | string;
  readonly query: RelativeBox;
  readonly registered: RelativeBox;
  readonly distance: number;
}

/**
 * Whether region pairs (all within the region threshold, between one upload and one
 * registered image) make a match: one within `singleRegion`, or two pairs of different
 * regions on both sides whose mappings agree.
 */
export function regionsMatch(pairs: readonly RegionPair[], rules: DecisionRules): boolean {
  for (const p of pairs) if (p.distance <= rules.singleRegion) return true;
  for (let x = 0; x < pairs.length; x++) {
    for (let y = x + 1; y < pairs.length; y++) {
      const a = pairs[x]!;
      const b = pairs[y]!;
      if (a.queryKey === b.queryKey || a.registeredKey === b.registeredKey) continue;
      if (regionsAgree(a, b, rules)) return true;
    }
  }
  return false;
}
