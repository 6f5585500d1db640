import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { bytesToHex, type WireHash } from '../../hashing/index.js';
import { configFromFlags, withDataDir } from '../options.js';
import { Rempart } from '../../service/rempart.js';
import { OPERATOR, withRempart } from './platform.js';

/** `rempart export` / `rempart import`: the hash list as JSON lines, for backups and exchanges. */
export function registerTransferCommands(program: Command): void {
  withDataDir(program.command('export'))
    .description('print every active hash as JSON lines: {"id","algorithm","value","quality","createdAt"} (no case numbers)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (flags: { dataDir?: string; output?: string }) =>
      withRempart(flags, async (rempart) => {
        const file = flags.output ? fs.createWriteStream(flags.output, { mode: 0o600 }) : undefined;
        const out: NodeJS.WritableStream = file ?? process.stdout;
        for await (const h of rempart.store.hashes()) {
          const line = `${JSON.stringify({ id: h.ref, algorithm: h.algorithm, value: bytesToHex(h.bytes), quality: h.quality, createdAt: h.createdAt })}\n`;
          if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
        }
        if (file) await new Promise<void>((resolve, reject) => file.end(() => resolve()).on('error', reject));
      }),
    );

  withDataDir(program.command('import'))
    .description('register the hashes of a JSON-lines file ({"algorithm","value","quality"?} per line) as one new case')
    .argument('<file>', 'JSON-lines file, or - for stdin')
    .action(async (file: string, flags: { dataDir?: string }) => {
      const hashes = await readJsonLines(file);
      const rempart = await Rempart.open(configFromFlags(flags));
      try {
        const created = await rempart.cases.importCase(hashes, OPERATOR);
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

async function readJsonLines(file: string): Promise<WireHash[]> {
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const hashes: WireHash[] = [];
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
    const { algorithm, value, quality } = parsed as Partial<WireHash>;
    if (typeof algorithm !== 'string' || typeof value !== 'string') {
      throw new Error(`${file}:${n}: each line needs "algorithm" and "value" strings`);
    }
    hashes.push(quality === undefined || quality === null ? { algorithm, value } : { algorithm, value, quality });
  }
  return hashes;
}
