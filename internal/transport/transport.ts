import type { Message } from "../raft/index.js";

/** How a MsgSnap's delivery ended; the driver passes it to RawNode.reportSnapshot. */
export const SnapshotStatus = {
  Finish: "finish",
  Failure: "failure",
} as const;
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

/**
 * What the transport tells its driver. The method names and shapes are RawNode's (and the raft
 * driver's), so a node can serve as the handler itself. Every call comes from the event loop,
 * never from inside send(), so the handler may call back into raft and send. Exceptions thrown
 * by the handler are not caught.
 */
export interface TransportHandler {
  /** A message from a peer, addressed to this member. */
  step(m: Message): void;
  /**
   * Messages to `peer` were dropped (peer down, slow, unknown or its stream broke): the leader
   * should stop streaming appends to it and probe instead. At most once per peer per turn.
   */
  reportUnreachable(peer: number): void;
  /** A MsgSnap to `peer` was delivered (raft on the peer has it) or failed. */
  reportSnapshot(peer: number, status: SnapshotStatus): void;
}

/** Counters since start, for metrics and tests. */
export interface TransportStats {
  /** Messages handed to the network (written to a stream, or scheduled in memory). */
  messagesSent: number;
  /** Messages delivered to the handler. */
  messagesReceived: number;
  /** Stream writes (each carries one turn's messages); in memory, the number of send() calls that sent. */
  batchesSent: number;
  /** Stream reads (TCP may split a write); in memory, deliveries of a send() call's messages. */
  batchesReceived: number;
  /** Bytes of message frames and snapshot chunks written and read. */
  bytesSent: number;
  bytesReceived: number;
  /** Messages to a peer that was never added. */
  droppedUnknownPeer: number;
  /** Messages to a peer that was down, partitioned, or whose stream broke before they went out. */
  droppedUnreachable: number;
  /** Messages dropped because the peer's queue was full (the peer or the network is slow). */
  droppedQueueFull: number;
  /** Messages that could not be encoded (local-only types) or exceed the message size limit. */
  droppedUnsendable: number;
  /** Batches or messages from peers that did not decode; they were skipped. */
  malformedReceived: number;
  /** Messages from peers addressed to another member; they were skipped. */
  misaddressedReceived: number;
  /** Incoming calls refused: another cluster, another member, or missing metadata. */
  rejectedStreams: number;
  snapshotsSent: number;
  snapshotsFailed: number;
  snapshotsReceived: number;
}

export function emptyStats(): TransportStats {
  return {
    messagesSent: 0,
    messagesReceived: 0,
    batchesSent: 0,
    batchesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    droppedUnknownPeer: 0,
    droppedUnreachable: 0,
    droppedQueueFull: 0,
    droppedUnsendable: 0,
    malformedReceived: 0,
    misaddressedReceived: 0,
    rejectedStreams: 0,
    snapshotsSent: 0,
    snapshotsFailed: 0,
    snapshotsReceived: 0,
  };
}

/**
 * Carries raft messages between the members of one cluster. Messages to one peer arrive in the
 * order they were sent, or not at all: raft tolerates loss, so the transport drops rather than
 * blocks, and says so through TransportHandler.unreachable.
 */
export interface Transport {
  /** Where received messages and delivery reports go. Set it once, before start(). */
  setHandler(handler: TransportHandler): void;
  /**
   * Queue messages for their peers. Never blocks, never throws and never calls the handler
   * synchronously. Messages to unknown or unreachable peers are dropped and reported.
   */
  send(messages: readonly Message[]): void;
  /** Start sending to a peer. Adding a known peer updates its URLs; adding this member is ignored. */
  addPeer(id: number, urls: readonly string[]): void;
  /** Stop sending to a peer and drop what is queued for it. Unknown ids are ignored. */
  removePeer(id: number): void;
  /** The peer moved: reconnect to its new URLs. Unknown peers are added. */
  updatePeer(id: number, urls: readonly string[]): void;
  /** Start receiving (and sending). Requires a handler. */
  start(): Promise<void>;
  /** Close every stream, listener and timer; the transport cannot be restarted. */
  stop(): Promise<void>;
  stats(): TransportStats;
}
