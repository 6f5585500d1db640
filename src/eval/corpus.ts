/**
 * The evaluation corpus: real photographs shipped by a few Debian packages, fetched at
 * run time with `apt-get download` and unpacked with `dpkg-deb` into .corpus/ (git
 * ignored), plus the photos among ../shared/vectors. Nothing here is ever committed.
 * The file lists were chosen by looking at every image: photographs only (no renders,
 * icons or charts), one per scene (no stereo pairs or calibration series).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';

export interface CorpusSource {
  /** Debian package name, or "shared-vectors" for ../shared/vectors. */
  readonly name: string;
  /** Folder inside the unpacked package (or inside ../shared/vectors). */
  readonly root: string;
  readonly files: readonly string[];
}

export const DEBIAN_SOURCES: readonly CorpusSource[] = [
  {
    name: 'mate-backgrounds',
    root: 'usr/share/backgrounds/mate/nature',
    files: ['Aqua.jpg', 'Blinds.jpg', 'Dune.jpg', 'FreshFlower.jpg', 'Garden.jpg', 'GreenMeadow.jpg', 'LadyBird.jpg', 'RainDrops.jpg', 'Storm.jpg', 'TwoWings.jpg', 'Wood.jpg', 'YellowFlower.jpg'],
  },
  {
    name: 'python3-skimage',
    root: 'usr/lib/python3/dist-packages/skimage/data',
    files: ['astronaut.png', 'brick.png', 'camera.png', 'chelsea.png', 'coffee.png', 'coins.png', 'grass.png', 'gravel.png', 'hubble_deep_field.jpg', 'ihc.png', 'moon.png', 'motorcycle_left.png', 'retina.jpg', 'rocket.jpg'],
  },
  {
    name: 'opencv-doc',
    root: 'usr/share/doc/opencv-doc/examples/data',
    files: [
      'aero1.jpg', 'aloeL.jpg', 'apple.jpg', 'baboon.jpg', 'basketball1.png', 'board.jpg', 'box_in_scene.png', 'building.jpg',
      'butterfly.jpg', 'chicky_512.png', 'ela_original.jpg', 'fruits.jpg', 'graf1.png', 'home.jpg', 'left.jpg', 'left01.jpg',
      'leuvenA.jpg', 'licenseplate_motion.jpg', 'messi5.jpg', 'orange.jpg', 'pca_test1.jpg', 'rubberwhale1.png', 'squirrel_cls.jpg',
      'starry_night.jpg', 'stuff.jpg', 'sudoku.png', 'text_defocus.jpg',
    ],
  },
  {
    name: 'lomiri-wallpapers-16.04',
    root: 'usr/share/backgrounds',
    files: [
      'Bridge_by_Sander_Klootwijk.jpg', 'Dragonfly_by_Bolly.jpg', 'Picture_0B_by_freespace.jpg', 'Picture_1A_by_freespace.jpg',
      'Wine_by_Jakkub_Mede.jpg', 'aitzgorri_by_Aitzol_Berasategi.jpg', 'friends_by_Aitzol_Berasategi.jpg', 'life_by_Aitzol_Berasategi.jpg',
      'picosdeeuropa_by_Aitzol_Berasategi.jpg', 'seeding_by_Clements_Engelhardt.jpg', 'sunset_by_Aitzol_Berasategi.jpg',
    ],
  },
  {
    name: 'plasma-workspace-wallpapers',
    root: 'usr/share/wallpapers',
    files: ['BytheWater', 'ColdRipple', 'ColorfulCups', 'DarkestHour', 'EveningGlow', 'FallenLeaf', 'Grey', 'Kite', 'OneStandsOut', 'Path', 'summer_1am'].map(
      (name) => `${name}/contents/images/2560x1600.jpg`,
    ),
  },
];

/** Photos among the reference vectors (the rest are clipart, flat skies, patterns or copies of one scene). */
export const SHARED_SOURCE: CorpusSource = {
  name: 'shared-vectors',
  root: '.',
  files: [
    ...['00002701', '00011601', '00094701', '00106901', '00133601', '00136101', '00631701', '00631801', '01109801', '06855701', '24442301', '32499201'].map(
      (id) => `blockhash/${id}.jpg`,
    ),
    'blockhash/clipper_ship.jpg',
    'blockhash/puffy_white.png',
    'pdq/images/bridge-mods/aaa-orig.jpg',
    'pdq/images/reg-test-input/exif-rotn/exif-rotn-1.jpg',
    'pdq/images/reg-test-input/pen-and-coaster.png',
    'pdq/images/reg-test-input/labelme-subset/q0003.jpg',
    'pdq/images/reg-test-input/labelme-subset/q0291.jpg',
    'pdq/images/reg-test-input/labelme-subset/q0746.jpg',
  ],
};

export const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
/** Below this short side a photo has too little detail to stand for an upload. */
export const DEFAULT_MIN_SIDE = 256;

export interface Photo {
  path: string;
  sha256: string;
  width: number;
  height: number;
}

export interface SelectionReport {
  photos: Photo[];
  skipped: { path: string; reason: string }[];
}

/**
 * Applies the selection rules to candidate files: a photo extension, a decodable image
 * with a short side ≥ minSide, and content not seen before (SHA-256 of the bytes).
 */
export async function selectPhotos(paths: readonly string[], minSide = DEFAULT_MIN_SIDE): Promise<SelectionReport> {
  const photos: Photo[] = [];
  const skipped: SelectionReport['skipped'] = [];
  const seen = new Map<string, string>();
  for (const path of [...paths].sort()) {
    if (!PHOTO_EXTENSIONS.has(extname(path).toLowerCase())) {
      skipped.push({ path, reason: 'not a photo extension' });
      continue;
    }
    const bytes = readFileSync(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const twin = seen.get(sha256);
    if (twin) {
      skipped.push({ path, reason: `same bytes as ${twin}` });
      continue;
    }
    let width: number;
    let height: number;
    try {
      const metadata = await sharp(bytes).metadata();
      const oriented = metadata.autoOrient ?? metadata;
      width = oriented.width ?? 0;
      height = oriented.height ?? 0;
    } catch (error) {
      skipped.push({ path, reason: `does not decode: ${(error as Error).message}` });
      continue;
    }
    if (Math.min(width, height) < minSide) {
      skipped.push({ path, reason: `short side ${Math.min(width, height)} px < ${minSide}` });
      continue;
    }
    seen.set(sha256, path);
    photos.push({ path, sha256, width, height });
  }
  return { photos, skipped };
}

/** Image files directly in `dir` (symbolic links followed), sorted. */
export function listImageFiles(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile() && PHOTO_EXTENSIONS.has(extname(path).toLowerCase()))
    .sort();
}

export interface FetchOptions {
  /** Corpus folder; default .corpus */
  dir: string;
  /** ../shared/vectors, when present. */
  sharedVectors?: string;
  log?: (line: string) => void;
}

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Downloads (unless already there) and unpacks one package; returns its unpack folder. */
export function fetchPackage(name: string, dir: string, log: (line: string) => void): string {
  const debs = join(dir, 'debs');
  const unpacked = join(dir, 'unpacked', name);
  mkdirSync(debs, { recursive: true });
  const findDeb = (): string | undefined => readdirSync(debs).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
  if (!findDeb()) {
    log(`apt-get download ${name}`);
    try {
      run('apt-get', ['download', name], debs);
    } catch {
      // A fresh machine has no package lists yet.
      log('apt-get update');
      run('apt-get', ['update'], debs);
      run('apt-get', ['download', name], debs);
    }
  }
  const deb = findDeb();
  if (!deb) throw new Error(`apt-get download ${name} produced no .deb`);
  if (!existsSync(unpacked)) {
    log(`dpkg-deb -x ${deb}`);
    mkdirSync(unpacked, { recursive: true });
    run('dpkg-deb', ['-x', join(debs, deb), unpacked], dir);
  }
  return unpacked;
}

/**
 * Fetches the packages, applies the selection rules and links every selected photo
 * into <dir>/photos (symbolic links, so the shared vectors are never copied).
 */
export async function fetchCorpus(options: FetchOptions): Promise<SelectionReport & { photosDir: string }> {
  const log = options.log ?? (() => {});
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const candidates: { path: string; link: string }[] = [];
  for (const source of DEBIAN_SOURCES) {
    const root = join(fetchPackage(source.name, dir, log), source.root);
    for (const file of source.files) candidates.push({ path: join(root, file), link: `${source.name}--${file.replaceAll('/', '_')}` });
  }
  if (options.sharedVectors && existsSync(options.sharedVectors)) {
    for (const file of SHARED_SOURCE.files) {
      candidates.push({ path: resolve(options.sharedVectors, file), link: `${SHARED_SOURCE.name}--${basename(file)}` });
    }
  } else {
    log(`shared vectors not found at ${options.sharedVectors ?? '(not given)'}: corpus without them`);
  }
  const present = candidates.filter((c) => existsSync(c.path));
  for (const missing of candidates.filter((c) => !existsSync(c.path))) log(`missing from its package: ${missing.path}`);
  const selection = await selectPhotos(present.map((c) => c.path));
  const photosDir = join(dir, 'photos');
  rmSync(photosDir, { recursive: true, force: true });
  mkdirSync(photosDir, { recursive: true });
  const linkOf = new Map(present.map((c) => [c.path, c.link]));
  for (const photo of selection.photos) symlinkSync(relative(photosDir, photo.path), join(photosDir, linkOf.get(photo.path)!));
  return { ...selection, photosDir };
}
