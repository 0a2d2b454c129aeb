import { status } from "@grpc/grpc-js";

/**
 * An error the etcd API answers with: etcd's gRPC code and message (api/v3rpc/rpctypes), so
 * clients that match on them (etcdctl, clientv3) behave as with etcd.
 */
export class EtcdError extends Error {
  override readonly name = "EtcdError";
  constructor(
    readonly grpcCode: status,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get grpcMessage(): string {
    return this.message;
  }
}

export const errors = {
  noSpace: () => new EtcdError(status.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"),
  requestTooLarge: () => new EtcdError(status.INVALID_ARGUMENT, "etcdserver: request is too large"),
  memberNotFound: () => new EtcdError(status.NOT_FOUND, "etcdserver: member not found"),
  memberExists: () => new EtcdError(status.FAILED_PRECONDITION, "etcdserver: member ID already exist"),
  peerUrlExists: () => new EtcdError(status.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"),
  memberNotLearner: () => new EtcdError(status.FAILED_PRECONDITION, "etcdserver: can only promote a learner member"),
  learnerNotReady: () =>
    new EtcdError(status.FAILED_PRECONDITION, "etcdserver: can only promote a learner member which is in sync with leader"),
  memberBadUrls: () => new EtcdError(status.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"),
  unhealthy: () =>
    new EtcdError(status.UNAVAILABLE, "etcdserver: unhealthy cluster"),
  notLeader: () => new EtcdError(status.UNAVAILABLE, "etcdserver: not leader"),
  badLeaderTransferee: () => new EtcdError(status.FAILED_PRECONDITION, "etcdserver: bad leader transferee"),
  leaseTtlTooLarge: () => new EtcdError(status.OUT_OF_RANGE, "etcdserver: too large lease TTL"),
};
