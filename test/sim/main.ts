import { UsageError, parseSimArgs, runSeeds, usage } from "./cli.js";
import type { SimCommand } from "./cli.js";

let cmd: SimCommand;
try {
  cmd = parseSimArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`sim: ${err.message}\n${usage}\n`);
  process.exit(2);
}

const tty = process.stderr.isTTY;
const violations = runSeeds(cmd, {
  out: (line) => process.stdout.write(`${line}\n`),
  // On a terminal the progress line rewrites itself; in a log a line every ten seconds will do.
  progress: (line, final) => process.stderr.write(tty ? `\r\x1b[K${line}${final ? "\n" : ""}` : `${line}\n`),
  progressEvery: tty ? 500 : 10_000,
});
process.exitCode = violations > 0 ? 1 : 0;
