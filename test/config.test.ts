import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, rawConfigFromEnv, resolveConfig } from '../src/config.js';

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = resolveConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: path.resolve('./data'),
      pdqQualityFloor: 50,
      index: 'mih',
      maxBatch: 1000,
      decodeTimeoutSeconds: 20,
      maxImageBytes: 50 * 1024 * 1024,
    });
    expect(config.thresholds).toEqual({ blockhash: 7, pdq: 31 });
    expect(config.hashThreads).toBeGreaterThan(0);
    expect(DEFAULTS.port).toBe(8080);
  });

  it('reads REMPART_* variables, and later layers (flags) win', () => {
    const env = rawConfigFromEnv({
      REMPART_PORT: '9000',
      REMPART_DATA_DIR: '/tmp/x',
      REMPART_THRESHOLD_PDQ: '20',
      REMPART_DECODE_TIMEOUT: '5',
      REMPART_INDEX: 'linear',
    });
    const config = resolveConfig(env, { port: '9100', thresholdOverrides: ['blockhash=12'] });
    expect(config).toMatchObject({ port: 9100, dataDir: '/tmp/x', decodeTimeoutSeconds: 5, index: 'linear' });
    expect(config.thresholds).toEqual({ blockhash: 12, pdq: 20 });
  });

  it.each([
    [{ port: 'eighty' }, /port must be an integer from 0 to 65535, got "eighty"/],
    [{ port: '70000' }, /port must be an integer/],
    [{ pdqQualityFloor: '101' }, /PDQ quality floor must be an integer from 0 to 100/],
    [{ index: 'faiss' }, /index must be "mih" or "linear", got "faiss"/],
    [{ decodeTimeoutSeconds: '0' }, /decode timeout \(seconds\) must be an integer from 1 to 3600/],
    [{ thresholdOverrides: ['pdq'] }, /threshold must look like ALGORITHM=DISTANCE/],
    [{ thresholdOverrides: ['md5=3'] }, /unknown hash algorithm "md5"/],
    [{ thresholdOverrides: ['pdq=300'] }, /threshold for pdq must be an integer from 0 to 128/],
    [{ hashThreads: '1.5' }, /hash threads must be an integer/],
  ])('refuses %o with a message naming the setting', (raw, message) => {
    expect(() => resolveConfig(raw)).toThrow(ConfigError);
    expect(() => resolveConfig(raw)).toThrow(message);
  });
});
