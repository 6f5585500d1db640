/**
 * The distractor corpus: real images that are not photographs of people's lives but the
 * things innocent uploads are full of, and that false matches come from: icons, clipart,
 * screenshots of dialogs, game art, wallpapers and renders, brush and pattern samples.
 * Fetched at run time from Debian packages like the photo corpus (apt-get download,
 * dpkg-deb -x into .corpus/, git-ignored), used only as impostors, never committed.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { fetchPackage } from './corpus.js';

export interface DistractorSource {
  readonly name: string;
  /** What the package brings. */
  readonly kind: string;
  /** Folder inside the package, searched recursively. */
  readonly root: string;
  /** Most files taken from this package (in path order, every n-th to spread the pick). */
  readonly limit: number;
  /**
   * Icon themes draw the same concepts under the same file names (a folder, a printer):
   * two themes' "folder.png" are renderings of one idea, not impostors of each other.
   */
  readonly concepts?: boolean;
}

export const DISTRACTOR_SOURCES: readonly DistractorSource[] = [
  { name: 'oxygen-icon-theme', kind: 'icons (largest size of each)', root: 'usr/share/icons/oxygen', limit: 2500, concepts: true },
  { name: 'moka-icon-theme', kind: 'icons (largest size of each)', root: 'usr/share/icons/Moka', limit: 2500, concepts: true },
  { name: 'gimp-help-en', kind: 'documentation screenshots', root: 'usr/share/gimp/2.0/help', limit: 2000 },
  { name: 'kicad-doc-en', kind: 'documentation screenshots', root: 'usr/share/doc/kicad', limit: 1000 },
  { name: 'gnucash-docs', kind: 'documentation screenshots', root: 'usr/share/doc/gnucash-docs', limit: 1000 },
  { name: 'gnome-user-docs', kind: 'documentation figures', root: 'usr/share/help', limit: 100 },
  { name: 'openclipart-png', kind: 'clipart', root: 'usr/share/openclipart', limit: 5000 },
  { name: 'tuxpaint-stamps-default', kind: 'stamps: photos and drawings cut out', root: 'usr/share/tuxpaint/stamps', limit: 1000 },
  { name: 'wesnoth-1.16-data', kind: 'game art: portraits, scenery, UI', root: 'usr/share/games/wesnoth', limit: 3000 },
  { name: 'supertux-data', kind: 'game art: sprites, backgrounds', root: 'usr/share/games/supertux2', limit: 1000 },
  { name: 'freeciv-data', kind: 'game art: tiles, flags', root: 'usr/share/games/freeciv', limit: 500 },
  { name: 'frozen-bubble-data', kind: 'game art', root: 'usr/share/games/frozen-bubble', limit: 500 },
  { name: 'neverball-data', kind: 'game textures', root: 'usr/share/games/neverball', limit: 500 },
  { name: 'krita-data', kind: 'brushes, patterns, templates', root: 'usr/share/krita', limit: 300 },
  { name: 'desktop-base', kind: 'wallpapers and renders', root: 'usr/share', limit: 200 },
  { name: 'gnome-backgrounds', kind: 'wallpapers and renders', root: 'usr/share/backgrounds', limit: 100 },
  { name: 'ukui-wallpapers', kind: 'wallpapers and renders', root: 'usr/share/backgrounds', limit: 100 },
  { name: 'sway-backgrounds', kind: 'wallpapers and renders', root: 'usr/share/backgrounds', limit: 100 },
];

/** Smallest short side of a distractor: below it an image is an icon too small to be an upload. */
export const MIN_DISTRACTOR_SIDE = 100;

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface Distractor {
  path: string;
  source: string;
  /**
   * Files of one package with the same name are one image at several sizes (icon themes,
   * wallpapers per resolution): they are never paired with each other as impostors.
   */
  group: string;
  /** Icon themes: the concept the file draws (its name), shared across themes. */
  concept?: string;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase()) && statSync(path).size > 0) out.push(path);
  }
}

/** Size in pixels named by an icon-theme folder ("256x256"), 0 otherwise. */
function folderSize(path: string): number {
  const match = /(\d+)x\d+/.exec(path);
  return match ? Number(match[1]) : 0;
}

/** Short side in pixels from the file's header (0 when unreadable). */
async function shortSide(path: string): Promise<number> {
  try {
    const { width, height } = await sharp(path).metadata();
    return Math.min(width ?? 0, height ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Fetches the packages and picks the files: for each name within a package, the copy in
 * the largest size folder, if its short side reaches MIN_DISTRACTOR_SIDE; then every n-th
 * file in path order up to the package's limit. With `total`, each package gives the same
 * share of its pick, so a smaller corpus still holds every kind of image.
 */
export async function fetchDistractors(corpusDir: string, total = Number.MAX_SAFE_INTEGER, log: (line: string) => void = () => {}): Promise<Distractor[]> {
  const dir = resolve(corpusDir);
  const picks: { source: DistractorSource; files: string[] }[] = [];
  for (const source of DISTRACTOR_SOURCES) {
    const unpacked = fetchPackage(source.name, dir, log);
    const files: string[] = [];
    walk(join(unpacked, source.root), files);
    const best = new Map<string, string>();
    for (const path of files.sort()) {
      const key = basename(path).toLowerCase();
      const held = best.get(key);
      if (!held || folderSize(path) > folderSize(held)) best.set(key, path);
    }
    const large: string[] = [];
    for (const path of [...best.values()].sort()) if ((await shortSide(path)) >= MIN_DISTRACTOR_SIDE) large.push(path);
    const step = Math.max(1, large.length / source.limit);
    const picked: string[] = [];
    for (let i = 0; i < large.length; i += step) picked.push(large[Math.floor(i)]!);
    picks.push({ source, files: picked });
    log(`${source.name}: ${picked.length} of ${large.length} distinct files of ≥ ${MIN_DISTRACTOR_SIDE} px (${best.size} distinct, ${relative(dir, unpacked)})`);
  }
  const available = picks.reduce((n, p) => n + p.files.length, 0);
  const share = Math.min(1, total / Math.max(1, available));
  const out: Distractor[] = [];
  for (const { source, files } of picks) {
    const step = 1 / share;
    for (let i = 0; i < files.length && out.length < total; i += step) {
      const path = files[Math.floor(i)]!;
      const name = basename(path).toLowerCase();
      const d: Distractor = { path, source: source.name, group: `${source.name}:${name}` };
      if (source.concepts) d.concept = `icon:${name.replace(/\.[a-z]+$/, '')}`;
      out.push(d);
    }
  }
  return out;
}
