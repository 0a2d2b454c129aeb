import { Metadata } from "@grpc/grpc-js";
import type { ServerDuplexStream } from "@grpc/grpc-js";

/**
 * Where a server-streaming call's encoded messages go. Messages are queued with push and leave
 * together on flush, so a watch stream that owes a hundred watchers the same revision makes one
 * write of a hundred gRPC messages instead of a hundred writes.
 */
export interface FrameSink {
  /**
   * Queue one encoded message (protobuf bytes, without gRPC's 5-byte prefix): prefix, when
   * given, then body. Protobuf fields may come in any order, so a message shared by many
   * streams can be sent with each stream's own fields in front.
   */
  push(body: Buffer, prefix?: Buffer): void;
  /** Bytes queued since the last flush. */
  readonly pendingBytes: number;
  /** Write what is queued. False when the transport wants the writer to wait for onDrain. */
  flush(): boolean;
}

const EMPTY = Buffer.alloc(0);

/** gRPC's length prefix: a compressed flag (0: raftplane never compresses) and a uint32 BE length. */
const prefixBytes = 5;

/** The parts of Node's Http2Stream that rawSink uses. */
interface Http2Writable {
  readonly destroyed: boolean;
  readonly closed: boolean;
  readonly writableEnded: boolean;
  write(chunk: Buffer): boolean;
  on(event: "drain", listener: () => void): unknown;
}

function isHttp2Writable(v: unknown): v is Http2Writable {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s["write"] === "function" && typeof s["respond"] === "function" && typeof s["on"] === "function";
}

/**
 * A sink that writes framed messages straight to the call's HTTP/2 stream, all queued messages
 * in one write. grpc-js frames and writes each message on its own, through two Node streams;
 * for a watch fan-out of a thousand messages per revision that per-message cost was most of the
 * delivery time (see bench/results/notes.md). The stream is grpc-js's internal
 * BaseServerInterceptingCall.stream, reached only when the call has no interceptors; response
 * headers are sent first through the call's public sendMetadata, and the trailers that end the
 * call still come from grpc-js, after everything written here. Undefined when that internal
 * shape is not there (another grpc-js version): then callSink is used.
 *
 * Every message of the call must go through the same sink, or grpc-js's own buffered writes and
 * these could be reordered.
 */
export function rawSink<Req, Res>(call: ServerDuplexStream<Req, Res>, onDrain: () => void): FrameSink | undefined {
  const inner = (call as unknown as { call?: { stream?: unknown } }).call;
  const stream = inner?.stream;
  if (!isHttp2Writable(stream)) return undefined;
  stream.on("drain", onDrain);
  // flat pairs: prefix (possibly empty), body
  let queue: Buffer[] = [];
  let bytes = 0;
  let headersSent = false;
  return {
    push(body, prefix = EMPTY) {
      queue.push(prefix, body);
      bytes += prefixBytes + prefix.length + body.length;
    },
    get pendingBytes() {
      return bytes;
    },
    flush() {
      if (queue.length === 0) return true;
      // One copy into one buffer, not a corked write per piece: a watch message is a few hundred
      // bytes, and a Writable.write costs far more than copying them.
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = 0; i < queue.length; i += 2) {
        const prefix = queue[i] as Buffer;
        const body = queue[i + 1] as Buffer;
        out[at] = 0;
        out.writeUInt32BE(prefix.length + body.length, at + 1);
        at += prefixBytes;
        at += prefix.copy(out, at);
        at += body.copy(out, at);
      }
      queue = [];
      bytes = 0;
      // A call the client canceled or the server ended takes nothing more; its close event
      // reaches the owner through the call.
      if (stream.destroyed || stream.closed || stream.writableEnded) return true;
      if (!headersSent) {
        call.sendMetadata(new Metadata());
        headersSent = true;
      }
      return stream.write(out);
    },
  };
}

/** A sink through grpc-js's public write, one message at a time; onDrain on the call's drain. */
export function callSink<Req>(call: ServerDuplexStream<Req, Buffer>, onDrain: () => void): FrameSink {
  call.on("drain", onDrain);
  let queue: Buffer[] = [];
  let bytes = 0;
  return {
    push(body, prefix) {
      const message = prefix === undefined || prefix.length === 0 ? body : Buffer.concat([prefix, body]);
      queue.push(message);
      bytes += prefixBytes + message.length;
    },
    get pendingBytes() {
      return bytes;
    },
    flush() {
      let ok = true;
      for (const m of queue) ok = call.write(m) && ok;
      queue = [];
      bytes = 0;
      return ok;
    },
  };
}
