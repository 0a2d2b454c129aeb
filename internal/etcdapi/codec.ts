import { readFileSync } from "node:fs";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import protobuf from "protobufjs";

// 64-bit fields as JS numbers, as everywhere in raftplane (see internal/raftpb).
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const protoDir = new URL("../../../proto/", import.meta.url);
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => new URL(target, protoDir).pathname;
for (const file of ["kv.proto", "rpc.proto", "internal.proto"]) {
  protobuf.parse(readFileSync(new URL(file, protoDir), "utf8"), root, { keepCase: false });
}
root.resolveAll();

export function messageType(name: string): protobuf.Type {
  return root.lookupType(name);
}

/**
 * Decode into a plain object holding only the fields present on the wire (absent ones are
 * undefined, meaning the proto default), bytes as Buffers, a oneof's choice named by its field.
 * protobufjs's decoded messages carry defaults on a prototype instead, such as `[]` for bytes.
 */
export function decodePlain(type: protobuf.Type, bytes: Uint8Array): object {
  return type.toObject(type.decode(bytes), { oneofs: true });
}

/** A gRPC method whose messages are encoded and decoded by protobufjs. */
function method(
  service: protobuf.Service,
  m: protobuf.Method,
): MethodDefinition<object, object> {
  const req = root.lookupType(m.resolvedRequestType?.fullName ?? m.requestType);
  const res = root.lookupType(m.resolvedResponseType?.fullName ?? m.responseType);
  return {
    path: `/${service.fullName.replace(/^\./, "")}/${m.name}`,
    requestStream: m.requestStream === true,
    responseStream: m.responseStream === true,
    requestSerialize: (v: object) => Buffer.from(req.encode(v).finish()),
    requestDeserialize: (b: Buffer) => decodePlain(req, b),
    // Bytes pass through: a watch response encoded once is written to many streams.
    responseSerialize: (v: object) => (Buffer.isBuffer(v) ? v : Buffer.from(res.encode(v).finish())),
    responseDeserialize: (b: Buffer) => decodePlain(res, b),
    originalName: m.name,
  };
}

/** A grpc-js service definition for one service of proto/rpc.proto (e.g. "KV"). */
export function serviceDefinition(name: string): ServiceDefinition {
  const service = root.lookupService(`etcdserverpb.${name}`);
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const m of service.methodsArray) def[m.name] = method(service, m);
  return def;
}

const watchResponseType = root.lookupType("etcdserverpb.WatchResponse");

/** An etcdserverpb.WatchResponse as bytes, for the watch service's shared encodings. */
export function encodeWatchResponse(v: object): Buffer {
  return Buffer.from(watchResponseType.encode(v).finish());
}
