/**
 * The etcd v3 operations the store is built on, implemented over gRPC (any etcd v3 endpoint,
 * raftplane's members or etcd itself) and in memory (internal/mvcc, for tests). Requests use
 * internal/mvcc's shapes, which are etcd's protobuf messages; responses are normalised here,
 * because gRPC leaves out fields at their defaults.
 */
import type { RangeRequest, TxnRequest } from "../mvcc/index.js";

/** One version of a key. */
export interface BackendKeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

export interface BackendRange {
  readonly kvs: readonly BackendKeyValue[];
  readonly more: boolean;
  readonly count: number;
  /** The store revision the read was served at. */
  readonly revision: number;
}

export interface BackendTxn {
  readonly succeeded: boolean;
  /** The store revision after the transaction. */
  readonly revision: number;
  /** The results of the transaction's range operations, in order (others are left out). */
  readonly ranges: readonly BackendRange[];
}

export interface BackendEvent {
  readonly type: "PUT" | "DELETE";
  /** PUT: the new version. DELETE: key and modRevision (the deleting revision) only. */
  readonly kv: BackendKeyValue;
  readonly prevKv?: BackendKeyValue;
}

export interface BackendWatchHandlers {
  /** Events of one or more whole revisions, in order; `revision` is the last one covered. */
  onEvents(events: readonly BackendEvent[], revision: number): void;
  /** Everything up to `revision` has been delivered (an answer to requestProgress). */
  onProgress(revision: number): void;
  /** The start revision was compacted: the watch is over. */
  onCompacted(compactRevision: number): void;
  /** The stream broke (endpoint down, cancelled by the server): the watch is over. */
  onError(err: Error): void;
}

export interface BackendWatch {
  /** Ask for an onProgress once everything written so far was delivered. */
  requestProgress(): void;
  cancel(): void;
}

export interface BackendWatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  /** The first revision to deliver. */
  readonly startRevision: number;
}

export interface KvBackend {
  /** Where requests go, for messages. */
  readonly endpoints: readonly string[];
  range(req: RangeRequest): Promise<BackendRange>;
  /** A transaction; `idempotent` says a failed attempt may be retried on another endpoint. */
  txn(req: TxnRequest, idempotent: boolean): Promise<BackendTxn>;
  compact(revision: number): Promise<void>;
  watch(req: BackendWatchRequest, handlers: BackendWatchHandlers): BackendWatch;
  close(): Promise<void>;
}
