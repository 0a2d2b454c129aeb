import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../raft/index.js";
import { encodeMessage } from "../raftpb/index.js";
import { Backoff } from "./backoff.js";
import { PeerRejectedError, StreamRefusedError } from "./errors.js";
import { MessageStream } from "./stream-client.js";
import { FrameKind, frameHeaderBytes, frames } from "./stream-wire.js";
import type { TransportStats } from "./transport.js";
import { SnapshotStatus } from "./transport.js";
import type { PeerAddress } from "./url.js";
import type { PingRequest, PingResponse, SnapshotAck } from "./wire.js";
import { encodeSnapshotChunk, headerMetadata, peerService } from "./wire.js";

/** Limits and timings a sender works with (see GrpcTransportOptions for their meaning). */
export interface SenderLimits {
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxBatchBytes: number;
  readonly maxInflightBytes: number;
  readonly maxMessageBytes: number;
  readonly snapshotChunkBytes: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly pingTimeoutMs: number;
}

/** What a sender needs from its transport. Reports are queued there and handed over later. */
export interface SenderContext {
  readonly id: number;
  readonly clusterId: string;
  readonly limits: SenderLimits;
  readonly stats: TransportStats;
  readonly random: () => number;
  running(): boolean;
  scheduleFlush(peer: PeerSender): void;
  reportUnreachable(peer: number): void;
  reportSnapshot(peer: number, status: SnapshotStatus): void;
  connected(peer: number, url: string): void;
  disconnected(peer: number, url: string, error: Error, retryInMs: number): void;
  snapshotDone(peer: number, bytes: number, seconds: number, error: Error | undefined): void;
  roundTrip(peer: number, seconds: number): void;
}

const PeerClient = grpc.makeGenericClientConstructor(peerService, "raftplane.peer.Peer");
const EMPTY = new Uint8Array(0);
const passBytes = (b: Buffer): Buffer => b;

/**
 * Everything this member sends to one peer: a queue flushed once per event-loop turn into one
 * long-lived message stream (stream-wire.ts), reconnected with backoff when it breaks, plus
 * Snapshot and Ping calls over gRPC. While the stream is down, messages are dropped (raft
 * resends what matters) and the peer is reported unreachable.
 */
export class PeerSender {
  private addresses: readonly PeerAddress[];
  private urlIndex = 0;
  /** For Ping calls; snapshots open their own. */
  private client: grpc.Client | undefined;
  private stream: MessageStream | undefined;
  /** The peer accepted the current stream. */
  private accepted = false;
  /** Whether the last event reported was "connected"; suppresses repeated "disconnected". */
  private up: boolean | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Bytes written to the stream that the connection has not taken yet: Node's buffer, bounded by us. */
  private inflightBytes = 0;
  private snapshotCall: grpc.ClientWritableStream<Buffer> | undefined;
  private snapshotClient: grpc.Client | undefined;
  private pingCall: grpc.ClientUnaryCall | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    addresses: readonly PeerAddress[],
    private readonly ctx: SenderContext,
  ) {
    this.addresses = addresses;
    this.backoff = new Backoff(ctx.limits.reconnectInitialMs, ctx.limits.reconnectMaxMs, ctx.random);
  }

  get url(): string {
    return this.address().url;
  }

  /** Whether the peer accepted our stream and it has not broken since. */
  get connected(): boolean {
    return this.accepted;
  }

  private address(): PeerAddress {
    return this.addresses[this.urlIndex % this.addresses.length] as PeerAddress;
  }

  /** Open the stream (the transport started, or the peer was added to a running one). */
  start(): void {
    if (this.stream === undefined && this.retryTimer === undefined && !this.closed) this.open();
    if (this.queue.length > 0) this.ctx.scheduleFlush(this);
  }

  /** Queue one message; drops it (and says so) when it cannot go out. */
  enqueue(m: Message): void {
    const { stats, limits } = this.ctx;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(m);
    } catch {
      stats.droppedUnsendable++;
      return;
    }
    if (bytes.length > limits.maxMessageBytes) {
      stats.droppedUnsendable++;
      this.ctx.reportUnreachable(this.id);
      return;
    }
    if (this.retryTimer !== undefined) {
      stats.droppedUnreachable++;
      this.ctx.reportUnreachable(this.id);
      return;
    }
    if (this.queue.length >= limits.maxQueuedMessages || this.queuedBytes + bytes.length > limits.maxQueuedBytes) {
      // Dropping the newest keeps what is queued in order; raft notices the gap and resends.
      stats.droppedQueueFull++;
      this.ctx.reportUnreachable(this.id);
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.ctx.scheduleFlush(this);
  }

  /** Write what is queued, in batches, as far as the in-flight byte budget allows. */
  flush(): void {
    if (this.closed || !this.ctx.running()) return;
    if (this.stream === undefined) {
      if (this.retryTimer !== undefined) return this.dropQueue();
      this.open();
    }
    const stream = this.stream;
    if (stream === undefined) return;
    const { limits, stats } = this.ctx;
    while (this.queue.length > 0 && this.inflightBytes < limits.maxInflightBytes) {
      let n = 0;
      let size = 0;
      for (const b of this.queue) {
        if (n > 0 && size + b.length + frameHeaderBytes > limits.maxBatchBytes) break;
        size += b.length + frameHeaderBytes;
        n++;
      }
      const messages = n === this.queue.length ? this.queue : this.queue.slice(0, n);
      this.queue = n === this.queue.length ? [] : this.queue.slice(n);
      let payloadBytes = 0;
      for (const b of messages) payloadBytes += b.length;
      this.queuedBytes -= payloadBytes;
      const batch = frames(FrameKind.Message, messages, payloadBytes);
      const len = batch.length;
      this.inflightBytes += len;
      stats.batchesSent++;
      stats.messagesSent += n;
      stats.bytesSent += len;
      stream.write(batch, () => {
        if (stream !== this.stream) return;
        this.inflightBytes -= len;
        if (this.queue.length > 0) this.ctx.scheduleFlush(this);
      });
    }
  }

  private dropQueue(): void {
    if (this.queue.length === 0) return;
    this.ctx.stats.droppedUnreachable += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.ctx.reportUnreachable(this.id);
  }

  private newClient(): grpc.Client {
    const { limits } = this.ctx;
    return new PeerClient(this.address().target, grpc.credentials.createInsecure(), {
      "grpc.max_send_message_length": limits.maxMessageBytes,
      "grpc.max_receive_message_length": limits.maxMessageBytes,
      // gRPC's own reconnect backoff would otherwise grow to two minutes and keep a restarted
      // peer unreachable long after ours retries.
      "grpc.initial_reconnect_backoff_ms": limits.reconnectInitialMs,
      "grpc.max_reconnect_backoff_ms": limits.reconnectMaxMs,
      // Keepalive pings find a peer that vanished without closing its connection (power loss,
      // a network partition, SIGSTOP); without them a snapshot call would hang, not fail.
      "grpc.keepalive_time_ms": limits.keepaliveMs,
      "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
      "grpc.keepalive_permit_without_calls": 1,
      // A private connection per peer client, not one shared through gRPC's global pool, so
      // closing it closes the connection and snapshot traffic has its own.
      "grpc.use_local_subchannel_pool": 1,
      "grpc.enable_retries": 0,
    });
  }

  private callMetadata(): grpc.Metadata {
    return headerMetadata(new grpc.Metadata(), { clusterId: this.ctx.clusterId, from: this.ctx.id, to: this.id });
  }

  private open(): void {
    this.accepted = false;
    this.inflightBytes = 0;
    const { limits } = this.ctx;
    const stream: MessageStream = new MessageStream({
      address: this.address(),
      header: { clusterId: this.ctx.clusterId, from: this.ctx.id, to: this.id },
      keepaliveMs: limits.keepaliveMs,
      keepaliveTimeoutMs: limits.keepaliveTimeoutMs,
      accepted: () => {
        if (stream !== this.stream) return;
        this.accepted = true;
        this.backoff.reset();
        if (this.up !== true) {
          this.up = true;
          this.ctx.connected(this.id, this.url);
        }
      },
      failed: (err) => {
        if (stream === this.stream) this.failed(err);
      },
    });
    this.stream = stream;
  }

  private failed(err: Error): void {
    const url = this.url;
    this.stream = undefined;
    this.accepted = false;
    this.dropQueue();
    // Whatever was in flight on the broken stream may be lost.
    this.ctx.reportUnreachable(this.id);
    let error: Error = err;
    if (err instanceof StreamRefusedError && err.code === grpc.status.FAILED_PRECONDITION) {
      // Another cluster, or another member at this URL: a quick retry will not fix that.
      this.backoff.exhaust();
      error = new PeerRejectedError(this.id, url, `member ${this.id} at ${url} refused us: ${err.details}`, { cause: err });
    }
    if (this.addresses.length > 1) {
      // Try the peer's next URL: the one that failed may be the problem.
      this.urlIndex++;
      this.closeClient();
    }
    const delay = this.backoff.next();
    if (this.up !== false) {
      this.up = false;
      this.ctx.disconnected(this.id, url, error, delay);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed || !this.ctx.running()) return;
      this.open();
      if (this.queue.length > 0) this.ctx.scheduleFlush(this);
    }, delay);
  }

  private closeClient(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** Reconnect to new URLs; what is queued stays queued. */
  setAddresses(addresses: readonly PeerAddress[]): void {
    const same =
      addresses.length === this.addresses.length && addresses.every((a, i) => a.url === this.addresses[i]?.url);
    if (same) return;
    this.addresses = addresses;
    this.urlIndex = 0;
    this.cancelStream();
    this.closeClient();
    this.backoff.reset();
    this.up = undefined;
    if (this.ctx.running()) this.start();
  }

  private cancelStream(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.accepted = false;
    stream?.close();
  }

  /** Stop for good: cancel calls and timers, close connections, forget the queue. */
  close(): void {
    this.closed = true;
    this.cancelStream();
    this.closeClient();
    this.snapshotCall?.cancel();
    this.snapshotClient?.close();
    this.pingCall?.cancel();
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Send a MsgSnap over its own call and connection (so many MiB of snapshot do not hold up
   * heartbeats), in chunks; report "finish" once the peer replies that raft has it. One at a
   * time per peer: raft waits for the report before sending another, so a second one while the
   * first is in flight is refused as failed.
   */
  sendSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === undefined || this.closed) return;
    if (this.snapshotCall !== undefined || !this.ctx.running()) {
      this.ctx.stats.snapshotsFailed++;
      this.ctx.reportSnapshot(this.id, SnapshotStatus.Failure);
      return;
    }
    let header: Uint8Array;
    try {
      header = encodeMessage({ ...m, snapshot: { metadata: snap.metadata, data: EMPTY } });
    } catch {
      this.ctx.stats.droppedUnsendable++;
      this.ctx.reportSnapshot(this.id, SnapshotStatus.Failure);
      return;
    }
    void this.streamSnapshot(header, snap.data);
  }

  private async streamSnapshot(header: Uint8Array, data: Uint8Array): Promise<void> {
    const { stats, limits } = this.ctx;
    const started = process.hrtime.bigint();
    const client = this.newClient();
    let settle: (err: Error | undefined) => void = () => {};
    const done = new Promise<Error | undefined>((resolve) => (settle = resolve));
    const call = client.makeClientStreamRequest<Buffer, SnapshotAck>(
      peerService.snapshot.path,
      passBytes,
      peerService.snapshot.responseDeserialize,
      this.callMetadata(),
      {},
      (err) => settle(err ?? undefined),
    );
    call.on("error", () => {});
    this.snapshotCall = call;
    this.snapshotClient = client;
    let ended = false;
    void done.then(() => (ended = true));
    const write = async (chunk: Buffer): Promise<void> => {
      stats.bytesSent += chunk.length;
      if (!call.write(chunk)) await Promise.race([once(call, "drain").catch(() => {}), done]);
    };
    await write(encodeSnapshotChunk({ message: header, dataSize: data.length }));
    for (let off = 0; off < data.length && !ended; off += limits.snapshotChunkBytes) {
      await write(encodeSnapshotChunk({ data: data.subarray(off, off + limits.snapshotChunkBytes) }));
    }
    call.end();
    const err = await done;
    client.close();
    if (this.snapshotCall === call) {
      this.snapshotCall = undefined;
      this.snapshotClient = undefined;
    }
    if (this.closed) return;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.ctx.snapshotDone(this.id, data.length, seconds, err);
    if (err === undefined) {
      stats.snapshotsSent++;
      stats.messagesSent++;
      this.ctx.reportSnapshot(this.id, SnapshotStatus.Finish);
    } else {
      stats.snapshotsFailed++;
      this.ctx.reportSnapshot(this.id, SnapshotStatus.Failure);
      this.ctx.reportUnreachable(this.id);
    }
  }

  /** Time one Ping call, when the stream is up and no ping is outstanding. */
  ping(): void {
    if (!this.accepted || this.pingCall !== undefined) return;
    this.client ??= this.newClient();
    const started = process.hrtime.bigint();
    this.pingCall = this.client.makeUnaryRequest<PingRequest, PingResponse>(
      peerService.ping.path,
      peerService.ping.requestSerialize,
      peerService.ping.responseDeserialize,
      {},
      this.callMetadata(),
      { deadline: Date.now() + this.ctx.limits.pingTimeoutMs },
      (err) => {
        this.pingCall = undefined;
        if (err === null && !this.closed) this.ctx.roundTrip(this.id, Number(process.hrtime.bigint() - started) / 1e9);
      },
    );
  }
}
