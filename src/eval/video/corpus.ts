/**
 * The video evaluation corpus, built into .corpus/videos/ (git-ignored, never committed):
 * - the real sample videos Debian's opencv-doc ships (a film trailer, a tree in the wind,
 *   a pedestrian CCTV scene), re-encoded to H.264 MP4 as a phone would hold them;
 * - realistic videos ffmpeg builds from the corpus photos: shots of 3–7 s with camera
 *   motion (zoom in or out, pans, drift), hard cuts and fades through black, 960×540 at
 *   30 fps, H.264 with the index at the end (as phones write it). Each photo is used once.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { listImageFiles } from '../corpus.js';
import { runFfmpeg } from './ffmpeg-run.js';

export interface CorpusVideo {
  name: string;
  path: string;
  source: 'opencv-doc' | 'photos' | 'folder';
  /** Photos the video was built from (photo videos). */
  photos?: string[];
}

/**
 * A corpus photo as an impostor image for the videos it is not in (`video`: the one it
 * was built into, if any): registered as an image against every video upload, and posted
 * as a still against every registered video.
 */
export interface ImpostorImage {
  name: string;
  path: string;
  /** The corpus video showing this picture (its pairs with that video are not impostors). */
  video?: string;
}

const OPENCV_DATA = 'unpacked/opencv-doc/usr/share/doc/opencv-doc/examples/data';
/** Megamind_bugy.avi is a damaged copy of Megamind.avi: not a distinct video. */
export const OPENCV_VIDEOS = ['Megamind.avi', 'tree.avi', 'vtest.avi'] as const;

const WIDTH = 960;
const HEIGHT = 540;
const FPS = 30;
export const PHOTOS_PER_VIDEO = 5;

type Motion = 'zoom-in' | 'zoom-out' | 'pan-right' | 'pan-down' | 'drift';
const MOTIONS: readonly Motion[] = ['zoom-in', 'pan-right', 'zoom-out', 'drift', 'pan-down'];

/** zoompan expressions for a shot of `frames` frames ('on' is the output frame number). */
function zoompan(motion: Motion, frames: number): string {
  const p = `on/${frames}`;
  const centreX = "iw/2-iw/zoom/2";
  const centreY = "ih/2-ih/zoom/2";
  const [z, x, y] = {
    'zoom-in': [`1+0.25*${p}`, centreX, centreY],
    'zoom-out': [`1.25-0.25*${p}`, centreX, centreY],
    'pan-right': ['1.2', `(iw-iw/zoom)*${p}`, centreY],
    'pan-down': ['1.2', centreX, `(ih-ih/zoom)*${p}`],
    drift: [`1.05+0.05*${p}`, `(iw-iw/zoom)*(0.3+0.4*${p})`, centreY],
  }[motion];
  return `zoompan=z='${z}':x='${x}':y='${y}':d=1:s=${WIDTH}x${HEIGHT}:fps=${FPS}`;
}

export interface ShotPlan {
  photo: string;
  seconds: number;
  motion: Motion;
  /** Fade through black into this shot (else a hard cut). */
  fadeIn: boolean;
}

/** The shots of video `index` (deterministic: durations 3–7 s, motions and fades cycle). */
export function planShots(photos: readonly string[], index: number): ShotPlan[] {
  return photos.map((photo, k) => ({
    photo,
    seconds: 3 + ((index * 3 + k * 7) % 5),
    motion: MOTIONS[(index + k) % MOTIONS.length]!,
    fadeIn: k > 0 && (index + k) % 3 === 0,
  }));
}

/** ffmpeg arguments building one video from its shots, written to `output`. */
export function photoVideoArgs(shots: readonly ShotPlan[], output: string): string[] {
  const inputs = shots.flatMap((s) => ['-loop', '1', '-framerate', String(FPS), '-t', String(s.seconds), '-i', s.photo]);
  const chains = shots.map((shot, i) => {
    const frames = shot.seconds * FPS;
    const steps = [
      // 1.5× the output: room to zoom and pan without upscaling much, at half the cost of 2×.
      `[${i}:v]scale=${1.5 * WIDTH}:${1.5 * HEIGHT}:force_original_aspect_ratio=increase`,
      `crop=${1.5 * WIDTH}:${1.5 * HEIGHT}`,
      'setsar=1',
      zoompan(shot.motion, frames),
      `trim=end_frame=${frames}`,
      'setpts=PTS-STARTPTS',
    ];
    if (shot.fadeIn) steps.push('fade=t=in:st=0:d=0.4');
    const next = shots[i + 1];
    if (next?.fadeIn) steps.push(`fade=t=out:st=${(shot.seconds - 0.4).toFixed(1)}:d=0.4`);
    return `${steps.join(',')}[v${i}]`;
  });
  const concat = `${shots.map((_, i) => `[v${i}]`).join('')}concat=n=${shots.length}:v=1:a=0,format=yuv420p[out]`;
  return [
    '-y', ...inputs,
    '-filter_complex', [...chains, concat].join(';'),
    '-map', '[out]', '-r', String(FPS), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20',
    output,
  ];
}

/** A seeded shuffle, so each video mixes photos of different sources. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface BuildOptions {
  /** The corpus folder (.corpus), holding unpacked/ and photos/ (see `rempart corpus fetch`). */
  corpusDir: string;
  ffmpeg: string;
  /** Videos to build from photos (each takes PHOTOS_PER_VIDEO photos). */
  photoVideos: number;
  log?: (line: string) => void;
}

async function buildOnce(path: string, build: (partial: string) => Promise<unknown>): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return;
  const partial = `${path}.partial.mp4`;
  await build(partial);
  renameSync(partial, path);
}

/** Builds what is missing and lists the corpus videos (real ones first). */
export async function buildVideoCorpus(options: BuildOptions): Promise<CorpusVideo[]> {
  const log = options.log ?? (() => {});
  const corpus = resolve(options.corpusDir);
  const out = join(corpus, 'videos');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'README'), 'Built by `rempart eval-video` from .corpus/unpacked and .corpus/photos. Never commit.\n');
  const videos: CorpusVideo[] = [];

  for (const file of OPENCV_VIDEOS) {
    const source = join(corpus, OPENCV_DATA, file);
    if (!existsSync(source)) {
      log(`missing ${source} (run \`rempart corpus fetch\`): skipped`);
      continue;
    }
    const name = `opencv-${file.replace(/\.avi$/, '').toLowerCase()}`;
    const path = join(out, `${name}.mp4`);
    await buildOnce(path, (partial) => {
      log(`re-encoding ${file}`);
      return runFfmpeg({
        binary: options.ffmpeg,
        args: ['-y', '-i', source, '-map', '0:v:0', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', partial],
      });
    });
    videos.push({ name, path, source: 'opencv-doc' });
  }

  const photosDir = join(corpus, 'photos');
  const photos = existsSync(photosDir) ? shuffled(listImageFiles(photosDir), 14) : [];
  const count = Math.min(options.photoVideos, Math.floor(photos.length / PHOTOS_PER_VIDEO));
  if (count < options.photoVideos) log(`only ${photos.length} photos in ${photosDir}: ${count} photo videos`);
  for (let index = 0; index < count; index++) {
    const name = `photos-${String(index + 1).padStart(2, '0')}`;
    const path = join(out, `${name}.mp4`);
    const shots = planShots(photos.slice(index * PHOTOS_PER_VIDEO, (index + 1) * PHOTOS_PER_VIDEO), index);
    await buildOnce(path, (partial) => {
      log(`building ${name} from ${shots.length} photos`);
      return runFfmpeg({ binary: options.ffmpeg, args: photoVideoArgs(shots, partial) });
    });
    videos.push({ name, path, source: 'photos', photos: shots.map((s) => s.photo) });
  }
  return videos;
}

/** Every corpus photo, each tagged with the video built from it (for the impostor images). */
export function corpusPhotos(corpusDir: string, videos: readonly CorpusVideo[]): ImpostorImage[] {
  const photosDir = join(resolve(corpusDir), 'photos');
  if (!existsSync(photosDir)) return [];
  const owner = new Map<string, string>();
  for (const v of videos) for (const p of v.photos ?? []) owner.set(p, v.name);
  return listImageFiles(photosDir).map((path) => {
    const video = owner.get(path);
    return { name: `photo:${basename(path)}`, path, ...(video ? { video } : {}) };
  });
}

/** Videos already in a folder (for `--videos DIR`): .mp4 .mov .webm .mkv .avi files. */
export function listVideoFiles(dir: string): CorpusVideo[] {
  return readdirSync(dir)
    .filter((f) => /\.(mp4|mov|m4v|webm|mkv|avi)$/i.test(f) && !f.includes('.partial.'))
    .sort()
    .map((f) => ({ name: f.replace(/\.[^.]+$/, ''), path: join(dir, f), source: 'folder' as const }));
}

/**
 * A phone-like 1080p video for timing (not for matching): `seconds` of 1920×1080 at 30 fps,
 * H.264 High at ~10 Mbit/s with the index at the end, as a phone records it. Moving test
 * pattern with film-grain noise, so the decoder works as hard as on camera footage.
 * Built once into `path` (bench/results/tmp/, git-ignored).
 */
export async function phoneLikeVideo(ffmpeg: string, path: string, seconds = 60): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await buildOnce(path, (partial) =>
    runFfmpeg({
      binary: ffmpeg,
      args: [
        '-y',
        '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
        '-vf', 'noise=alls=10:allf=t,format=yuv420p',
        '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '10M', '-maxrate', '12M', '-bufsize', '20M',
        '-g', '60',
        partial,
      ],
      timeoutMs: 3_600_000,
    }),
  );
  return path;
}
