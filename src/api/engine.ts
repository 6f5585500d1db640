import type { Rempart } from '../service/rempart.js';

/**
 * What the HTTP layer may use of the engine: its services, its configuration and its
 * events, never the store, the worker pool or the index behind them. Routes and plugins
 * take this type, so reaching through to the store does not compile.
 */
export type ApiEngine = Pick<
  Rempart,
  | 'config'
  | 'cases'
  | 'platforms'
  | 'matching'
  | 'videoMatching'
  | 'sync'
  | 'rateLimits'
  | 'stopncii'
  | 'feedback'
  | 'platformSettings'
  | 'feedWebhooks'
  | 'events'
  | 'hashImage'
  | 'hashVideo'
  | 'hashMedia'
  | 'ready'
  | 'indexedHashes'
  | 'erasureStatus'
  | 'reports'
  | 'notices'
  | 'follower'
>;
