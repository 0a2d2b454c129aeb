/** Protocol Buffers encoding (proto/raft.proto) of raft messages and durable raft state. */
export {
  CodecError,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from "./codec.js";
