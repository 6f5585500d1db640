import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUEUE, resolvePoolOptions } from '../src/pipeline/options.js';
import { DEFAULT_LIMITS, HashingPool } from '../src/pipeline/pool.js';
import { DECODE_MAX_SIDE, planDecodes, SHARED_DECODE_SIDE } from '../src/pipeline/decode-sizes.js';
import { sniffImageFormat } from '../src/pipeline/sniff.js';
import { locateHashWorker } from '../src/worker-location.js';

describe('HashingPool options are checked one by one', () => {
  const cases: [unknown, RegExp][] = [
    ['x', /^options must be an object$/],
    [{ thread: 2 }, /^options\.thread is not a HashingPool option$/],
    [{ threads: '2' }, /^options\.threads must be a number, got string$/],
    [{ threads: 0 }, /^options\.threads must be an integer >= 1, got 0$/],
    [{ threads: 1.5 }, /^options\.threads must be an integer >= 1, got 1\.5$/],
    [{ maxInputBytes: -1 }, /^options\.maxInputBytes must be an integer >= 1, got -1$/],
    [{ maxPixels: Infinity }, /^options\.maxPixels must be an integer >= 1, got Infinity$/],
    [{ maxPixels: null }, /^options\.maxPixels must be a number, got null$/],
    [{ maxQueue: -2 }, /^options\.maxQueue must be an integer >= 0, got -2$/],
    [{ decodeTimeoutSeconds: '20' }, /^options\.decodeTimeoutSeconds must be a number, got string$/],
    [{ decodeTimeoutSeconds: 0 }, /^options\.decodeTimeoutSeconds must be a whole number of seconds from 1 to 3600, got 0$/],
    [{ decodeTimeoutSeconds: 0.5 }, /^options\.decodeTimeoutSeconds must be a whole number of seconds from 1 to 3600, got 0\.5$/],
    [{ decodeTimeoutSeconds: 3601 }, /^options\.decodeTimeoutSeconds must be a whole number of seconds from 1 to 3600, got 3601$/],
  ];
  for (const [options, message] of cases) {
    it(`${JSON.stringify(options)} → ${message.source}`, () => {
      expect(() => resolvePoolOptions(options)).toThrow(message);
      expect(() => new HashingPool(options as never)).toThrow(message);
    });
  }

  it('fills defaults', () => {
    const resolved = resolvePoolOptions({});
    expect(resolved.limits).toEqual(DEFAULT_LIMITS);
    expect(resolved.maxQueue).toBe(DEFAULT_MAX_QUEUE);
    expect(resolved.threads).toBeGreaterThanOrEqual(1);
    expect(resolvePoolOptions({ threads: 3, maxQueue: 0 })).toMatchObject({ threads: 3, maxQueue: 0 });
    expect(resolved.limits.decodeTimeoutSeconds).toBe(20);
    expect(resolvePoolOptions({ decodeTimeoutSeconds: 5 }).limits.decodeTimeoutSeconds).toBe(5);
  });
});

describe('locating the compiled worker', () => {
  it('finds dist/workers/hash.worker.js from the sources', () => {
    expect(locateHashWorker()).toMatch(/dist[/\\]workers[/\\]hash\.worker\.js$/);
  });

  it('says to build when the worker is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'rempart-no-build-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}');
      expect(() => locateHashWorker(join(root, 'dist', 'src', 'pipeline', 'pool.js'))).toThrow(/run npm run build/);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});

describe('format sniffing', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  const text = (value: string) => new TextEncoder().encode(value);
  it('recognises each accepted format from its first bytes', () => {
    expect(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(sniffImageFormat(text('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(text('GIF89a'))).toBe('gif');
    expect(sniffImageFormat(bytes(0x4d, 0x4d, 0x00, 0x2a))).toBe('tiff');
    expect(sniffImageFormat(text('\0\0\0\x1cftypavif\0\0\0\0avifmif1'))).toBe('heif');
    expect(sniffImageFormat(text('\0\0\0\x18ftypheic\0\0\0\0mif1heic'))).toBe('heif');
  });
  it('recognises nothing else', () => {
    for (const other of ['<svg/>', '%PDF-1.7', 'BM6', '\0\0\0\x18ftypmp42\0\0\0\0isommp42', 'GIF8', '']) {
      expect(sniffImageFormat(text(other))).toBeUndefined();
    }
  });
});

describe('decode plan: one decode, smaller sizes derived from it', () => {
  it('decodes once at the largest side for blockhash + pdq, resizing for pdq', () => {
    expect(SHARED_DECODE_SIDE).toBe(1024);
    const plans = planDecodes(['pdq', 'blockhash']);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.decodeSide).toBe(1024);
    expect([...plans[0]!.groups]).toEqual([
      [512, ['pdq']],
      [1024, ['blockhash']],
    ]);
  });

  it('plans pdq alone the same way (decode at 1024, resize to 512), so its hash never depends on the request', () => {
    expect(planDecodes(['pdq'])).toEqual([{ decodeSide: 1024, groups: new Map([[512, ['pdq']]]) }]);
  });

  it('gives algorithms without a size their own full-size decode', () => {
    expect(DECODE_MAX_SIDE['full-size-test']).toBeUndefined();
    const plans = planDecodes(['blockhash', 'full-size-test']);
    expect(plans.map((plan) => plan.decodeSide)).toEqual([1024, undefined]);
  });
});
