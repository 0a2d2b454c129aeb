/** Errors the raft core raises to its caller. Peers' bad messages never raise; they are dropped. */

/** The requested index is below the first index kept after compaction. */
export class CompactedError extends Error {
  override readonly name = "CompactedError";
  constructor(readonly index: number, options?: ErrorOptions) {
    super(`raft: requested index ${index} is unavailable due to compaction`, options);
  }
}

/** The requested index is past the last index of the log. */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
  constructor(readonly index: number, options?: ErrorOptions) {
    super(`raft: requested entry at index ${index} is unavailable`, options);
  }
}

/** A snapshot older than the one already held was offered. */
export class SnapshotOutOfDateError extends Error {
  override readonly name = "SnapshotOutOfDateError";
  constructor(readonly index: number, readonly current: number, options?: ErrorOptions) {
    super(`raft: snapshot at index ${index} is older than the current one at ${current}`, options);
  }
}

/** The storage cannot produce a snapshot right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  override readonly name = "SnapshotTemporarilyUnavailableError";
  constructor(options?: ErrorOptions) {
    super("raft: snapshot is temporarily unavailable", options);
  }
}

export const DropReason = {
  /** No leader is known (election in progress); retry later. */
  NoLeader: "no-leader",
  /** This node is a follower and proposal forwarding is disabled: send it to `leader`. */
  NotLeader: "not-leader",
  /** The leader is handing leadership over and accepts nothing meanwhile. */
  TransferInProgress: "leader-transfer-in-progress",
  /** A membership change is still being applied; only one may be in flight. */
  ConfChangePending: "conf-change-pending",
  /** This node is not a member of the cluster (it was removed). */
  NotMember: "not-member",
  /** Nothing was proposed. */
  Empty: "empty-proposal",
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** A proposal, read or transfer request was not accepted; nothing was appended. */
export class ProposalDroppedError extends Error {
  override readonly name = "ProposalDroppedError";
  constructor(
    readonly reason: DropReason,
    /** The leader this node knows of, or 0. */
    readonly leader: number,
    options?: ErrorOptions,
  ) {
    super(`raft: proposal dropped: ${reason}${leader ? ` (leader is ${leader})` : ""}`, options);
  }
}

/** A configuration value is out of range. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
