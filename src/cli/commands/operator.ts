import type { Command } from 'commander';
import { withDataDir } from '../options.js';
import { OPERATOR, withRempart } from './platform.js';

/** Reads the password from standard input (first line): never from a flag, which `ps` and shell history would keep. */
async function readPassword(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.split('\n')[0]!.replace(/\r$/, '');
  if (password === '') throw new Error('give the password on standard input, e.g. `read -s P && printf "%s\\n" "$P" | rempart operator add NAME`');
  return password;
}

/** `rempart operator add|list|password|reset-totp|disable`: the analysts who use the console. */
export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description("manage the analysts' console accounts (password + TOTP)");

  withDataDir(operator.command('add'))
    .description('create an account; the password comes on standard input; prints the TOTP secret once')
    .argument('<name>', 'login name (lowercase)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { dataDir?: string; json?: boolean }) => {
      const password = await readPassword();
      await withRempart(flags, async (rempart) => {
        const created = await rempart.operators.add(name, password, OPERATOR);
        if (flags.json) process.stdout.write(`${JSON.stringify(created)}\n`);
        else {
          process.stdout.write(`operator:    ${created.name}\ntotp secret: ${created.totpSecret}\ntotp uri:    ${created.totpUri}\n`);
          process.stderr.write('Add the secret (or the URI, as a QR code) to the analyst’s authenticator app now: it is not shown again.\n');
        }
      });
    });

  withDataDir(operator.command('list'))
    .description('list accounts (never their secrets)')
    .action(async (flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        for (const o of await rempart.operators.list()) process.stdout.write(`${JSON.stringify(o)}\n`);
      }),
    );

  withDataDir(operator.command('password'))
    .description("set an account's password (standard input); ends its sessions")
    .argument('<name>')
    .action(async (name: string, flags: { dataDir?: string }) => {
      const password = await readPassword();
      await withRempart(flags, async (rempart) => {
        await rempart.operators.setPassword(name, password, OPERATOR);
        process.stdout.write(`password changed for ${name}\n`);
      });
    });

  withDataDir(operator.command('reset-totp'))
    .description('give an account a new TOTP secret (lost phone); ends its sessions')
    .argument('<name>')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        const { totpSecret, totpUri } = await rempart.operators.resetTotp(name, OPERATOR);
        process.stdout.write(`totp secret: ${totpSecret}\ntotp uri:    ${totpUri}\n`);
      }),
    );

  withDataDir(operator.command('disable'))
    .description('disable an account at once (its sessions end)')
    .argument('<name>')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        await rempart.operators.disable(name, OPERATOR);
        process.stdout.write(`disabled ${name}\n`);
      }),
    );
}
