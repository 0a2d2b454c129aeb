import type { ServiceError } from "@grpc/grpc-js";
import { Metadata, status } from "@grpc/grpc-js";
import { MvccError } from "../mvcc/index.js";
import { LeaderTransferTimeoutError, NoLeaderError, NodeStoppedError, RequestTimeoutError } from "../raftnode/index.js";
import { EtcdError } from "./errors.js";

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/**
 * The gRPC status for an error, with etcd's code and exact message: clientv3 and etcdctl
 * recognise errors by these strings.
 */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof MvccError) return serviceError(err.grpcCode as status, err.grpcMessage);
  if (err instanceof EtcdError) return serviceError(err.grpcCode, err.grpcMessage);
  if (err instanceof NoLeaderError) return serviceError(status.UNAVAILABLE, err.message);
  if (err instanceof RequestTimeoutError || err instanceof LeaderTransferTimeoutError) {
    return serviceError(status.UNAVAILABLE, err.message);
  }
  if (err instanceof NodeStoppedError) return serviceError(status.UNAVAILABLE, err.message);
  const message = err instanceof Error ? err.message : String(err);
  return serviceError(status.INTERNAL, message.startsWith("etcdserver: ") ? message : `etcdserver: ${message}`);
}
