/**
 * What can go wrong talking to the store, as the API server needs to tell it apart: the store
 * cannot answer now (503), a revision is no longer kept (410), a revision is not reached yet
 * (504), a request is too large (413), or anything else the store refused (500).
 */

/** No endpoint answered within the request's deadline, or none has a leader. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(
    message: string,
    /** The endpoints tried, in order. */
    readonly endpoints: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A read or watch asked for a revision that compaction removed. */
export class RevisionCompactedError extends Error {
  override readonly name = "RevisionCompactedError";
  constructor(
    /** The oldest revision still kept, when the store said (0 otherwise). */
    readonly compactRevision: number,
    readonly requestedRevision: number,
    options?: ErrorOptions,
  ) {
    super(`revision ${requestedRevision} has been compacted${compactRevision > 0 ? ` (oldest kept: ${compactRevision})` : ""}`, options);
  }
}

/** A read asked for a revision the store has not reached. */
export class FutureRevisionError extends Error {
  override readonly name = "FutureRevisionError";
  constructor(readonly requestedRevision: number, options?: ErrorOptions) {
    super(`revision ${requestedRevision} is a future revision`, options);
  }
}

/** The store refused a value as too large (etcd's --max-request-bytes). */
export class RequestTooLargeError extends Error {
  override readonly name = "RequestTooLargeError";
}

/** Any other refusal, with the store's gRPC code and message (etcd's words). */
export class StoreRequestError extends Error {
  override readonly name = "StoreRequestError";
  constructor(
    message: string,
    readonly grpcCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
