import { algorithmNames, DIHEDRAL_NAMES } from '../hashing/index.js';
import { REGISTERED_ROLES } from '../service/cases.js';

/** JSON Schema fragments shared by the routes (and published in the OpenAPI document). */

export const hexHash = {
  type: 'string',
  description: '256-bit hash as 64 lowercase hex characters',
  examples: ['d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22'],
} as const;

export const algorithmName = {
  type: 'string',
  description: `hash algorithm: ${algorithmNames.join(', ')}`,
  examples: ['pdq'],
} as const;

export const dihedralHashes = {
  type: 'object',
  description: 'the 7 other dihedral hashes (rotations and mirrors), for algorithms that have them',
  properties: Object.fromEntries(DIHEDRAL_NAMES.slice(1).map((n) => [n, hexHash])),
  additionalProperties: false,
} as const;

export const wireHash = {
  type: 'object',
  required: ['algorithm', 'value'],
  additionalProperties: false,
  properties: {
    algorithm: algorithmName,
    value: hexHash,
    quality: { type: 'integer', description: 'quality 0..100 (PDQ)' },
  },
} as const;

/** A hash of an item's set: a wire hash with what it was computed from (a matching profile's role and box). */
export const itemHash = {
  type: 'object',
  required: ['algorithm', 'value'],
  additionalProperties: false,
  properties: {
    ...wireHash.properties,
    role: { type: 'string', enum: [...REGISTERED_ROLES], description: 'what the hash was computed from' },
    box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4, description: '[x0, y0, x1, y1] in fractions of the picture' },
    angle: { type: 'number', description: "turn of the box in degrees (upright windows and regions: boxed along the content's own orientation)" },
  },
} as const;

/** What POST /v1/hash says to register for the image: one of `items` in POST /v1/cases. */
export const registrationItemSchema = {
  type: 'object',
  description:
    'the item to register for this image (send it as one of `items` in POST /v1/cases): every algorithm\'s hash of the whole picture ' +
    "(role 'full'), then the matching profile's derived hashes with their role and box",
  properties: {
    kind: { type: 'string', enum: ['image'] },
    hashes: { type: 'array', items: itemHash },
  },
} as const;

export const computedHash = {
  type: 'object',
  required: ['algorithm', 'value'],
  properties: {
    algorithm: { type: 'string' },
    value: { type: 'string' },
    quality: { type: 'integer' },
    dihedral: dihedralHashes,
  },
} as const;

export const errorResponse = {
  type: 'object',
  description: 'every error: an HTTP status, a stable code and a message naming the problem',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string', examples: ['HASH_FORMAT'] },
    message: { type: 'string' },
  },
} as const;

/**
 * What a route with a request body can answer before its handler runs: 400 (malformed
 * JSON), 413 (over the size limit), 415 (a content type it does not take).
 */
export const BODY_ERRORS = [400, 413, 415] as const;

/** Error responses for the given statuses, for a route's `response` schema. */
export function errors(...statuses: number[]): Record<number, typeof errorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse]));
}

/** Raw image bodies: JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF (the format is sniffed from the bytes). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/heic', 'image/tiff', 'application/octet-stream'];

/** A matching profile's derived set (src/hashing/profile/wire.ts). */
export const derivedSet = {
  type: 'object',
  description: "the matching profile's set: the whole picture, its trimmed content, centred windows and content-anchored regions",
  properties: {
    profile: { type: 'string' },
    side: { type: 'string', enum: ['registered', 'query'] },
    hashes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          role: { type: 'string', enum: ['full', 'trimmed', 'window', 'region', 'tilt'] },
          box: { type: 'array', items: { type: 'number' }, description: '[x0, y0, x1, y1] in fractions of the picture' },
          angle: { type: 'number', description: "turn of the hashed box in degrees (tilts, and upright windows and regions: boxed along the content's own orientation)" },
          algorithm: { type: 'string' },
          value: { type: 'string' },
          quality: { type: 'integer' },
          graphic: { type: 'boolean', description: "'full' only: the picture is a flat graphic (few exactly uniform colours); it meets only whole pictures" },
          dihedral: dihedralHashes,
        },
      },
    },
  },
} as const;

export const imageInfo = {
  width: { type: 'integer' },
  height: { type: 'integer' },
  format: { type: 'string' },
  hashes: { type: 'array', items: computedHash },
  derived: derivedSet,
} as const;

export const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm', 'video/x-matroska', 'video/x-msvideo', 'application/octet-stream'];

/** A registered frame's centred window (90 % of each side): matched as the frame, for cropped copies. */
const frameWindow = {
  type: 'object',
  required: ['value', 'quality'],
  properties: { value: { ...hexHash, description: 'PDQ hash of the centred window (64 hex)' }, quality: { type: 'integer' } },
  additionalProperties: false,
  description: "registration only: PDQ of the frame's centred window (90 % of each side), matched as the frame for cropped copies",
} as const;

export const videoFrame = {
  type: 'object',
  required: ['t', 'value', 'quality', 'origin'],
  properties: {
    t: { type: 'number', description: 'seconds from the first frame' },
    value: { ...hexHash, description: 'PDQ hash of the frame (64 hex)' },
    quality: { type: 'integer', description: 'PDQ quality 0..100' },
    origin: { type: 'string', enum: ['interval', 'cut', 'probe'], description: 'regular sample, first frame after a scene cut, or (queries) any probe frame' },
    window: frameWindow,
    dihedral: dihedralHashes,
  },
} as const;

/** What hashing a video gives: an MD5 of the file, sampled frames' PDQ hashes with times, a summary. */
export const videoInfo = {
  kind: { type: 'string', enum: ['video'] },
  format: { type: 'string', description: 'container: mp4, mov, webm, matroska, avi' },
  duration: { type: 'number', description: 'seconds of video decoded' },
  frameWidth: { type: 'integer', description: 'width of the hashed frames (the video fitted inside 256 px)' },
  frameHeight: { type: 'integer' },
  md5: { type: 'string', description: 'MD5 of the file bytes (32 hex), for byte-identical re-uploads' },
  frames: { type: 'array', items: videoFrame },
  summary: {
    type: ['object', 'null'],
    description: 'time-average of the PDQ DCT of every probe frame (TMK+PDQF level-1 feature), thresholded to 256 bits',
    properties: { value: hexHash, frames: { type: 'integer' }, dihedral: dihedralHashes },
  },
} as const;

/** A video as the victim's device registers it (POST /v1/hash gives exactly this shape for a video). */
export const videoRegistration = {
  type: 'object',
  required: ['frames'],
  properties: {
    md5: { type: 'string', description: 'MD5 of the file, 32 hex: matches byte-identical copies' },
    frames: {
      type: 'array',
      maxItems: 3600,
      description: 'PDQ hash, time and quality of each sampled frame (2.5 a second and the first after each scene cut); frames under the quality floor are left out',
      items: {
        type: 'object',
        required: ['t', 'value', 'quality'],
        properties: {
          t: { type: 'number' },
          value: hexHash,
          quality: { type: 'integer' },
          origin: { type: 'string', enum: ['interval', 'cut', 'probe'] },
          window: frameWindow,
          dihedral: dihedralHashes,
        },
      },
    },
    // What POST /v1/hash answers besides: accepted so its answer can be sent as is, not stored.
    kind: { type: 'string', enum: ['video'] },
    format: { type: 'string' },
    duration: { type: 'number' },
    frameWidth: { type: 'integer' },
    frameHeight: { type: 'integer' },
    summary: { type: ['object', 'null'] },
  },
  additionalProperties: false,
} as const;

export const match = {
  type: 'object',
  required: ['id', 'algorithm', 'distance'],
  properties: {
    id: { type: 'string', description: 'opaque hash id (never the case number)' },
    algorithm: { type: 'string' },
    distance: { type: 'integer', description: 'Hamming distance' },
    transform: { type: 'string', description: 'which rotation/mirror of the query matched (dihedral matching)' },
    item: { type: 'string', description: 'opaque id of the registered image the hash belongs to: image matching answers once per item' },
    role: { type: 'string', description: "what the registered hash was computed from ('full', 'trimmed', 'window', 'region')" },
    box: { type: 'array', items: { type: 'number' }, description: 'its box in fractions of the registered picture' },
    angle: { type: 'number', description: 'the turn of that box in degrees, when it was boxed along the content\'s own orientation' },
    via: {
      type: 'object',
      description: "with a matching profile: which of the upload's derived hashes matched",
      properties: { role: { type: 'string' }, box: { type: 'array', items: { type: 'number' } }, angle: { type: 'number' } },
    },
    source: { type: 'string', description: 'follower mode (serve --follow): the bank the matched hash comes from (its base URL)' },
  },
} as const;

/** One registered item matched by a video upload. */
export const videoMatch = {
  type: 'object',
  properties: {
    item: { type: 'string', description: 'opaque item id (never the case number)' },
    source: { type: 'string', description: 'follower mode (serve --follow): the bank the matched item is registered at (its base URL)' },
    kind: { type: 'string', enum: ['video', 'image'] },
    exact: { type: 'boolean', description: 'the upload is byte for byte the registered file (same MD5)' },
    matchedSeconds: { type: 'integer', description: 'seconds of the upload with a frame matching the item, at one time offset' },
    querySeconds: { type: 'integer', description: 'seconds of the upload with a frame of usable quality' },
    share: { type: 'number' },
    bestDistance: { type: 'integer' },
    offset: { type: 'number', description: 'registered time minus upload time, seconds' },
    transform: { type: 'string' },
    frames: {
      type: 'array',
      items: { type: 'object', properties: { queryT: { type: 'number' }, referenceT: { type: 'number' }, distance: { type: 'integer' } } },
    },
  },
} as const;

export const bearerAuth = [{ bearerAuth: [] }];
/** The victim's routes: the case secret as a Bearer token. */
export const caseSecretAuth = [{ caseSecret: [] }];
