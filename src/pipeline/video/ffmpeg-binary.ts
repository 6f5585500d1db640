/**
 * Which ffmpeg decodes videos: the configured path (REMPART_FFMPEG; the Docker image sets
 * the distribution's maintained build), else the system's /usr/bin/ffmpeg, else the
 * binary shipped inside the npm package @ffmpeg-installer/ffmpeg (a development
 * dependency: what `npm ci` brings on a fresh machine for the tests; a 2018 build, not
 * meant to decode hostile uploads in production).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { RempartError } from '../../errors.js';

export const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';

export type FfmpegSource = 'configured' | 'system' | 'npm';

export interface FfmpegBinary {
  path: string;
  source: FfmpegSource;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function npmFfmpeg(): string | undefined {
  try {
    const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof installer.path === 'string' ? installer.path : undefined;
  } catch {
    return undefined; // not installed (production install without dev dependencies)
  }
}

/** Finds the binary, or undefined when there is none (video endpoints then answer 503). */
export function findFfmpeg(configured?: string): FfmpegBinary | undefined {
  if (configured) return { path: configured, source: 'configured' };
  if (isExecutable(SYSTEM_FFMPEG)) return { path: SYSTEM_FFMPEG, source: 'system' };
  const fromNpm = npmFfmpeg();
  if (fromNpm && isExecutable(fromNpm)) return { path: fromNpm, source: 'npm' };
  return undefined;
}

export function requireFfmpeg(configured?: string): FfmpegBinary {
  const found = findFfmpeg(configured);
  if (found && (found.source !== 'configured' || isExecutable(found.path))) return found;
  throw new RempartError(
    'VIDEO_DECODER_MISSING',
    configured
      ? 'video decoding is unavailable: the configured ffmpeg (REMPART_FFMPEG) is not an executable file'
      : 'video decoding is unavailable: no ffmpeg on this server (install ffmpeg or set REMPART_FFMPEG)',
  );
}
