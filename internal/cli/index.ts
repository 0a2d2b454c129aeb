/** Subcommand definitions and dispatch for the raftplane binary. */
export { main } from "./main.js";
export type { Command } from "./main.js";
export { FlagError } from "./flags.js";
export { kvFlags, parseKvConfig, parseInitialCluster } from "./kvconfig.js";
export { apiFlags, parseServerConfig, serverFlags } from "./serverconfig.js";
