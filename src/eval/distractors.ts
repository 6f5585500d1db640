/**
 * The distractor corpus: real images that are not photographs of people's lives but the
 * things innocent uploads are full of, and that false matches come from: icons, clipart,
 * screenshots of dialogs, game art, wallpapers and renders, brush and pattern samples.
 * Fetched at run time from Debian packages like the photo corpus (apt-get download,
 * dpkg-deb -x into .corpus/, git-ignored), used only as impostors, never committed.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { fetchPackage } from './corpus.js';

export interface DistractorSource {
  readonly name: string;
  /** What the package brings. */
  readonly kind: string;
  /** Folder inside the package, searched recursively. */
  readonly root: string;
  /** Most files taken from this package (in path order, every n-th to spread the pick). */
  readonly limit: number;
}

export const DISTRACTOR_SOURCES: readonly DistractorSource[] = [
  { name: 'oxygen-icon-theme', kind: 'icons (largest size of each)', root: 'usr/share/icons/oxygen', limit: 2500 },
  { name: 'gimp-help-en', kind: 'documentation screenshots', root: 'usr/share/gimp/2.0/help', limit: 2000 },
  { name: 'openclipart-png', kind: 'clipart', root: 'usr/share/openclipart', limit: 4000 },
  { name: 'wesnoth-1.16-data', kind: 'game art: portraits, scenery, UI', root: 'usr/share/games/wesnoth', limit: 3000 },
  { name: 'krita-data', kind: 'brushes, patterns, templates', root: 'usr/share/krita', limit: 300 },
  { name: 'desktop-base', kind: 'wallpapers and renders', root: 'usr/share', limit: 200 },
  { name: 'gnome-backgrounds', kind: 'wallpapers and renders', root: 'usr/share/backgrounds', limit: 100 },
];

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface Distractor {
  path: string;
  source: string;
  /**
   * Files of one package with the same name are one image at several sizes (icon themes,
   * wallpapers per resolution): they are never paired with each other as impostors.
   */
  group: string;
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

/**
 * Fetches the packages and picks the files: for each name within a package, the copy in
 * the largest size folder; then every n-th file in path order up to the package's limit.
 * Tiny images are dropped later by the runner (short side < 100 px).
 */
export function fetchDistractors(corpusDir: string, log: (line: string) => void = () => {}): Distractor[] {
  const dir = resolve(corpusDir);
  const out: Distractor[] = [];
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
    const unique = [...best.values()].sort();
    const step = Math.max(1, unique.length / source.limit);
    for (let i = 0; i < unique.length && out.length < Number.MAX_SAFE_INTEGER; i += step) {
      const path = unique[Math.floor(i)]!;
      out.push({ path, source: source.name, group: `${source.name}:${basename(path).toLowerCase()}` });
    }
    log(`${source.name}: ${Math.min(unique.length, source.limit)} of ${unique.length} distinct files (${relative(dir, unpacked)})`);
  }
  return out;
}
