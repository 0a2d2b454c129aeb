import type { Latency } from "./network.js";
import type { Prng } from "./prng.js";

/** Everything the simulator can do in one step. */
export const Action = {
  /** Deliver the message due first. */
  Deliver: "deliver",
  /** Deliver any in-flight message, however recently sent. */
  Reorder: "reorder",
  Ready: "ready",
  Tick: "tick",
  Propose: "propose",
  Read: "read",
  Drop: "drop",
  Duplicate: "duplicate",
  /** Replace the partition with a random split, symmetric or one-way. */
  Partition: "partition",
  /** Cut one node (usually the leader) off from everyone. */
  Disconnect: "disconnect",
  Reconnect: "reconnect",
  Heal: "heal",
  /** Change one node's clock rate (usually the leader's): see SimNode.clockRate. */
  Clock: "clock",
  Crash: "crash",
  Restart: "restart",
  ConfChange: "conf-change",
  Transfer: "transfer",
  Campaign: "campaign",
  Snapshot: "snapshot",
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** Raft settings drawn per seed, so that runs cover more than the defaults. */
export interface RaftKnobs {
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxCommittedSizePerReady: number;
}

export interface Profile {
  /** "churn": the leader is struck again and again; "mixed": every kind of fault, at random. */
  readonly style: "churn" | "mixed";
  readonly knobs: RaftKnobs;
  readonly latency: Latency;
  /** Relative weight of each action; 0 disables it for the run. */
  readonly weights: Readonly<Record<Action, number>>;
  /**
   * The chance that a newly elected leader is struck (crashed or cut off) within a few steps,
   * before it has replicated much: this is what leaves logs that diverge across several terms,
   * the raw material of the Figure 8 scenario, which random faults alone rarely produce.
   */
  readonly leaderStrike: number;
  /** Steps within which a struck leader is hit. */
  readonly strikeDelay: number;
  /** The chance that a processed Ready is acknowledged (advance) only at a later step. */
  readonly deferAdvance: number;
  /**
   * The chance that a Ready is applied (and a leader's appends sent) at once and persisted only
   * at a later step, as raftnode's driver does while its disk write runs.
   */
  readonly writeBehind: number;
}

/**
 * Draw one run's raft settings and fault mix. Message delivery, Ready processing and ticks
 * carry most of the weight so that the cluster makes progress between faults; each fault's
 * rate is scaled per seed (sometimes to zero) so runs differ in character, not just in order.
 *
 * Half the runs are "churn" runs: the leader is cut off or crashed again and again while
 * clients keep proposing to whoever believes it leads, as in the Figure 8 tests of MIT 6.824.
 * Leaders then pile up entries no one else has, and later leaders must sort them out, which
 * the Figure 8 scenario needs and uniform random faults rarely produce.
 */
export function drawProfile(rng: Prng): Profile {
  const style = rng.chance(0.5) ? "churn" : "mixed";
  const churn = style === "churn";
  const knobs: RaftKnobs = {
    // Churn runs favour short timeouts: more elections per run, and so more chances.
    electionTick: churn ? rng.range(5, 7) : rng.range(5, 10),
    heartbeatTick: 1,
    // A one-byte limit sends one entry per append, which is what lets a leader learn that an
    // old-term entry reached a majority on its own (Raft Figure 8).
    maxSizePerMsg: churn ? 1 : rng.pick([1, 64, 256, 4096, 1024 * 1024]),
    // Churn runs keep the window small, so a leader replicates old entries one round trip at
    // a time and can be struck in the middle.
    maxInflightMsgs: churn ? rng.pick([1, 2, 4, 16]) : rng.pick([1, 2, 4, 16, 256]),
    maxCommittedSizePerReady: rng.pick([1, 64, 64 * 1024 * 1024]),
  };
  const latency: Latency = {
    jitter: churn ? rng.pick([4, 16, 64]) : rng.pick([1, 4, 16, 64]),
    stragglerChance: rng.pick([0, 0.01, 0.05]),
    stragglerDelay: rng.pick([100, 1000]),
  };
  const scale = (): number => rng.pick([0, 0.5, 1, 1, 2]);
  const weights: Record<Action, number> = {
    deliver: 60,
    reorder: 2 * scale(),
    ready: 30,
    tick: 40,
    propose: churn ? 12 : 6 * rng.pick([0.5, 1, 2]),
    // Mixed runs always read, on skewed clocks: that is where a stale leader answers reads.
    read: churn ? 6 * scale() : rng.pick([3, 6, 6]),
    drop: 2 * scale(),
    duplicate: 1.5 * scale(),
    partition: churn ? 0 : 0.15 * scale(),
    disconnect: churn ? 1.5 : 0.1 * scale(),
    reconnect: churn ? 1.5 : 0.2,
    heal: churn ? 0.05 : 0.2,
    clock: churn ? 0.5 * scale() : rng.pick([0.25, 0.5, 1]),
    crash: 0.15 * scale(),
    restart: 0.5,
    "conf-change": 0.3 * scale(),
    transfer: (churn ? 0.25 : 0.5) * scale(),
    campaign: 0.3 * scale(),
    snapshot: 0.6 * scale(),
  };
  return {
    style,
    knobs,
    latency,
    weights,
    // Mixed runs rarely strike: a deposed leader left running is what answers stale reads.
    leaderStrike: churn ? rng.pick([0.5, 0.8]) : rng.pick([0, 0, 0.2]),
    strikeDelay: rng.pick([5, 20, 60]),
    deferAdvance: rng.pick([0, 0, 0.3, 0.8]),
    writeBehind: rng.pick([0, 0.5, 1]),
  };
}

/** Picks actions in proportion to their weights. */
export class ActionPicker {
  private readonly actions: Action[] = [];
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(weights: Readonly<Record<Action, number>>) {
    let sum = 0;
    for (const [action, w] of Object.entries(weights) as [Action, number][]) {
      if (w <= 0) continue;
      sum += w;
      this.actions.push(action);
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(rng: Prng): Action {
    const r = rng.next() * this.total;
    for (let i = 0; i < this.cumulative.length; i++) {
      if (r < (this.cumulative[i] as number)) return this.actions[i] as Action;
    }
    return this.actions[this.actions.length - 1] as Action;
  }
}
