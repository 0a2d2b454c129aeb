import { readFileSync } from "node:fs";
import type { Metadata, MethodDefinition, ServerMethodDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";
// raftpb turns off protobufjs' Long support, so the uint64 fields below decode as numbers too.
import { CodecError } from "../raftpb/index.js";

const protoPath = new URL("../../../proto/peer.proto", import.meta.url);
/** proto/peer.proto, parsed once. */
export const peerRoot = protobuf.parse(readFileSync(protoPath, "utf8"), { keepCase: false }).root;

const SnapshotChunkPb = peerRoot.lookupType("raftplane.peer.SnapshotChunk");
const PingResponsePb = peerRoot.lookupType("raftplane.peer.PingResponse");
const MembersResponsePb = peerRoot.lookupType("raftplane.peer.MembersResponse");

/** Request metadata every call carries (see proto/peer.proto). */
export const metadataKeys = {
  clusterId: "raftplane-cluster-id",
  from: "raftplane-from",
  to: "raftplane-to",
  /** Response header: the receiver's member id, sent as soon as it accepts a stream. */
  memberId: "raftplane-member-id",
} as const;

export interface SnapshotChunk {
  /** First chunk: the encoded MsgSnap without its snapshot data; empty afterwards. */
  message: Uint8Array;
  dataSize: number;
  data: Uint8Array;
}

// SnapshotAck and PingRequest have no fields. Their values are empty objects, not null: grpc-js
// sends no message at all for null, and the other side then fails the call.
export type SnapshotAck = Record<string, never>;
export type PingRequest = Record<string, never>;

export interface PingResponse {
  memberId: number;
}

/** A cluster member as the Members call reports it (the shape of etcdctl member list). */
export interface PeerMember {
  readonly id: number;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

export interface MembersResponse {
  readonly clusterId: number;
  readonly members: readonly PeerMember[];
}

export type MembersRequest = Record<string, never>;

function encodeMembersResponse(r: MembersResponse): Buffer {
  const members = r.members.map((m) => ({
    id: m.id,
    name: m.name,
    peerUrls: m.peerURLs,
    clientUrls: m.clientURLs,
    isLearner: m.isLearner,
  }));
  return MembersResponsePb.encode({ clusterId: r.clusterId, members }).finish() as Buffer;
}

function decodeMembersResponse(bytes: Buffer): MembersResponse {
  const w = MembersResponsePb.toObject(MembersResponsePb.decode(bytes), { defaults: true }) as {
    clusterId: number;
    members: { id: number; name: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean }[];
  };
  return {
    clusterId: w.clusterId,
    members: w.members.map((m) => ({
      id: m.id,
      name: m.name,
      peerURLs: m.peerUrls,
      clientURLs: m.clientUrls,
      isLearner: m.isLearner,
    })),
  };
}

/** What a receiver got for one gRPC message: a value, or bytes that do not decode. */
export type Decoded<T> = ({ ok: true; value: T } | { ok: false; error: Error }) & { size: number };

// Deserializers never throw: gRPC would end the whole stream with INTERNAL on a throw, and a
// peer's bad bytes must cost only themselves.
function decodeSafely<T>(type: protobuf.Type, bytes: Uint8Array, what: string): Decoded<T> {
  try {
    return { ok: true, value: type.decode(bytes) as unknown as T, size: bytes.length };
  } catch (err) {
    const error = new CodecError(`malformed ${what}: ${(err as Error).message}`, { cause: err });
    return { ok: false, error, size: bytes.length };
  }
}

export function decodeSnapshotChunk(bytes: Buffer): Decoded<SnapshotChunk> {
  return decodeSafely(SnapshotChunkPb, bytes, "snapshot chunk");
}

export function encodeSnapshotChunk(chunk: Partial<SnapshotChunk>): Buffer {
  return SnapshotChunkPb.encode(chunk).finish() as Buffer;
}

function encodePingResponse(r: PingResponse): Buffer {
  return PingResponsePb.encode(r).finish() as Buffer;
}

function decodePingResponse(bytes: Buffer): PingResponse {
  return { memberId: (PingResponsePb.decode(bytes) as unknown as PingResponse).memberId };
}

const EMPTY = Buffer.alloc(0);
const passBytes = (b: Buffer): Buffer => b;

/** Sender metadata of a call, as the receiver reads it. */
export interface CallHeader {
  clusterId: string;
  from: number;
  to: number;
}

export function headerMetadata(md: Metadata, h: CallHeader): Metadata {
  md.set(metadataKeys.clusterId, h.clusterId);
  md.set(metadataKeys.from, String(h.from));
  md.set(metadataKeys.to, String(h.to));
  return md;
}

/** The call header, or what is missing from it. */
export function readHeader(md: Metadata): CallHeader | string {
  const first = (key: string): string | undefined => {
    const v = md.get(key)[0];
    return typeof v === "string" ? v : undefined;
  };
  const clusterId = first(metadataKeys.clusterId);
  const from = Number(first(metadataKeys.from));
  const to = Number(first(metadataKeys.to));
  if (clusterId === undefined) return `missing ${metadataKeys.clusterId} metadata`;
  if (!Number.isSafeInteger(from) || from <= 0) return `missing or invalid ${metadataKeys.from} metadata`;
  if (!Number.isSafeInteger(to) || to <= 0) return `missing or invalid ${metadataKeys.to} metadata`;
  return { clusterId, from, to };
}

/** A method whose client sends Req and whose server reads ServerReq: the two sides differ here. */
type Method<Req, Res, ServerReq> = Omit<MethodDefinition<Req, Res>, "requestDeserialize"> &
  Pick<ServerMethodDefinition<ServerReq, Res>, "requestDeserialize">;

/**
 * The Peer service for grpc-js, with our own (de)serializers: no proto-loader, and requests
 * decode to Decoded values so malformed input reaches the handler instead of failing the call.
 */
export const peerService = {
  snapshot: {
    path: "/raftplane.peer.Peer/Snapshot",
    originalName: "Snapshot",
    requestStream: true,
    responseStream: false,
    requestSerialize: passBytes,
    requestDeserialize: decodeSnapshotChunk,
    responseSerialize: (): Buffer => EMPTY,
    responseDeserialize: (): SnapshotAck => ({}),
  } satisfies Method<Buffer, SnapshotAck, Decoded<SnapshotChunk>>,
  ping: {
    path: "/raftplane.peer.Peer/Ping",
    originalName: "Ping",
    requestStream: false,
    responseStream: false,
    requestSerialize: (): Buffer => EMPTY,
    requestDeserialize: (): PingRequest => ({}),
    responseSerialize: encodePingResponse,
    responseDeserialize: decodePingResponse,
  } satisfies Method<PingRequest, PingResponse, PingRequest>,
  members: {
    path: "/raftplane.peer.Peer/Members",
    originalName: "Members",
    requestStream: false,
    responseStream: false,
    requestSerialize: (): Buffer => EMPTY,
    requestDeserialize: (): MembersRequest => ({}),
    responseSerialize: encodeMembersResponse,
    responseDeserialize: decodeMembersResponse,
  } satisfies Method<MembersRequest, MembersResponse, MembersRequest>,
} as const;
