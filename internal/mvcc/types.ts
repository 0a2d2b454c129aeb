/**
 * The values that cross the store's boundary, shaped like etcd's protobuf messages
 * (api/mvccpb/kv.proto, api/etcdserverpb/rpc.proto) with camelCase names, so an API layer can
 * pass decoded requests through after validation. int64 fields are JavaScript numbers and must
 * be safe integers; bytes are Uint8Array. Every request field is optional: missing means the
 * proto3 default (empty bytes, 0, false, first enum value).
 *
 * Values handed out (KeyValue, Event, responses) are shared with the store's history and with
 * other readers: treat them as immutable.
 */

/** One version of a key. A deleted key's record has createRevision 0 (etcd's tombstone). */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the last creation of this key (its generation's first put). */
  readonly createRevision: number;
  /** Revision of the last modification. */
  readonly modRevision: number;
  /** Puts since the key was (re)created: 1 for a new key; reset by deletion. */
  readonly version: number;
  readonly value: Uint8Array;
  /** Lease the key is attached to, 0 for none. */
  readonly lease: number;
}

export type EventType = "PUT" | "DELETE";

export interface Event {
  readonly type: EventType;
  /**
   * PUT: the key-value after the put. DELETE: only key and modRevision (the deleting revision)
   * are set, the rest is zero, as etcd sends it.
   */
  readonly kv: KeyValue;
  /** The key-value before this event, when the watcher asked for it and it existed. */
  readonly prevKv?: KeyValue;
}

export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];

export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;
export type SortTarget = (typeof SortTarget)[keyof typeof SortTarget];

export interface RangeRequest {
  readonly key?: Uint8Array;
  /**
   * Empty: the single key `key`. "\0": every key ≥ key. Otherwise the half-open [key, rangeEnd);
   * a prefix p is [p, prefixEnd(p)).
   */
  readonly rangeEnd?: Uint8Array;
  /** At most this many kvs; 0 (or negative) means no limit. */
  readonly limit?: number;
  /** Read the store as of this revision; 0 (or negative) means the current one. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Read path choice (linearizable or local); meaningless to the state machine. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** Filters on the returned kvs (0 = off). They apply after counting: `count` ignores them. */
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

/** Arrays in responses are fresh per call (the caller may reorder or map them); the key-values in them are shared. */
export interface RangeResponse {
  readonly kvs: KeyValue[];
  /** More kvs matched than `limit` let through. */
  readonly more: boolean;
  /** Keys in the range at the read revision, regardless of limit and revision filters. */
  readonly count: number;
  /** The store revision when the read was served (etcd's header revision), not the read revision. */
  readonly revision: number;
}

export interface PutRequest {
  readonly key?: Uint8Array;
  readonly value?: Uint8Array;
  /** Lease to attach; 0 detaches the key from any lease. */
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value; the key must exist and `value` must be empty. */
  readonly ignoreValue?: boolean;
  /** Keep the current lease; the key must exist and `lease` must be 0. */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly prevKv?: KeyValue;
  /** Store revision after the put. */
  readonly revision: number;
}

export interface DeleteRangeRequest {
  readonly key?: Uint8Array;
  /** As in RangeRequest. */
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly deleted: number;
  /** The deleted key-values, when asked for. */
  readonly prevKvs: KeyValue[];
  /** Store revision after the delete: unchanged when nothing was deleted. */
  readonly revision: number;
}

export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;
export type CompareTarget = (typeof CompareTarget)[keyof typeof CompareTarget];

/**
 * A guard of a transaction. It holds for a range when it holds for every key in it; over no key
 * at all it compares a zero key-value (version, revisions and lease 0), except that a VALUE
 * compare over no key always fails. Only the field named by `target` is read.
 */
export interface Compare {
  readonly result?: CompareResult;
  readonly target?: CompareTarget;
  readonly key?: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: number;
}

/** One operation of a transaction: exactly one field is set (protobuf's oneof). */
export type RequestOp =
  | { readonly requestRange: RangeRequest }
  | { readonly requestPut: PutRequest }
  | { readonly requestDeleteRange: DeleteRangeRequest }
  | { readonly requestTxn: TxnRequest };

export type ResponseOp =
  | { readonly responseRange: RangeResponse }
  | { readonly responsePut: PutResponse }
  | { readonly responseDeleteRange: DeleteRangeResponse }
  | { readonly responseTxn: TxnResponse };

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  /** Every compare held, so `success` ran; otherwise `failure` ran. */
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
  /** Store revision after the transaction (for a nested one: after its last operation). */
  readonly revision: number;
}

export interface CompactResponse {
  /** The store revision (compaction does not create one). */
  readonly revision: number;
}

export interface HashKVResponse {
  /** CRC-32C of every kept revision ≤ `revision` and of the compact revision. */
  readonly hash: number;
  /** The revision hashed up to (the current one when 0 was asked). */
  readonly revision: number;
  readonly compactRevision: number;
}

export interface LeaseGrantResponse {
  readonly id: number;
  /** Granted TTL in seconds (raised to the store's minimum TTL). */
  readonly ttl: number;
  readonly revision: number;
}

export interface LeaseRevokeResponse {
  /** Store revision after the keys of the lease were deleted (unchanged if it had none). */
  readonly revision: number;
}

/** What the store knows of a lease; wall-clock expiry is kept by the lessor outside. */
export interface LeaseInfo {
  readonly id: number;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /**
   * Remaining TTL recorded by the last checkpoint, in seconds; 0 when none is recorded (the
   * lease then has its full TTL after a leader change).
   */
  readonly remainingTtl: number;
  /** Attached keys in ascending order, when asked for. */
  readonly keys?: readonly Uint8Array[];
}

export interface LeaseCheckpoint {
  readonly id: number;
  readonly remainingTtl: number;
}

export const WatchFilter = { NOPUT: 0, NODELETE: 1 } as const;
export type WatchFilter = (typeof WatchFilter)[keyof typeof WatchFilter];

/** One delivery to a watcher. */
export interface WatchResponse {
  readonly watchId: number;
  /**
   * Every event of every revision ≤ this one that the watcher matches has been delivered
   * (this response included). For a progress notification: the current store revision.
   */
  readonly revision: number;
  /** Ordered by revision, then by position in the writing transaction; never splits a revision. */
  readonly events: readonly Event[];
  /** Set, with `canceled`, when the watcher needs history that compaction removed. */
  readonly compactRevision: number;
  /** The watcher is finished: nothing more will come. */
  readonly canceled: boolean;
  /** A response without events that only reports `revision`. */
  readonly progressNotify: boolean;
}
