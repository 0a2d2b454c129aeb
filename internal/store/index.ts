/**
 * The API server's view of storage: get, list at a revision with limit and continuation,
 * create/update/delete as compare-and-swap on mod_revision, and watch from a revision, over
 * any etcd v3 endpoint list (raftplane's members or etcd itself) or in memory.
 */
export { Store } from "./store.js";
export type {
  DeleteResult,
  GetResult,
  ListOptions,
  ListResult,
  StoreEvent,
  StoreWatch,
  StoreWatchHandlers,
  StoredObject,
  SwapResult,
} from "./store.js";
export { Compactor, compactRevisionKey } from "./compactor.js";
export type { CompactorOptions } from "./compactor.js";
export { GrpcBackend, retriable as retriableEtcdError, translate as storeErrorOf } from "./grpc-backend.js";
export type { EtcdStatus, GrpcBackendOptions } from "./grpc-backend.js";
export { MemoryBackend, watchMvcc } from "./memory-backend.js";
export type {
  BackendEvent,
  BackendKeyValue,
  BackendRange,
  BackendTxn,
  BackendWatch,
  BackendWatchHandlers,
  BackendWatchRequest,
  KvBackend,
} from "./backend.js";
export { FutureRevisionError, RequestTooLargeError, RevisionCompactedError, StoreRequestError, StoreUnavailableError } from "./errors.js";
