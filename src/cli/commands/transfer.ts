import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { WireHash } from '../../hashing/index.js';
import { wireValue } from '../../hashing/video/digest.js';
import type { VideoItemInput } from '../../service/video-items.js';
import type { WireItem } from '../../service/cases.js';
import { configFromFlags, withDataDir } from '../options.js';
import { Rempart } from '../../service/rempart.js';
import { OPERATOR, withRempart } from './platform.js';

/** `rempart export` / `rempart import`: the hash list as JSON lines, for backups and exchanges. */
export function registerTransferCommands(program: Command): void {
  withDataDir(program.command('export'))
    .description(
      'print every active hash as JSON lines: {"id","item","role","detail","algorithm","value","quality","createdAt"} ' +
        '(no case numbers; an image is its whole-picture hashes, role "full", and the matching profile\'s derived ones, ' +
        'roles "trimmed", "window", "region" with detail.box (and detail.angle for turned boxes; docs/matching.md); a video is its frames, role "frame" with detail.t, ' +
        'and its MD5, role "file")',
    )
    .option('-o, --output <file>', 'write to this file instead (mode 0600, replaced only once the export is complete)')
    .action(async (flags: { dataDir?: string; output?: string }) =>
      withRempart(flags, async (rempart) => {
        const lines = exportLines(rempart);
        if (flags.output) return writeAtomically(path.resolve(flags.output), lines);
        for await (const line of lines) {
          if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      }),
    );

  withDataDir(program.command('import'))
    .description(
      'register the hashes of a JSON-lines file ({"algorithm","value","quality"?} per line; lines of `rempart export` ' +
        'keep their images and videos together by "item", with their roles) as one new case',
    )
    .argument('<file>', 'JSON-lines file, or - for stdin')
    .action(async (file: string, flags: { dataDir?: string }) => {
      const { items, videos } = await readJsonLines(file);
      const rempart = await Rempart.open(configFromFlags(flags));
      try {
        const created = await rempart.cases.importItems(items, OPERATOR, videos);
        process.stdout.write(`${JSON.stringify(created)}\n`);
        process.stderr.write(
          `imported ${created.hashCount} hashes as case ${created.caseNumber}; keep the case secret to withdraw it later.\n` +
            'A running server picks imported hashes up within a second.\n',
        );
      } finally {
        await rempart.close();
      }
    });
}

async function* exportLines(rempart: Rempart): AsyncGenerator<string> {
  for await (const h of rempart.store.hashes()) {
    const record = {
      id: h.ref,
      item: h.itemRef,
      role: h.role,
      detail: h.detail,
      algorithm: h.algorithm,
      value: wireValue(h.algorithm, h.bytes),
      quality: h.quality,
      createdAt: h.createdAt,
    };
    yield `${JSON.stringify(record)}\n`;
  }
}

/**
 * The hash list is sensitive: the file is readable by its owner only, and a failed
 * export never leaves a truncated file under the requested name (it is written beside
 * it, then renamed over it).
 */
async function writeAtomically(target: string, lines: AsyncIterable<string>): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  try {
    await pipeline(Readable.from(lines), fs.createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
    await fs.promises.rename(partial, target);
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    throw new Error(`cannot write the export to ${target}: ${(error as Error).message}`);
  }
}

interface ExportLine extends Partial<WireHash> {
  item?: string;
  role?: string;
  detail?: { t?: unknown; box?: unknown; angle?: unknown } | null;
}

/**
 * Images and videos regrouped by item: an export's image lines of one "item" form one item
 * with their roles and boxes, its frame and file lines one video; a line without an item is
 * an image of its own (one whole-picture hash), a repeated value among those kept once.
 */
async function readJsonLines(file: string): Promise<{ items: WireItem[]; videos: VideoItemInput[] }> {
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const items: WireItem[] = [];
  const images = new Map<string, WireItem>();
  const single = new Set<string>();
  const videos = new Map<string, VideoItemInput>();
  /** Frames' windows per video, by time: put back on their frames at the end. */
  const windows = new Map<string, Map<number, { value: string; quality: number }>>();
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${n}: not valid JSON`);
    }
    const { algorithm, value, quality, item, role, detail } = parsed as ExportLine;
    if (typeof algorithm !== 'string' || typeof value !== 'string') {
      throw new Error(`${file}:${n}: each line needs "algorithm" and "value" strings`);
    }
    const videoWindow = role === 'window' && typeof detail?.t === 'number';
    if ((role === 'frame' || role === 'file' || videoWindow) && typeof item === 'string') {
      const video = videos.get(item) ?? { frames: [] };
      videos.set(item, video);
      if (role === 'file') video.md5 = value;
      else if (videoWindow) {
        const byTime = windows.get(item) ?? new Map();
        windows.set(item, byTime);
        byTime.set(Number(detail!.t), { value, quality: quality ?? 0 });
      } else video.frames.push({ t: Number(detail?.t), value, quality: quality ?? 0 });
      continue;
    }
    if (item !== undefined && typeof item !== 'string') throw new Error(`${file}:${n}: "item" must be a string`);
    if (role !== undefined && typeof role !== 'string') throw new Error(`${file}:${n}: "role" must be a string`);
    const hash: WireItem['hashes'][number] = quality === undefined || quality === null ? { algorithm, value } : { algorithm, value, quality };
    if (role !== undefined) hash.role = role;
    if (detail?.box !== undefined) hash.box = detail.box as number[];
    if (detail?.angle !== undefined) hash.angle = detail.angle as number;
    if (item === undefined) {
      const key = `${algorithm}:${value.toLowerCase()}`;
      if (single.has(key)) continue;
      single.add(key);
      items.push({ kind: 'image', hashes: [hash] });
      continue;
    }
    let image = images.get(item);
    if (!image) {
      image = { kind: 'image', hashes: [] };
      images.set(item, image);
      items.push(image);
    }
    image.hashes.push(hash);
  }
  for (const [item, byTime] of windows) {
    const video = videos.get(item)!;
    for (const frame of video.frames) {
      const window = byTime.get(frame.t);
      if (window) frame.window = window;
      byTime.delete(frame.t);
    }
    // A window registered without its frame (the frame was under the quality floor): a
    // frame of quality 0 carries it back, and is itself left out again on import.
    for (const [t, window] of byTime) video.frames.push({ t, value: window.value, quality: 0, window });
  }
  return { items, videos: [...videos.values()] };
}
