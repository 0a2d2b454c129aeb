/**
 * The chaos suite's cluster: raftplane KV members in containers (testcontainers, from the
 * locally built image) and the faults injected into them. See README.md beside this file.
 */
export { ChaosCluster, ChaosMember, MemberState, sweepLeftovers } from "./cluster.js";
export type { ChaosClusterOptions, Replacement } from "./cluster.js";
export { startDelayProxy } from "./delay-proxy.js";
export type { DelayProxy, DelayProxyOptions, DelaySettings } from "./delay-proxy.js";
export { composeCommand, dockerEngine, dockerOrSkip, ensureImage, haveDocker, requireDocker, run, runOk, waitFor } from "./docker.js";
export type { RunOptions, RunResult } from "./docker.js";
export { bridgeFaults, isolateFaults, lossFaults, mergeFaults, oneWayFaults, partitionFaults } from "./netfilter.js";
export type { LinkFault } from "./netfilter.js";
