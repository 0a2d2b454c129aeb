import { LeaseNotFoundError } from "../mvcc/index.js";
import type { ServerContext } from "./context.js";

export interface LessorOptions {
  /** How often the leader looks for expired leases. */
  readonly checkIntervalMs?: number;
  /** How often the leader records remaining TTLs through raft, so a new leader keeps them. */
  readonly checkpointIntervalMs?: number;
}

const defaults: Required<LessorOptions> = { checkIntervalMs: 500, checkpointIntervalMs: 5000 };

/**
 * Lease expiry, which needs a clock and so lives outside the deterministic state machine: only
 * the leader keeps deadlines. It revokes expired leases through raft (deleting their keys on
 * every member) and checkpoints remaining TTLs through raft, so that a new leader restarts each
 * lease's countdown from its last checkpoint rather than from its full TTL.
 */
export class Lessor {
  private readonly opts: Required<LessorOptions>;
  /** Lease id → deadline (ms since epoch); only while this member leads. */
  private deadlines = new Map<number, number>();
  private revoking = new Set<number>();
  private wasLeader = false;
  private lastCheckpoint = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ServerContext,
    options: LessorOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...defaults, ...options };
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private leading(): boolean {
    const leader = this.ctx.node.isLeader();
    if (leader && !this.wasLeader) {
      // A new leader: every lease counts down from its checkpointed remainder (or full TTL).
      this.deadlines.clear();
      this.revoking.clear();
      for (const l of this.ctx.sm.store.leaseList()) {
        this.deadlines.set(l.id, this.now() + (l.remainingTtl > 0 ? l.remainingTtl : l.ttl) * 1000);
      }
      this.lastCheckpoint = this.now();
    } else if (!leader && this.wasLeader) {
      this.deadlines.clear();
    }
    this.wasLeader = leader;
    return leader;
  }

  private deadline(id: number, ttl: number): number {
    let d = this.deadlines.get(id);
    if (d === undefined) {
      d = this.now() + ttl * 1000;
      this.deadlines.set(id, d);
    }
    return d;
  }

  /** Leader: restart a lease's countdown. Returns its TTL; throws LeaseNotFoundError. */
  renew(id: number): number {
    this.leading();
    const l = this.ctx.sm.store.leaseTimeToLive(id);
    if (!l) throw new LeaseNotFoundError(id);
    this.deadlines.set(id, this.now() + l.ttl * 1000);
    if (l.remainingTtl > 0) {
      // A renewed lease has its full TTL again: clear the checkpoint, or a new leader would
      // restart it from the older, shorter remainder.
      this.ctx
        .propose({ request: "leaseCheckpoint", leaseCheckpoint: { checkpoints: [{ ID: id, remainingTTL: 0 }] } })
        .catch((err: unknown) => this.ctx.logger.debug({ err, lease: id }, "clearing a lease checkpoint failed"));
    }
    return l.ttl;
  }

  /** Leader: whole seconds left before the lease expires (at least 0). */
  remaining(id: number, ttl: number): number {
    this.leading();
    return Math.max(0, Math.ceil((this.deadline(id, ttl) - this.now()) / 1000));
  }

  /** Revoke expired leases and checkpoint the rest; only the leader acts. */
  check(): void {
    if (!this.leading()) return;
    const now = this.now();
    const leases = this.ctx.sm.store.leaseList();
    const live = new Set<number>();
    for (const l of leases) {
      live.add(l.id);
      if (this.deadline(l.id, l.ttl) > now || this.revoking.has(l.id)) continue;
      this.revoking.add(l.id);
      this.ctx
        .propose({ request: "leaseRevoke", leaseRevoke: { ID: l.id } })
        .catch((err: unknown) => {
          if (!(err instanceof LeaseNotFoundError)) this.ctx.logger.warn({ err, lease: l.id }, "lease revoke failed; will retry");
        })
        .finally(() => this.revoking.delete(l.id));
    }
    for (const id of this.deadlines.keys()) if (!live.has(id)) this.deadlines.delete(id);
    if (now - this.lastCheckpoint >= this.opts.checkpointIntervalMs && leases.length > 0) {
      this.lastCheckpoint = now;
      const checkpoints = leases.map((l) => ({ ID: l.id, remainingTTL: this.remaining(l.id, l.ttl) }));
      this.ctx.propose({ request: "leaseCheckpoint", leaseCheckpoint: { checkpoints } }).catch((err: unknown) => {
        this.ctx.logger.debug({ err }, "lease checkpoint failed");
      });
    }
  }
}
