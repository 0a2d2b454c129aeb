import { startServer } from "../server/index.js";
import { FlagError, usageOf } from "./flags.js";
import type { Command } from "./main.js";
import { parseServerConfig, serverFlags } from "./serverconfig.js";

const summary = "Run one control-plane replica: a KV member (or --datastore-endpoints) and the Kubernetes API server.";

/** Resolves on the first SIGINT or SIGTERM. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve(sig));
  });
}

export const serverCommand: Command = {
  summary,
  async run(args) {
    if (args.includes("--help") || args.includes("-h")) {
      console.log(usageOf("server", summary, serverFlags));
      return 0;
    }
    let config;
    try {
      config = parseServerConfig(args, process.env);
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      console.error(`raftplane server: ${err.message}\nRun 'raftplane server --help' for the flags.`);
      return 2;
    }
    let server;
    try {
      server = await startServer(config);
    } catch (err) {
      console.error(`raftplane server: cannot start: ${(err as Error).message}`);
      return 1;
    }
    await Promise.race([shutdownSignal(), server.removed]);
    await server.stop();
    return process.exitCode === 1 ? 1 : 0;
  },
};
