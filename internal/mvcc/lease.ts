/**
 * The replicated half of etcd's lessor: which leases exist, their granted TTL, the remaining TTL
 * of the last checkpoint, and which keys are attached. Expiry needs a clock, so it lives outside:
 * the leader's lessor tracks deadlines and proposes revokes and checkpoints, which every replica
 * applies here in log order.
 */

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;

export interface LeaseRecord {
  readonly id: number;
  readonly ttl: number;
  remainingTtl: number;
  /** Attached keys in index form. A Set: never iterate it for anything ordered; sort first. */
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly byId = new Map<number, LeaseRecord>();

  get size(): number {
    return this.byId.size;
  }

  get(id: number): LeaseRecord | undefined {
    return this.byId.get(id);
  }

  add(l: LeaseRecord): void {
    this.byId.set(l.id, l);
  }

  delete(id: number): void {
    this.byId.delete(id);
  }

  /** Leases in ascending id order: the only order anything observable may depend on. */
  sorted(): LeaseRecord[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  attach(id: number, key: string): void {
    this.byId.get(id)?.keys.add(key);
  }

  detach(id: number, key: string): void {
    this.byId.get(id)?.keys.delete(key);
  }
}
