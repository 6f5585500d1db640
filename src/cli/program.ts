import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerDatabaseCommands } from './commands/database.js';
import { registerEvalCommands, registerProfileEvalCommand } from './commands/eval.js';
import { registerEvalVideoCommand } from './commands/eval-video.js';
import { registerFeedbackCommands } from './commands/feedback.js';
import { registerReviewCommands } from './commands/review.js';
import { registerHashCommand } from './commands/hash.js';
import { registerPlatformCommands } from './commands/platform.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerOperatorCommands } from './commands/operator.js';
import { registerWebhookCommands } from './commands/webhooks.js';

/** `rempart`: thin commands over the same modules the HTTP API uses. */
export function buildProgram(): Command {
  const program = new Command('rempart')
    .description('Perceptual-hash matching engine that stops re-uploads of intimate images without receiving them')
    .showHelpAfterError();
  registerServeCommand(program);
  registerHashCommand(program);
  registerPlatformCommands(program);
  registerTransferCommands(program);
  registerWebhookCommands(program);
  registerOperatorCommands(program);
  registerAuditCommand(program);
  registerDatabaseCommands(program);
  registerFeedbackCommands(program);
  registerReviewCommands(program);
  registerEvalCommands(program);
  registerProfileEvalCommand(program);
  registerEvalVideoCommand(program);
  return program;
}
