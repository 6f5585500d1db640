/** Video hashing: sampled-frame PDQ with times, scene cuts, a whole-video summary, matching. */
export * from './types.js';
export * from './profile.js';
export * from './signature.js';
export * from './match.js';
export * from './probe.js';
export * from './digest.js';
export * from './bands.js';
