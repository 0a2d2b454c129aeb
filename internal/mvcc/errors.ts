/**
 * Errors the store raises, in etcd's words so the API layer can pass the message through.
 * `grpcCode` is the gRPC status code etcd answers with (api/v3rpc/rpctypes). Messages of the
 * mvcc errors lack etcd's "etcdserver: " gRPC prefix, as etcd's own mvcc package does; use
 * `grpcMessage` on the wire.
 *
 * Every error is raised before the store changes: a failed request leaves no trace.
 */

export const GrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  FailedPrecondition: 9,
  OutOfRange: 11,
  DataLoss: 15,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** Base of every error of this package. */
export abstract class MvccError extends Error {
  abstract readonly grpcCode: GrpcCode;
  /** The message as etcd puts it in a gRPC status. */
  get grpcMessage(): string {
    return this.message.startsWith("etcdserver: ") ? this.message : `etcdserver: ${this.message}`;
  }
}

/** A read, watch or compaction asked for a revision that compaction already removed. */
export class CompactedError extends MvccError {
  override readonly name = "CompactedError";
  readonly grpcCode = GrpcCode.OutOfRange;
  constructor(
    /** The store's compact revision: the oldest revision still readable. */
    readonly compactRevision: number,
    readonly requestedRevision: number,
    options?: ErrorOptions,
  ) {
    super("mvcc: required revision has been compacted", options);
  }
}

/** A revision after the current one was asked for. */
export class FutureRevisionError extends MvccError {
  override readonly name = "FutureRevisionError";
  readonly grpcCode = GrpcCode.OutOfRange;
  constructor(
    readonly currentRevision: number,
    readonly requestedRevision: number,
    options?: ErrorOptions,
  ) {
    super("mvcc: required revision is a future revision", options);
  }
}

export class LeaseNotFoundError extends MvccError {
  override readonly name = "LeaseNotFoundError";
  readonly grpcCode = GrpcCode.NotFound;
  constructor(readonly leaseId: number, options?: ErrorOptions) {
    super("etcdserver: requested lease not found", options);
  }
}

export class LeaseExistsError extends MvccError {
  override readonly name = "LeaseExistsError";
  readonly grpcCode = GrpcCode.FailedPrecondition;
  constructor(readonly leaseId: number, options?: ErrorOptions) {
    super("etcdserver: lease already exists", options);
  }
}

export class LeaseTtlTooLargeError extends MvccError {
  override readonly name = "LeaseTtlTooLargeError";
  readonly grpcCode = GrpcCode.OutOfRange;
  constructor(readonly ttl: number, readonly maxTtl: number, options?: ErrorOptions) {
    super("etcdserver: too large lease TTL", options);
  }
}

/**
 * A put with ignoreValue or ignoreLease found no key to take them from. etcd also answers an
 * empty transaction operation (no request set) with this error.
 */
export class KeyNotFoundError extends MvccError {
  override readonly name = "KeyNotFoundError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(readonly key: Uint8Array | undefined, options?: ErrorOptions) {
    super("etcdserver: key not found", options);
  }
}

/** A request without a key. */
export class EmptyKeyError extends MvccError {
  override readonly name = "EmptyKeyError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(options?: ErrorOptions) {
    super("etcdserver: key is not provided", options);
  }
}

/** A put with ignoreValue also carried a value. */
export class ValueProvidedError extends MvccError {
  override readonly name = "ValueProvidedError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(options?: ErrorOptions) {
    super("etcdserver: value is provided", options);
  }
}

/** A put with ignoreLease also carried a lease. */
export class LeaseProvidedError extends MvccError {
  override readonly name = "LeaseProvidedError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(options?: ErrorOptions) {
    super("etcdserver: lease is provided", options);
  }
}

/** A transaction has more compares or operations in one list than allowed (etcd --max-txn-ops). */
export class TooManyOpsError extends MvccError {
  override readonly name = "TooManyOpsError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(readonly maxTxnOps: number, options?: ErrorOptions) {
    super("etcdserver: too many operations in txn request", options);
  }
}

/**
 * A transaction writes one key twice on one path: two puts, or a put inside a delete's range
 * (etcd's checkIntervals rule; deletes may overlap each other).
 */
export class DuplicateKeyError extends MvccError {
  override readonly name = "DuplicateKeyError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(readonly key: Uint8Array, options?: ErrorOptions) {
    super("etcdserver: duplicate key given in txn request", options);
  }
}

/**
 * A field outside what etcd's protobuf schema allows: an unknown enum value, or an int64 that
 * is not a safe integer (decode int64 as numbers and reject larger ones before proposing).
 */
export class InvalidArgumentError extends MvccError {
  override readonly name = "InvalidArgumentError";
  readonly grpcCode = GrpcCode.InvalidArgument;
  constructor(readonly field: string, detail: string, options?: ErrorOptions) {
    super(`etcdserver: invalid ${field}: ${detail}`, options);
  }
}

/** Why a snapshot was refused. */
export const SnapshotProblem = {
  Truncated: "truncated",
  BadMagic: "not an mvcc snapshot",
  UnsupportedVersion: "unsupported format version",
  ChecksumMismatch: "checksum mismatch",
  Inconsistent: "inconsistent contents",
} as const;
export type SnapshotProblem = (typeof SnapshotProblem)[keyof typeof SnapshotProblem];

/** restore() refused its input; the store is unchanged. */
export class SnapshotCorruptError extends MvccError {
  override readonly name = "SnapshotCorruptError";
  readonly grpcCode = GrpcCode.DataLoss;
  constructor(readonly problem: SnapshotProblem, readonly detail: string, options?: ErrorOptions) {
    super(`mvcc: snapshot is corrupt: ${problem}${detail ? `: ${detail}` : ""}`, options);
  }
}
