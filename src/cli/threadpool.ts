import os from 'node:os';

/**
 * sharp's work in each hashing worker runs on Node's shared libuv thread pool, 4 threads
 * by default: with more hashing workers than that, they would queue behind each other.
 * The pool is created on first use, so this must run before any asynchronous I/O; the
 * CLI imports it first. An explicit UV_THREADPOOL_SIZE is left alone.
 */
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, os.availableParallelism() + 2));
