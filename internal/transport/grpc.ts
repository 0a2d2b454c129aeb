import type { Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { Message } from "../raft/index.js";
import { PeerUrlError, TransportStateError } from "./errors.js";
import type { PeerListener } from "./peer-listener.js";
import { listenPeerPort } from "./peer-listener.js";
import type { SenderContext, SenderLimits } from "./peer-sender.js";
import { PeerSender } from "./peer-sender.js";
import { Receiver } from "./receiver.js";
import type { Transport, TransportHandler, TransportStats } from "./transport.js";
import { SnapshotStatus, emptyStats } from "./transport.js";
import type { PeerAddress } from "./url.js";
import { parsePeerUrl, socketHost } from "./url.js";
import type { MembersResponse } from "./wire.js";
import { peerService } from "./wire.js";

const MiB = 1024 * 1024;

/** Things worth a log line; the transport itself never logs. */
export type TransportEvent =
  | { type: "peer-connected"; peer: number; url: string }
  /** The stream to a peer broke or could not be opened; retried after retryInMs. */
  | { type: "peer-disconnected"; peer: number; url: string; error: Error; retryInMs: number }
  /** An incoming call was refused (another cluster, another member, or not a raftplane peer). */
  | { type: "stream-rejected"; from: number | undefined; reason: string }
  | { type: "snapshot-sent"; peer: number; bytes: number; seconds: number }
  | { type: "snapshot-failed"; peer: number; bytes: number; error: Error }
  | { type: "snapshot-received"; peer: number; bytes: number };

export interface GrpcTransportOptions {
  /** This member's id. */
  id: number;
  /** The cluster's id (etcd prints it in hex); calls from members of another cluster are refused. */
  clusterId: string;
  /** URLs to listen on, as etcd's --listen-peer-urls; port 0 picks a free port (see listenUrls()). */
  listenUrls: readonly string[];
  /** Messages queued per peer before new ones are dropped. etcd's stream buffer holds 4096. */
  maxQueuedMessages?: number;
  /** Encoded bytes queued per peer before new messages are dropped. */
  maxQueuedBytes?: number;
  /** A stream write is cut when it would exceed this; a larger single message goes alone. */
  maxBatchBytes?: number;
  /** Bytes written to a peer's stream and not yet taken by the connection; beyond it, messages queue. */
  maxInflightBytes?: number;
  /** Largest raft message either way (a stream frame, or a gRPC message); larger ones are dropped as unsendable. */
  maxMessageBytes?: number;
  /** Snapshot data per chunk of a Snapshot call. */
  snapshotChunkBytes?: number;
  /** Largest snapshot a receiver accepts; it holds the whole of it in memory. */
  maxSnapshotBytes?: number;
  /** First reconnect delay after a stream breaks; it doubles per failure up to reconnectMaxMs. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /**
   * Keepalive period of message streams and gRPC connections: a stream that has carried
   * nothing for keepaliveMs + keepaliveTimeoutMs (a gRPC connection whose ping goes unanswered
   * for keepaliveTimeoutMs) is dropped.
   */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  /** Round-trip probe period per connected peer; 0 turns probing off. */
  pingIntervalMs?: number;
  /** Randomness for backoff jitter. */
  random?: () => number;
  /** A peer's round-trip time, for etcd_network_peer_round_trip_time_seconds. */
  onRoundTrip?: (peer: number, seconds: number) => void;
  onEvent?: (event: TransportEvent) => void;
  /** The cluster's member list, served to members joining with --initial-cluster-state existing. */
  membersProvider?: () => MembersResponse;
  /** Ids removed from the cluster: their calls are refused with a reason naming the removal. */
  isRemoved?: (id: number) => boolean;
}

type Tunables = Omit<
  GrpcTransportOptions,
  "id" | "clusterId" | "listenUrls" | "onRoundTrip" | "onEvent" | "membersProvider" | "isRemoved"
>;

export const grpcTransportDefaults: Required<Tunables> = {
  maxQueuedMessages: 4096,
  maxQueuedBytes: 64 * MiB,
  maxBatchBytes: 4 * MiB,
  maxInflightBytes: 16 * MiB,
  maxMessageBytes: 64 * MiB,
  snapshotChunkBytes: MiB,
  maxSnapshotBytes: 2048 * MiB,
  reconnectInitialMs: 100,
  reconnectMaxMs: 2000,
  keepaliveMs: 5000,
  keepaliveTimeoutMs: 5000,
  pingIntervalMs: 5000,
  random: Math.random,
};

/** How long stop() lets the server finish gracefully before it cuts connections. */
const shutdownGraceMs = 1000;

type State = "new" | "starting" | "running" | "stopped";

/**
 * The raft peer transport: on this member's peer URLs, message streams (plain TCP frames) and
 * a gRPC server for snapshots, pings and the member list; per peer, one long-lived message
 * stream that carries each event-loop turn's messages in one write (see proto/peer.proto and
 * PeerSender).
 */
export class GrpcTransport implements Transport {
  readonly id: number;
  readonly clusterId: string;
  private readonly options: Required<Tunables>;
  private readonly listen: readonly PeerAddress[];
  private readonly onRoundTrip: ((peer: number, seconds: number) => void) | undefined;
  private readonly onEvent: ((event: TransportEvent) => void) | undefined;
  private handler: TransportHandler | undefined;
  private state: State = "new";
  private server: grpc.Server | undefined;
  private listeners: PeerListener[] = [];
  private readonly receiver: Receiver;
  private bound: string[] = [];
  private readonly peers = new Map<number, PeerSender>();
  private readonly counters: TransportStats = emptyStats();
  // Work for the end of this event-loop turn: flushes, and reports for the handler (which must
  // never be called from inside send()).
  private readonly dirty = new Set<PeerSender>();
  private readonly unreachable = new Set<number>();
  private snapshotReports: [number, SnapshotStatus][] = [];
  private immediate: NodeJS.Immediate | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly senderContext: SenderContext;

  constructor(options: GrpcTransportOptions) {
    if (!Number.isSafeInteger(options.id) || options.id <= 0) throw new RangeError(`transport: invalid member id ${options.id}`);
    if (options.clusterId === "") throw new RangeError("transport: the cluster id must not be empty");
    if (options.listenUrls.length === 0) throw new RangeError("transport: at least one listen URL is required");
    this.id = options.id;
    this.clusterId = options.clusterId;
    this.listen = options.listenUrls.map((u) => parsePeerUrl(u, { listen: true }));
    this.onRoundTrip = options.onRoundTrip;
    this.onEvent = options.onEvent;
    const o: Required<Tunables> = { ...grpcTransportDefaults };
    for (const key of Object.keys(o) as (keyof Tunables)[]) {
      if (options[key] !== undefined) Object.assign(o, { [key]: options[key] });
    }
    this.options = o;
    const limits: SenderLimits = {
      maxQueuedMessages: o.maxQueuedMessages,
      maxQueuedBytes: o.maxQueuedBytes,
      maxBatchBytes: Math.min(o.maxBatchBytes, o.maxMessageBytes),
      maxInflightBytes: o.maxInflightBytes,
      maxMessageBytes: o.maxMessageBytes,
      snapshotChunkBytes: Math.min(o.snapshotChunkBytes, o.maxMessageBytes - 64),
      reconnectInitialMs: o.reconnectInitialMs,
      reconnectMaxMs: o.reconnectMaxMs,
      keepaliveMs: o.keepaliveMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs,
      pingTimeoutMs: Math.max(1000, o.pingIntervalMs),
    };
    this.senderContext = {
      id: this.id,
      clusterId: this.clusterId,
      limits,
      stats: this.counters,
      random: o.random,
      running: () => this.state === "running",
      scheduleFlush: (peer) => {
        this.dirty.add(peer);
        this.schedule();
      },
      reportUnreachable: (peer) => {
        this.unreachable.add(peer);
        this.schedule();
      },
      reportSnapshot: (peer, status) => {
        this.snapshotReports.push([peer, status]);
        this.schedule();
      },
      connected: (peer, url) => this.onEvent?.({ type: "peer-connected", peer, url }),
      disconnected: (peer, url, error, retryInMs) =>
        this.onEvent?.({ type: "peer-disconnected", peer, url, error, retryInMs }),
      snapshotDone: (peer, bytes, seconds, error) =>
        this.onEvent?.(
          error === undefined
            ? { type: "snapshot-sent", peer, bytes, seconds }
            : { type: "snapshot-failed", peer, bytes, error },
        ),
      roundTrip: (peer, seconds) => this.onRoundTrip?.(peer, seconds),
    };
    this.receiver = new Receiver({
      id: this.id,
      clusterId: this.clusterId,
      maxSnapshotBytes: o.maxSnapshotBytes,
      maxMessageBytes: o.maxMessageBytes,
      keepaliveMs: o.keepaliveMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs,
      stats: this.counters,
      deliver: (m) => {
        if (this.state !== "running" || this.handler === undefined) return;
        this.counters.messagesReceived++;
        this.handler.step(m);
      },
      rejected: (from, reason) => this.onEvent?.({ type: "stream-rejected", from, reason }),
      snapshotReceived: (peer, bytes) => this.onEvent?.({ type: "snapshot-received", peer, bytes }),
      members: () => options.membersProvider?.(),
      isRemoved: (peer) => options.isRemoved?.(peer) === true,
    });
  }

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  /** The URLs this member listens on, with the ports actually bound; empty before start(). */
  listenUrls(): readonly string[] {
    return this.bound;
  }

  /** Peers whose stream is up (accepted by the peer and not broken since). */
  connectedPeers(): number[] {
    return [...this.peers.values()].filter((p) => p.connected).map((p) => p.id);
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  send(messages: readonly Message[]): void {
    if (this.state === "stopped") return;
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (peer === undefined) {
        this.counters.droppedUnknownPeer++;
        if (m.type === "MsgSnap") this.senderContext.reportSnapshot(m.to, SnapshotStatus.Failure);
        this.senderContext.reportUnreachable(m.to);
      } else if (m.type === "MsgSnap") {
        peer.sendSnapshot(m);
      } else {
        peer.enqueue(m);
      }
    }
  }

  addPeer(id: number, urls: readonly string[]): void {
    this.upsertPeer(id, urls);
  }

  updatePeer(id: number, urls: readonly string[]): void {
    this.upsertPeer(id, urls);
  }

  private upsertPeer(id: number, urls: readonly string[]): void {
    if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`transport: invalid peer id ${id}`);
    if (urls.length === 0) throw new PeerUrlError("", `member ${id} has no peer URLs`);
    const addresses = urls.map((u) => parsePeerUrl(u));
    if (id === this.id || this.state === "stopped") return;
    const existing = this.peers.get(id);
    if (existing !== undefined) return existing.setAddresses(addresses);
    const peer = new PeerSender(id, addresses, this.senderContext);
    this.peers.set(id, peer);
    if (this.state === "running") peer.start();
  }

  removePeer(id: number): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    this.dirty.delete(peer);
    peer.close();
  }

  async start(): Promise<void> {
    if (this.state !== "new") throw new TransportStateError(`transport: cannot start a ${this.state} transport`);
    if (this.handler === undefined) throw new TransportStateError("transport: setHandler before start");
    this.state = "starting";
    const o = this.options;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": o.maxMessageBytes,
      "grpc.max_send_message_length": o.maxMessageBytes,
      // The server pings too, so it lets go of streams from peers that vanished.
      "grpc.keepalive_time_ms": o.keepaliveMs,
      "grpc.keepalive_timeout_ms": o.keepaliveTimeoutMs,
    });
    server.addService(peerService, this.receiver.implementation());
    this.server = server;
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const handlers = {
      stream: (socket: Socket) => this.receiver.stream(socket),
      grpc: (socket: Socket) => injector.injectConnection(socket),
    };
    try {
      for (const a of this.listen) {
        const listener = await listenPeerPort(socketHost(a), a.port, handlers);
        this.listeners.push(listener);
        this.bound.push(`http://${a.host}:${listener.port}`);
      }
    } catch (err) {
      for (const l of this.listeners) l.close();
      server.forceShutdown();
      this.state = "stopped";
      throw new PeerUrlError(this.listen[this.bound.length]?.url ?? "", `cannot listen: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // stop() may have run while binding.
    if (this.state !== "starting") {
      for (const l of this.listeners) l.close();
      server.forceShutdown();
      return;
    }
    this.state = "running";
    for (const peer of this.peers.values()) peer.start();
    // Reports made before start (messages to unknown peers) go out now.
    this.schedule();
    if (o.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        for (const peer of this.peers.values()) peer.ping();
      }, o.pingIntervalMs);
    }
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    clearInterval(this.pingTimer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.dirty.clear();
    this.unreachable.clear();
    this.snapshotReports = [];
    this.receiver.stop();
    for (const l of this.listeners) l.close();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private schedule(): void {
    if (this.immediate !== undefined || this.state === "stopped") return;
    this.immediate = setImmediate(() => this.runTurn());
  }

  /** Once per event-loop turn: write what send() queued, then tell the handler what happened. */
  private runTurn(): void {
    this.immediate = undefined;
    if (this.state !== "running") {
      // Before start, keep the queues; reports wait too.
      return;
    }
    for (const peer of this.dirty) peer.flush();
    this.dirty.clear();
    const handler = this.handler as TransportHandler;
    const unreachable = [...this.unreachable];
    this.unreachable.clear();
    const reports = this.snapshotReports;
    this.snapshotReports = [];
    for (const peer of unreachable) handler.reportUnreachable(peer);
    for (const [peer, status] of reports) handler.reportSnapshot(peer, status);
  }
}
