import { startKvMember } from "../kv/index.js";
import { FlagError, usageOf } from "./flags.js";
import { kvFlags, parseKvConfig } from "./kvconfig.js";
import type { Command } from "./main.js";

const summary = "Run one member of the replicated KV store: an etcd v3 drop-in, started with etcd's flags.";

/** Resolves on the first SIGINT or SIGTERM. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve(sig));
  });
}

export const kvCommand: Command = {
  summary,
  async run(args) {
    if (args.includes("--help") || args.includes("-h")) {
      console.log(usageOf("kv", summary, kvFlags));
      return 0;
    }
    let config;
    try {
      config = parseKvConfig(args, process.env);
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      console.error(`raftplane kv: ${err.message}\nRun 'raftplane kv --help' for the flags.`);
      return 2;
    }
    let member;
    try {
      member = await startKvMember(config);
    } catch (err) {
      console.error(`raftplane kv: cannot start: ${(err as Error).message}`);
      return 1;
    }
    // etcd stops a member removed from its cluster; so do we.
    await Promise.race([shutdownSignal(), member.removed]);
    await member.stop();
    return process.exitCode === 1 ? 1 : 0;
  },
};
