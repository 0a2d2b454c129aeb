import { readFileSync } from "node:fs";
import { ctlCommand } from "./ctl.js";
import { kvCommand } from "./kv.js";
import { serverCommand } from "./server.js";
import { upCommand } from "./up.js";

/** A subcommand: its one-line summary, and its run function (returns the exit code). */
export interface Command {
  readonly summary: string;
  readonly run: (args: readonly string[]) => Promise<number>;
}

/**
 * The subcommands that exist today. Each later one (kv, server, agent, ctl, up) registers here
 * with its flag definitions kept apart from its run function.
 */
const commands: Record<string, Command> = { up: upCommand, kv: kvCommand, server: serverCommand, ctl: ctlCommand };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const lines = ["Usage: raftplane <command> [flags]", "", "Commands:"];
  const names = Object.keys(commands);
  for (const name of names) lines.push(`  ${name.padEnd(10)} ${commands[name]?.summary ?? ""}`);
  lines.push("", "Flags:", "  -h, --help     show this help", "  -v, --version  print the version");
  return lines.join("\n");
}

/** Entry point of the raftplane binary. Returns the process exit code. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    out(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === "-v" || first === "--version" || first === "version") {
    out(`raftplane ${version()}`);
    return 0;
  }
  const cmd = commands[first];
  if (cmd === undefined) {
    console.error(`raftplane: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}
