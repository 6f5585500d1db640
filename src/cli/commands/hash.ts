import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { HashingPool } from '../../pipeline/pool.js';
import { algorithmNames } from '../../hashing/index.js';

/** `rempart hash FILE…`: one JSON line per file on stdout; failures on stderr, exit code 1. */
export function registerHashCommand(program: Command): void {
  program
    .command('hash')
    .description('hash image files (nothing is stored); prints one JSON line per file')
    .argument('<files...>', 'image files')
    .option('--dihedral', 'also print the 7 other dihedral hashes (PDQ)')
    .option('--algorithms <names>', `comma-separated subset of: ${algorithmNames.join(', ')}`)
    .option('--threads <n>', 'worker threads (default: all cores)')
    .action(async (files: string[], flags: { dihedral?: boolean; algorithms?: string; threads?: string }) => {
      const pool = new HashingPool(flags.threads ? { threads: Number(flags.threads) } : {});
      const algorithms = flags.algorithms?.split(',').map((s) => s.trim());
      let failures = 0;
      try {
        // The pool bounds parallelism; results are printed in the order files were given.
        const results = files.map(async (file) => {
          try {
            const bytes = await fs.readFile(file);
            const options = algorithms ? { algorithms, dihedral: flags.dihedral === true } : { dihedral: flags.dihedral === true };
            return { file, ...(await pool.hashImage(bytes, options)) };
          } catch (error) {
            const e = error as { code?: string; message: string };
            return { file, error: { code: e.code ?? 'ERROR', message: e.message } };
          }
        });
        for (const result of results) {
          const line = await result;
          if ('error' in line) {
            failures++;
            process.stderr.write(`${JSON.stringify(line)}\n`);
          } else process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      } finally {
        await pool.close();
      }
      if (failures > 0) process.exitCode = 1;
    });
}
