/** Drives the raft core: timers, durable writes, peer messages, apply, proposals and reads. */
export { RaftNode } from "./node.js";
export { MemoryLog } from "./memory-log.js";
export type { DurableLog, PeerNetwork, RaftNodeOptions, StateMachine } from "./node.js";
export { LeaderTransferTimeoutError, NoLeaderError, NodeStoppedError, RequestTimeoutError } from "./errors.js";
