/**
 * The durable raft state of a member (log, hard state, snapshot, metadata) on LevelDB, restored
 * at open into the MemoryStorage that raft reads.
 */
export { Wal } from "./wal.js";
export { WalClosedError, WalCorruptError, WalError, WalRequestError } from "./errors.js";
export type { SaveOptions, WalOpenResult, WalOptions, WalSave } from "./wal.js";
export type { WalMetadata } from "./keys.js";
