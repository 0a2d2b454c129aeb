/**
 * The raft peer transport: GrpcTransport carries messages between members over plain TCP
 * message streams and snapshots over gRPC (proto/peer.proto); InMemoryTransport on an
 * InMemoryNetwork does the same in memory for tests, with partitions, loss, delay, reordering
 * and duplication.
 */
export { GrpcTransport, grpcTransportDefaults } from "./grpc.js";
export { InMemoryNetwork, InMemoryTransport, noFaults } from "./inmemory.js";
export { SnapshotStatus, emptyStats } from "./transport.js";
export { PeerRejectedError, PeerUrlError, StreamRefusedError, TransportStateError } from "./errors.js";
export { parsePeerUrl } from "./url.js";
export { Backoff } from "./backoff.js";
export { peerService, metadataKeys } from "./wire.js";
export { FrameKind, decodeStatus, encodeHello, frame, streamPreface } from "./stream-wire.js";
export { fetchMembers } from "./members.js";
export { removedFromCluster } from "./receiver.js";
export type { MembersResponse, PeerMember } from "./wire.js";
export type { GrpcTransportOptions, TransportEvent } from "./grpc.js";
export type { InMemoryFaults, InMemoryNetworkOptions, InMemoryNetworkStats } from "./inmemory.js";
export type { Transport, TransportHandler, TransportStats } from "./transport.js";
export type { PeerAddress } from "./url.js";
