import { ConfigError } from "./errors.js";
import type { Storage } from "./storage.js";

/**
 * Test-only switches that break the algorithm on purpose, so the simulator's checkers can show
 * they catch real bugs. Never set them outside tests.
 */
export const PlantedBug = {
  /** A leader commits an entry of an earlier term by counting replicas (Raft paper, Figure 8). */
  CommitPreviousTerm: "commit-previous-term",
  /** A node grants its vote to a second candidate in the same term. */
  VoteTwice: "vote-twice",
  /** A leader answers ReadIndex from its commit index without confirming it still leads. */
  ReadWithoutQuorum: "read-without-quorum",
} as const;
export type PlantedBug = (typeof PlantedBug)[keyof typeof PlantedBug];

export interface Config {
  /** This node's id; never 0. */
  id: number;
  /** Stable storage, read-only to raft. */
  storage: Storage;
  /**
   * Ticks a follower waits without hearing from a leader before it campaigns. The real timeout is
   * drawn uniformly from [electionTick, 2·electionTick) to make split votes unlikely. Must exceed
   * heartbeatTick; 10× is the usual ratio.
   */
  electionTick?: number;
  /** Ticks between a leader's heartbeats. */
  heartbeatTick?: number;
  /** Last index the application applied before a restart; entries after it are re-delivered. */
  applied?: number;
  /** Byte limit for one append message (at least one entry is always sent). Smaller probes faster; larger is cheaper at full load. */
  maxSizePerMsg?: number;
  /** Appends in flight to one follower before the leader waits for acknowledgements. */
  maxInflightMsgs?: number;
  /** Byte limit for committedEntries in one Ready (at least one entry). */
  maxCommittedSizePerReady?: number;
  /** A leader that has not heard from a quorum within an election timeout steps down. */
  checkQuorum?: boolean;
  /** Campaign in two phases so that a node rejoining after a partition cannot raise the term. */
  preVote?: boolean;
  /** "safe": ReadIndex confirms leadership by a heartbeat round; "lease-based" trusts clocks. */
  readOnlyOption?: "safe" | "lease-based";
  /** Followers reject proposals with a not-leader error instead of forwarding them. */
  disableProposalForwarding?: boolean;
  /** Source of randomness for election timeouts, in [0, 1). Inject a seeded one for determinism. */
  random?: () => number;
  /** Test-only: deliberately broken behaviour (see PlantedBug). */
  plantedBugs?: readonly PlantedBug[];
}

export type ResolvedConfig = Required<Omit<Config, "applied">> & { applied: number | undefined };

export const defaultConfig = {
  electionTick: 10,
  heartbeatTick: 1,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxCommittedSizePerReady: 64 * 1024 * 1024,
  checkQuorum: true,
  preVote: true,
  readOnlyOption: "safe",
  disableProposalForwarding: false,
  random: Math.random,
  plantedBugs: [],
} as const satisfies Omit<ResolvedConfig, "id" | "storage" | "applied">;

export function resolveConfig(c: Config): ResolvedConfig {
  const r: ResolvedConfig = { ...defaultConfig, ...c, applied: c.applied };
  if (!Number.isSafeInteger(r.id) || r.id <= 0) throw new ConfigError(`raft: invalid node id ${r.id}`);
  if (!(r.heartbeatTick >= 1)) throw new ConfigError("raft: heartbeatTick must be at least 1");
  if (!(r.electionTick > r.heartbeatTick)) {
    throw new ConfigError("raft: electionTick must be greater than heartbeatTick");
  }
  if (!(r.maxInflightMsgs >= 1)) throw new ConfigError("raft: maxInflightMsgs must be at least 1");
  if (!(r.maxSizePerMsg >= 1)) throw new ConfigError("raft: maxSizePerMsg must be at least 1");
  return r;
}
