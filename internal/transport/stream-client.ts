import { connect } from "node:net";
import type { Socket } from "node:net";
import { status as grpcStatus } from "@grpc/grpc-js";
import { StreamRefusedError } from "./errors.js";
import { FrameKind, FrameReader, Keepalive, decodeStatus, encodeHello, frame, streamPreface } from "./stream-wire.js";
import type { PeerAddress } from "./url.js";
import { socketHost } from "./url.js";
import type { CallHeader } from "./wire.js";

export interface MessageStreamOptions {
  readonly address: PeerAddress;
  readonly header: CallHeader;
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  /** The peer accepted the stream. */
  accepted(): void;
  /** The stream ended for any reason but close(): refused, broken, or silent too long. Once. */
  failed(error: Error): void;
}

/** The longest Status frame a receiver sends; anything longer is not a raftplane peer. */
const maxStatusBytes = 64 * 1024;

/**
 * The sending end of one message stream (stream-wire.ts) to one peer: connects, says hello,
 * and writes frames. The peer only ever answers with Status and Keepalive frames.
 */
export class MessageStream {
  private readonly socket: Socket;
  private readonly keepalive: Keepalive;
  private done = false;

  constructor(private readonly o: MessageStreamOptions) {
    const { address, header } = o;
    this.socket = connect({ host: socketHost(address), port: address.port, noDelay: true });
    this.socket.write(Buffer.concat([streamPreface, frame(FrameKind.Hello, encodeHello(header))]));
    this.keepalive = new Keepalive(this.socket, o.keepaliveMs, o.keepaliveTimeoutMs, () =>
      this.fail(new Error(`member ${header.to} at ${address.url} sent nothing for ${o.keepaliveMs + o.keepaliveTimeoutMs} ms`)),
    );
    const reader = new FrameReader(maxStatusBytes, (kind, payload) => {
      if (kind !== FrameKind.Status) return;
      let status;
      try {
        status = decodeStatus(payload);
      } catch (err) {
        return this.fail(err as Error);
      }
      if (status.code !== 0) return this.fail(new StreamRefusedError(status.code, status.details));
      if (status.memberId !== header.to) {
        return this.fail(new StreamRefusedError(grpcStatus.FAILED_PRECONDITION, `member ${status.memberId} answered for member ${header.to}`));
      }
      o.accepted();
    });
    this.socket.on("data", (chunk: Buffer) => {
      this.keepalive.noteRead();
      const error = reader.push(chunk);
      if (error !== undefined) this.fail(new Error(`member ${header.to} at ${address.url}: ${error}`));
    });
    this.socket.on("error", (err) => this.fail(err));
    this.socket.on("close", () => this.fail(new Error(`member ${header.to} at ${address.url} closed the stream`)));
  }

  /** Write encoded frames; done runs once the connection has taken them. */
  write(frames: Buffer, done: () => void): void {
    this.keepalive.noteWrite();
    this.socket.write(frames, done);
  }

  /** End the stream without a report. */
  close(): void {
    this.done = true;
    this.keepalive.stop();
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.close();
    this.o.failed(error);
  }
}
