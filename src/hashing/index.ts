/** Public surface of the hashing package (shared by server, workers and browser). */
export * from './types.js';
export * from './errors.js';
export * from './codec.js';
export * from './hamming.js';
export * from './registry.js';
export * from './parse.js';
