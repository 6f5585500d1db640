#!/usr/bin/env node
import './threadpool.js';
import { ConfigError } from '../config.js';
import { buildProgram } from './program.js';

// `rempart export | head`: the reader went away; stop quietly, as Unix tools do. Any
// other failure to write the output (a full disk) is one line, not a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`rempart: cannot write the output: ${error.message}\n`);
  process.exit(error.code === 'EPIPE' ? 0 : 2);
});
process.stderr.on('error', () => process.exit(2));

/**
 * Every error a command raises ends here as one line on stderr (no stack trace) and
 * exit code 2: a mistake by the operator (a bad flag, a name already taken, a missing
 * file) is told in words. Commander's own usage errors exit with 1 before this.
 */
buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rempart: ${error instanceof ConfigError ? 'configuration: ' : ''}${message}\n`);
    process.exit(2);
  });
