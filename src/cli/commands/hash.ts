import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { HashingPool } from '../../pipeline/pool.js';
import { algorithmNames } from '../../hashing/index.js';
import { getProfile, listProfiles } from '../../hashing/profile/profile.js';
import { expandImagePaths } from '../image-files.js';
import { positiveInteger } from '../options.js';

type Line = { file: string; error: { code: string; message: string } } | ({ file: string } & Record<string, unknown>);

/**
 * `rempart hash PATH…`: one JSON line per image file on stdout, in the order given
 * (folders: every image below them, sorted); failures on stderr, exit code 1.
 */
export function registerHashCommand(program: Command): void {
  program
    .command('hash')
    .description('hash image files (nothing is stored); prints one JSON line per file')
    .argument('<paths...>', 'image files, or folders (every image file below them, recursively)')
    .option('--dihedral', 'also print the 7 other dihedral hashes (PDQ)')
    .option('--algorithms <names>', `comma-separated subset of: ${algorithmNames.join(', ')}`)
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInteger)
    .option('--profile <name>', `also print a matching profile's set (${listProfiles().map((p) => p.name).join(', ')})`)
    .option('--query', 'with --profile: the query set (what an upload is searched with) instead of the registered set')
    .action(async (paths: string[], flags: { dihedral?: boolean; algorithms?: string; threads?: number; profile?: string; query?: boolean }) => {
      if (flags.profile !== undefined) getProfile(flags.profile);
      const pool = new HashingPool(flags.threads ? { threads: flags.threads } : {}, {
        onWorkerFailure: (error) => process.stderr.write(`rempart: a hashing worker thread failed: ${error.message}\n`),
      });
      const algorithms = flags.algorithms?.split(',').map((s) => s.trim());
      const options = {
        dihedral: flags.dihedral === true,
        ...(algorithms ? { algorithms } : {}),
        ...(flags.profile ? { profile: { name: flags.profile, side: flags.query ? ('query' as const) : ('registered' as const) } } : {}),
      };
      const hashFile = async (file: string): Promise<Line> => {
        try {
          return { file, ...(await pool.hashImage(await fs.readFile(file), options)) };
        } catch (error) {
          const e = error as { code?: string; message: string };
          return { file, error: { code: e.code ?? 'ERROR', message: e.message } };
        }
      };
      let failures = 0;
      const print = (line: Line) => {
        if ('error' in line) {
          failures++;
          process.stderr.write(`${JSON.stringify(line)}\n`);
        } else process.stdout.write(`${JSON.stringify(line)}\n`);
      };
      // Two images per thread keep every thread busy; bounding what is in flight keeps
      // the pool's queue (and the bytes held in memory) small for any number of files.
      const maxInFlight = pool.threads * 2;
      const inFlight: Promise<Line>[] = [];
      let files = 0;
      try {
        for await (const file of expandImagePaths(paths)) {
          files++;
          inFlight.push(hashFile(file));
          if (inFlight.length >= maxInFlight) print(await inFlight.shift()!);
        }
        while (inFlight.length > 0) print(await inFlight.shift()!);
      } finally {
        await pool.close();
      }
      if (files === 0) process.stderr.write(`rempart: no image files in ${paths.join(', ')}\n`);
      if (failures > 0 || files === 0) process.exitCode = 1;
    });
}
