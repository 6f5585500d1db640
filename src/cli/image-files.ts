import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ImageFormat } from '../pipeline/sniff.js';

/** File name extensions of the formats the pipeline accepts (a new format must list its own). */
const EXTENSIONS: Record<ImageFormat, readonly string[]> = {
  jpeg: ['.jpg', '.jpeg', '.jpe', '.jfif'],
  png: ['.png'],
  webp: ['.webp'],
  gif: ['.gif'],
  tiff: ['.tif', '.tiff'],
  heif: ['.heic', '.heif', '.avif'],
};

const IMAGE_EXTENSIONS = new Set(Object.values(EXTENSIONS).flat());

export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Code-unit order: the same on every machine, whatever its locale. */
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (isImageFileName(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile()))) {
      yield path;
    }
  }
}

/**
 * The files that command-line paths stand for, lazily: a file stays as given, whatever
 * its name (the operator named it); a folder becomes every image file below it,
 * recursively, in name order at each level. Links to folders are not followed (no
 * cycles). A path that cannot be read is passed on, so its error is reported per file.
 */
export async function* expandImagePaths(paths: readonly string[]): AsyncGenerator<string> {
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) yield* walk(path);
    else yield path;
  }
}
