/** Errors the driver hands to proposers and readers, in etcd's words. */

/** No leader is known, so the request could not be proposed. */
export class NoLeaderError extends Error {
  override readonly name = "NoLeaderError";
  constructor(options?: ErrorOptions) {
    super("etcdserver: no leader", options);
  }
}

/** The request was not applied within the request timeout (it may still be, later). */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(options?: ErrorOptions) {
    super("etcdserver: request timed out", options);
  }
}

export class LeaderTransferTimeoutError extends Error {
  override readonly name = "LeaderTransferTimeoutError";
  constructor(options?: ErrorOptions) {
    super("etcdserver: request timed out, leader transfer took too long", options);
  }
}

/** The member is shutting down. */
export class NodeStoppedError extends Error {
  override readonly name = "NodeStoppedError";
  constructor(options?: ErrorOptions) {
    super("etcdserver: server stopped", options);
  }
}
