/**
 * Values that cross the raft core's boundary: messages, log entries, persistent state and the
 * Ready batch. Terms, indexes and node ids are JavaScript numbers (exact up to 2^53).
 */

/** Message types. Local ones are built by the RawNode's methods and refused from the network. */
export type MessageType =
  // local: built by RawNode's report methods
  | "MsgUnreachable" // driver: a peer could not be reached
  | "MsgSnapStatus" // driver: a snapshot to a peer finished or failed
  // network
  | "MsgProp" // a proposal, local or forwarded by a follower
  | "MsgApp" // leader to follower: append entries after (index, logTerm)
  | "MsgAppResp"
  | "MsgVote"
  | "MsgVoteResp"
  | "MsgPreVote"
  | "MsgPreVoteResp"
  | "MsgSnap" // leader to follower: install this snapshot
  | "MsgHeartbeat"
  | "MsgHeartbeatResp"
  | "MsgTransferLeader" // ask the leader to hand leadership to `from`
  | "MsgTimeoutNow" // leader to transferee: campaign now, skipping PreVote
  | "MsgReadIndex" // follower to leader: what index must I apply to read linearizably?
  | "MsgReadIndexResp";

/** Message types that may arrive from a peer. */
export const networkMessageTypes: ReadonlySet<MessageType> = new Set<MessageType>([
  "MsgProp",
  "MsgApp",
  "MsgAppResp",
  "MsgVote",
  "MsgVoteResp",
  "MsgPreVote",
  "MsgPreVoteResp",
  "MsgSnap",
  "MsgHeartbeat",
  "MsgHeartbeatResp",
  "MsgTransferLeader",
  "MsgTimeoutNow",
  "MsgReadIndex",
  "MsgReadIndexResp",
]);

export type EntryType = "normal" | "confChange";

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Application payload; an empty normal entry is the leader's no-op. Never mutated. */
  readonly data: Uint8Array;
}

/** The configuration: who votes, and who only replicates. */
export interface ConfState {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's image at metadata.index, opaque to raft. */
  readonly data: Uint8Array;
}

/** What must survive a restart, besides the log. */
export interface HardState {
  readonly term: number;
  /** The node voted for in `term`, or 0. */
  readonly vote: number;
  readonly commit: number;
}

/**
 * One flat shape for every message, as on the wire. Fields unused by a type stay at their zero
 * value. Meaning of the overloaded fields:
 * - MsgApp: (index, logTerm) precede `entries`; `commit` is the leader's commit index.
 * - MsgAppResp: `index` is the follower's last matching index; on reject, `index` echoes the
 *   rejected MsgApp.index, and (rejectHint, logTerm) say where the follower's log may match.
 * - MsgVote/MsgPreVote: (index, logTerm) are the candidate's last entry.
 * - MsgHeartbeat(Resp), MsgReadIndex(Resp): `context` carries the read request id.
 */
export interface Message {
  type: MessageType;
  from: number;
  to: number;
  term: number;
  logTerm: number;
  index: number;
  entries: readonly Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
  snapshot?: Snapshot;
}

export const StateType = {
  Follower: "follower",
  Candidate: "candidate",
  PreCandidate: "pre-candidate",
  Leader: "leader",
} as const;
export type StateType = (typeof StateType)[keyof typeof StateType];

/** Volatile state, reported for observability; never persisted. */
export interface SoftState {
  readonly lead: number;
  readonly state: StateType;
}

/** The answer to a ReadIndex request: apply up to `index`, then serve the read. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

/**
 * What the driver must do, in this order:
 * 1. persist `snapshot`, `entries` and `hardState` (fsync when `mustSync`);
 * 2. send `messages` (they may promise what step 1 wrote, such as a vote); when
 *    `sendBeforePersist` is set they promise nothing of the kind and may be sent before or
 *    while step 1 runs: a leader then writes its log in parallel with its followers;
 * 3. apply `snapshot`, then `committedEntries`, to the state machine; serve `readStates` once
 *    the applied index reaches each one's index;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly readStates: readonly ReadState[];
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  /**
   * The messages are all a leader's appends, heartbeats and snapshots, sent in a term and vote
   * already on disk: none depends on this Ready being persisted, because the leader counts its
   * own entries towards commitment only after advance (Raft thesis §10.2.1).
   */
  readonly sendBeforePersist: boolean;
  readonly mustSync: boolean;
}

export const ConfChangeType = {
  AddNode: "addNode",
  AddLearner: "addLearner",
  RemoveNode: "removeNode",
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

/** One membership change. AddNode on a learner promotes it to voter. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: number;
  /** Opaque to raft (the KV store puts peer URLs here). */
  readonly context?: Uint8Array;
}

export type ProgressState = "probe" | "replicate" | "snapshot";

/** Where the leader believes a follower's log stands. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface Status {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly applied: number;
  readonly lead: number;
  readonly state: StateType;
  readonly leadTransferee: number;
  /** Only on the leader. */
  readonly progress: ReadonlyMap<number, ProgressStatus>;
  /** Network messages refused by validation since start. */
  readonly droppedMessages: number;
}

/** No leader is known: 0 is never a node id. */
export const None = 0;
