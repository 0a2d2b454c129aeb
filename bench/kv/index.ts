/**
 * What other benchmarks (bench/api) share with the KV harness: the cluster launcher, the
 * measured window and its threads, the latency histogram, the result shapes and the tables, and
 * the watch-fanout workload itself (bench/api runs it against etcd as the API watch's peer).
 * Not main.ts: importing this runs no benchmark.
 */
export { apiStoreTimeoutMs, BenchCluster, etcdBinary, Targets } from "./cluster.js";
export type { ClusterMember, ClusterOptions, Target } from "./cluster.js";
export { bucketCount, bucketOf, mergeInto, newHistogram, quantileMicros } from "./histogram.js";
export { nonEmptyBuckets, summarize } from "./results.js";
export { flagParsers, machineInfo, machineLine, printProblems, runTargets, writeRunFile } from "./run.js";
export type { Machine, MemberExit, RunFailure } from "./run.js";
export type { LatencySummary, MemberMemory, OperationResult, TargetResult, WatchResult } from "./results.js";
export { cpuRows, formatTable, latencyRows } from "./table.js";
export type { Row } from "./table.js";
export { measureWatchFanout } from "./watch-fanout.js";
export type { WatchFanoutOptions } from "./watch-fanout.js";
export { stampBytes, stampNow } from "./watch-wire.js";
export { memoryResult } from "./watchers.js";
export type { MemorySnapshot } from "./watchers.js";
export { busyPercentSince, isMeasuring, machineBusySeconds, messageOf, newControl, runWindow, sleep, ThreadGroup } from "./window.js";
export type { WindowUsage } from "./window.js";
