import type { Socket } from "node:net";
import { CodecError } from "../raftpb/index.js";
import type { CallHeader } from "./wire.js";
import { peerRoot } from "./wire.js";

/**
 * The message stream's wire format (proto/peer.proto describes it): raft messages travel on
 * plain TCP in length-prefixed frames rather than as gRPC messages, because grpc-js's per-call
 * and per-message work on both ends was most of a member's cost per replicated write. The
 * stream shares the peer port with the gRPC service; its first bytes tell them apart.
 */
export const streamPreface = Buffer.from("RAFTPLANE-PEER-STREAM/1\r\n");

export const FrameKind = {
  /** One encoded raft message (proto/raft.proto), sender to receiver. */
  Message: 1,
  /** The sender's StreamHello: first frame after the preface. */
  Hello: 2,
  /** The receiver's StreamStatus: accepted (code 0) at once, or why the stream ends. */
  Status: 3,
  /** Empty; either side sends one when it has written nothing for a keepalive period. */
  Keepalive: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Four bytes of payload length (big-endian), then one byte of kind. */
export const frameHeaderBytes = 5;

/** How a receiver answers a stream: gRPC status codes, for one vocabulary on the peer port. */
export interface StreamStatus {
  readonly code: number;
  readonly details: string;
  /** The receiver's member id; set when it accepts. */
  readonly memberId: number;
}

const HelloPb = peerRoot.lookupType("raftplane.peer.StreamHello");
const StatusPb = peerRoot.lookupType("raftplane.peer.StreamStatus");

export function encodeHello(h: CallHeader): Uint8Array {
  return HelloPb.encode({ clusterId: h.clusterId, from: h.from, to: h.to }).finish();
}

/** The hello's header, or what is wrong with it (the receiver refuses such a stream). */
export function decodeHello(bytes: Uint8Array): CallHeader | string {
  let h: { clusterId: string; from: number; to: number };
  try {
    h = HelloPb.toObject(HelloPb.decode(bytes), { defaults: true }) as typeof h;
  } catch (err) {
    return `malformed stream hello: ${(err as Error).message}`;
  }
  if (h.clusterId === "") return "missing cluster id in stream hello";
  if (!Number.isSafeInteger(h.from) || h.from <= 0) return "missing or invalid sender id in stream hello";
  if (!Number.isSafeInteger(h.to) || h.to <= 0) return "missing or invalid receiver id in stream hello";
  return { clusterId: h.clusterId, from: h.from, to: h.to };
}

export function encodeStatus(s: StreamStatus): Uint8Array {
  return StatusPb.encode(s).finish();
}

export function decodeStatus(bytes: Uint8Array): StreamStatus {
  try {
    return StatusPb.toObject(StatusPb.decode(bytes), { defaults: true }) as StreamStatus;
  } catch (err) {
    throw new CodecError(`malformed stream status: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Frames of one kind for every payload (`bytes` of them in all), in one buffer: one socket
 * write carries a turn's messages.
 */
export function frames(kind: FrameKind, payloads: readonly Uint8Array[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes + payloads.length * frameHeaderBytes);
  let at = 0;
  for (const p of payloads) {
    out.writeUInt32BE(p.length, at);
    out[at + 4] = kind;
    out.set(p, at + frameHeaderBytes);
    at += frameHeaderBytes + p.length;
  }
  return out;
}

/** One frame's bytes, header included. */
export function frame(kind: FrameKind, payload: Uint8Array): Buffer {
  return frames(kind, [payload], payload.length);
}

/**
 * Cuts a byte stream into frames. Payloads handed out are views into the bytes read and valid
 * only during the callback; keep a copy. A frame longer than the limit cannot be skipped safely
 * (it may be garbage, not a frame), so it ends the stream.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (kind: number, payload: Buffer) => void,
  ) {}

  /** Feed bytes; returns an error text when the stream must end. */
  push(chunk: Buffer): string | undefined {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let at = 0;
    while (buf.length - at >= frameHeaderBytes) {
      const length = buf.readUInt32BE(at);
      if (length > this.maxFrameBytes) return `a frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`;
      const end = at + frameHeaderBytes + length;
      if (end > buf.length) break;
      this.onFrame(buf[at + 4] as number, buf.subarray(at + frameHeaderBytes, end));
      at = end;
    }
    if (at < buf.length) this.pending = buf.subarray(at);
    return undefined;
  }
}

/**
 * Keepalive for a stream, as gRPC's HTTP/2 pings did: a peer that vanished without closing its
 * connection (a partition, SIGSTOP, power loss) would otherwise leave the stream hanging. Each
 * side sends a Keepalive frame when it has written nothing for intervalMs, and gives the stream
 * up when it has read nothing for intervalMs + timeoutMs.
 */
export class Keepalive {
  private wrote = true;
  private read = true;
  private lastReadAt = Date.now();
  private lastWriteAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly dead: () => void,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(intervalMs, timeoutMs) / 2));
    this.timer.unref();
  }

  noteRead(): void {
    this.read = true;
  }

  noteWrite(): void {
    this.wrote = true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    if (this.read) this.lastReadAt = now;
    if (this.wrote) this.lastWriteAt = now;
    this.read = this.wrote = false;
    if (now - this.lastReadAt >= this.intervalMs + this.timeoutMs) {
      this.stop();
      this.dead();
      return;
    }
    if (now - this.lastWriteAt >= this.intervalMs && !this.socket.destroyed) {
      this.socket.write(keepaliveFrame);
      this.lastWriteAt = now;
    }
  }
}

const keepaliveFrame = frame(FrameKind.Keepalive, new Uint8Array(0));
