/** Subcommand definitions and dispatch for the raftplane binary. */
export { main } from "./main.js";
export type { Command } from "./main.js";
