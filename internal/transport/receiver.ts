import type { Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../raft/index.js";
import { decodeMessage } from "../raftpb/index.js";
import { FrameKind, FrameReader, Keepalive, decodeHello, encodeStatus, frame } from "./stream-wire.js";
import type { StreamStatus } from "./stream-wire.js";
import type { TransportStats } from "./transport.js";
import type {
  CallHeader,
  Decoded,
  MembersRequest,
  MembersResponse,
  PingRequest,
  PingResponse,
  SnapshotAck,
  SnapshotChunk,
} from "./wire.js";
import { metadataKeys, readHeader } from "./wire.js";

/** What the receiving side needs from its transport. */
export interface ReceiverContext {
  readonly id: number;
  readonly clusterId: string;
  readonly maxSnapshotBytes: number;
  /** Largest message frame accepted on a message stream; a longer one ends the stream. */
  readonly maxMessageBytes: number;
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly stats: TransportStats;
  /** Hand a message to the handler (no-op once stopping). */
  deliver(m: Message): void;
  rejected(from: number | undefined, reason: string): void;
  snapshotReceived(from: number, bytes: number): void;
  /** The member list for joining members, when the driver provides one. */
  members(): MembersResponse | undefined;
  /** Whether a member id was removed from the cluster: its calls are refused, telling it so. */
  isRemoved(id: number): boolean;
}

/** In the refusal a removed member gets, as etcd words it; the member stops when it sees it. */
export const removedFromCluster = "has been permanently removed from the cluster";

type ErrorStatus = { code: grpc.status; details: string };

/**
 * The receiving half of the peer protocols: message streams (stream-wire.ts) and the gRPC Peer
 * service. It checks each stream's or call's header, decodes what peers send, and never lets a
 * peer's bad input end anything but that peer's own stream or call.
 */
export class Receiver {
  /** Ends each open stream and call; used on stop so shutdown does not wait on peers' long-lived streams. */
  private readonly open = new Set<(s: ErrorStatus) => void>();
  private stopping = false;

  constructor(private readonly ctx: ReceiverContext) {}

  /** The grpc-js implementation object for peerService. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      snapshot: (call: grpc.ServerReadableStream<Decoded<SnapshotChunk>, SnapshotAck>, cb: grpc.sendUnaryData<SnapshotAck>) =>
        this.snapshot(call, cb),
      ping: (call: grpc.ServerUnaryCall<PingRequest, PingResponse>, cb: grpc.sendUnaryData<PingResponse>) => this.ping(call, cb),
      members: (_call: grpc.ServerUnaryCall<MembersRequest, MembersResponse>, cb: grpc.sendUnaryData<MembersResponse>) =>
        this.members(cb),
    };
  }

  /** End every open stream and call with UNAVAILABLE; later ones are refused the same way. */
  stop(): void {
    this.stopping = true;
    const status = { code: grpc.status.UNAVAILABLE, details: `member ${this.ctx.id} is stopping` };
    for (const end of [...this.open]) end(status);
    this.open.clear();
  }

  /** The caller's header when it may talk to us, else the status refusing it. */
  private admit(h: CallHeader | string): CallHeader | ErrorStatus {
    const { id, clusterId, stats } = this.ctx;
    if (this.stopping) return { code: grpc.status.UNAVAILABLE, details: `member ${id} is stopping` };
    let reason: string | undefined;
    if (typeof h === "string") reason = `${h}: not a raftplane peer`;
    else if (h.clusterId !== clusterId) {
      reason = `cluster ID mismatch: member ${id} is in cluster ${clusterId}, sender ${h.from} is in cluster ${h.clusterId}`;
    } else if (h.to !== id) {
      reason = `member ID mismatch: sender ${h.from} meant member ${h.to}, this is member ${id} (stale peer URL?)`;
    } else if (this.ctx.isRemoved(h.from)) {
      reason = `member ${h.from} ${removedFromCluster}`;
    }
    if (reason === undefined) return h as CallHeader;
    stats.rejectedStreams++;
    this.ctx.rejected(typeof h === "string" ? undefined : h.from, reason);
    return { code: grpc.status.FAILED_PRECONDITION, details: reason };
  }

  /** Tell the sender at once that its stream is accepted (client streams reply only at the end). */
  private accept(call: grpc.ServerReadableStream<unknown, unknown>): void {
    const md = new grpc.Metadata();
    md.set(metadataKeys.memberId, String(this.ctx.id));
    call.sendMetadata(md);
  }

  /** Register a call's ender; returns an ender that runs once and unregisters. */
  private track<T>(cb: grpc.sendUnaryData<T>, reply: () => T): (s?: ErrorStatus) => void {
    let done = false;
    const end = (s?: ErrorStatus): void => {
      if (done) return;
      done = true;
      this.open.delete(end);
      if (s === undefined) cb(null, reply());
      else cb(s);
    };
    this.open.add(end);
    return end;
  }

  /**
   * Serve a message stream on a connection whose preface has been read: the hello, then
   * message frames delivered in order. A frame that does not decode, or a message for another
   * member, is dropped and counted; the stream goes on.
   */
  stream(socket: Socket): void {
    const { stats, id } = this.ctx;
    let header: CallHeader | undefined;
    const end = (s: ErrorStatus): void => {
      this.open.delete(end);
      keepalive.stop();
      if (socket.destroyed) return;
      const status: StreamStatus = { code: s.code, details: s.details, memberId: id };
      socket.end(frame(FrameKind.Status, encodeStatus(status)));
      // A sender that does not close its side is cut off.
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const keepalive = new Keepalive(socket, this.ctx.keepaliveMs, this.ctx.keepaliveTimeoutMs, () => socket.destroy());
    this.open.add(end);
    const onMessage = (payload: Buffer): void => {
      let m: Message;
      try {
        // A copy per message: decoded entries point into the bytes they came from, and they
        // may live long in the raft log; they should hold this message, not a whole read.
        m = decodeMessage(Buffer.from(payload));
      } catch {
        stats.malformedReceived++;
        return;
      }
      if (m.to !== id) {
        stats.misaddressedReceived++;
        return;
      }
      this.ctx.deliver(m);
    };
    const reader = new FrameReader(this.ctx.maxMessageBytes, (kind, payload) => {
      if (!this.open.has(end)) return;
      if (header === undefined) {
        if (kind !== FrameKind.Hello) {
          stats.rejectedStreams++;
          return end({ code: grpc.status.INVALID_ARGUMENT, details: "a message stream must begin with a hello" });
        }
        const admitted = this.admit(decodeHello(payload));
        if ("code" in admitted) return end(admitted);
        header = admitted;
        socket.write(frame(FrameKind.Status, encodeStatus({ code: grpc.status.OK, details: "", memberId: id })));
        keepalive.noteWrite();
        return;
      }
      if (kind === FrameKind.Message) onMessage(payload);
      else if (kind !== FrameKind.Keepalive) stats.malformedReceived++;
    });
    socket.on("data", (chunk: Buffer) => {
      keepalive.noteRead();
      if (this.stopping || !this.open.has(end)) return;
      // A stream opened before its sender was removed: end it now, telling the sender why.
      if (header !== undefined && this.ctx.isRemoved(header.from)) {
        return end({ code: grpc.status.FAILED_PRECONDITION, details: `member ${header.from} ${removedFromCluster}` });
      }
      stats.batchesReceived++;
      stats.bytesReceived += chunk.length;
      const error = reader.push(chunk);
      if (error !== undefined) {
        stats.malformedReceived++;
        end({ code: grpc.status.RESOURCE_EXHAUSTED, details: error });
      }
    });
    const closed = (): void => {
      keepalive.stop();
      this.open.delete(end);
    };
    socket.on("close", closed);
    socket.on("error", () => socket.destroy());
    socket.on("end", () => socket.end());
  }

  private snapshot(call: grpc.ServerReadableStream<Decoded<SnapshotChunk>, SnapshotAck>, cb: grpc.sendUnaryData<SnapshotAck>): void {
    const h = this.admit(readHeader(call.metadata));
    if ("code" in h) return cb(h);
    this.accept(call);
    const { stats, id, maxSnapshotBytes } = this.ctx;
    const end = this.track(cb, () => ({}));
    let header: Message | undefined;
    let data: Buffer | undefined;
    let received = 0;
    let failed = false;
    const fail = (code: grpc.status, details: string): void => {
      failed = true;
      if (code === grpc.status.FAILED_PRECONDITION) stats.misaddressedReceived++;
      else stats.malformedReceived++;
      end({ code, details: `snapshot from member ${h.from}: ${details}` });
    };
    call.on("data", (chunk: Decoded<SnapshotChunk>) => {
      if (failed || this.stopping) return;
      stats.bytesReceived += chunk.size;
      if (!chunk.ok) return fail(grpc.status.INVALID_ARGUMENT, chunk.error.message);
      const c = chunk.value;
      if (header === undefined) {
        if (c.message.length === 0) return fail(grpc.status.INVALID_ARGUMENT, "the first chunk carries no message");
        try {
          header = decodeMessage(Buffer.from(c.message));
        } catch (err) {
          return fail(grpc.status.INVALID_ARGUMENT, (err as Error).message);
        }
        if (header.type !== "MsgSnap" || header.snapshot === undefined) {
          return fail(grpc.status.INVALID_ARGUMENT, `the first chunk carries ${header.type}, not MsgSnap`);
        }
        if (header.to !== id) {
          return fail(grpc.status.FAILED_PRECONDITION, `addressed to member ${header.to}, this is member ${id}`);
        }
        if (!Number.isSafeInteger(c.dataSize) || c.dataSize < 0 || c.dataSize > maxSnapshotBytes) {
          return fail(grpc.status.RESOURCE_EXHAUSTED, `${c.dataSize} bytes exceed the limit of ${maxSnapshotBytes}`);
        }
        data = Buffer.allocUnsafe(c.dataSize);
      } else if (c.message.length > 0) {
        return fail(grpc.status.INVALID_ARGUMENT, "a second message in one snapshot call");
      }
      const buf = data as Buffer;
      if (received + c.data.length > buf.length) {
        return fail(grpc.status.INVALID_ARGUMENT, `more data than the announced ${buf.length} bytes`);
      }
      buf.set(c.data, received);
      received += c.data.length;
    });
    call.on("end", () => {
      if (failed || this.stopping) return;
      if (header?.snapshot === undefined || data === undefined) {
        return fail(grpc.status.INVALID_ARGUMENT, "ended before its first chunk");
      }
      if (received !== data.length) {
        return fail(grpc.status.INVALID_ARGUMENT, `ended after ${received} of ${data.length} bytes`);
      }
      stats.snapshotsReceived++;
      this.ctx.snapshotReceived(h.from, data.length);
      // Reply only after raft has the snapshot: the sender reports "finish" on this reply.
      this.ctx.deliver({ ...header, snapshot: { metadata: header.snapshot.metadata, data } });
      end();
    });
    call.on("error", () => end({ code: grpc.status.CANCELLED, details: "stream broke" }));
    call.on("cancelled", () => end({ code: grpc.status.CANCELLED, details: "cancelled by sender" }));
  }

  private ping(call: grpc.ServerUnaryCall<PingRequest, PingResponse>, cb: grpc.sendUnaryData<PingResponse>): void {
    const h = this.admit(readHeader(call.metadata));
    if ("code" in h) return cb(h);
    cb(null, { memberId: this.ctx.id });
  }

  /** Needs no metadata: a joining member does not know the cluster id yet. */
  private members(cb: grpc.sendUnaryData<MembersResponse>): void {
    const list = this.stopping ? undefined : this.ctx.members();
    if (list === undefined) return cb({ code: grpc.status.UNAVAILABLE, details: `member ${this.ctx.id} has no member list to give` });
    cb(null, list);
  }
}
