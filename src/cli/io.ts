/**
 * What a command needs from the outside world, so commands run the same in tests as in a shell:
 * output streams, whether a person is at a terminal, and how to ask them a yes/no question.
 */
import { createInterface } from 'node:readline/promises';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stdin and stdout are a terminal, i.e. someone can answer a question. */
  readonly interactive: boolean;
  confirm(question: string): Promise<boolean>;
  /** Working directory relative paths are resolved against. */
  readonly cwd: string;
}

export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    cwd: process.cwd(),
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = await rl.question(`${question} `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}
