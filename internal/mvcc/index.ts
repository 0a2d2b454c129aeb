/**
 * The key-value state machine behind the etcd v3 API: revisions, key histories, range, put,
 * delete-range, transactions, compaction, leases, the watch hub, hashes and snapshots.
 * Deterministic: replicas applying the same requests in the same order hold the same state and
 * the same hashKV. Semantics and error messages follow etcd v3.
 */
export { MvccStore } from "./store.js";
export { WatchHub } from "./watch.js";
export { crc32c } from "./crc32c.js";
export { EMPTY_BYTES, compareBytes, prefixEnd } from "./bytes.js";
export { MAX_LEASE_TTL } from "./lease.js";
export { SNAPSHOT_FORMAT_VERSION } from "./snapshot.js";
export {
  DEFAULT_MAX_TXN_OPS,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from "./validate.js";
export {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  GrpcCode,
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseProvidedError,
  LeaseTtlTooLargeError,
  MvccError,
  SnapshotCorruptError,
  SnapshotProblem,
  TooManyOpsError,
  ValueProvidedError,
} from "./errors.js";
export { CompareResult, CompareTarget, SortOrder, SortTarget, WatchFilter } from "./types.js";
export type { StoreOptions } from "./store.js";
export type { Watcher, WatchHubOptions, WatchHubStats, WatchOptions } from "./watch.js";
export type {
  CompactResponse,
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  EventType,
  HashKVResponse,
  KeyValue,
  LeaseCheckpoint,
  LeaseGrantResponse,
  LeaseInfo,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchResponse,
} from "./types.js";
