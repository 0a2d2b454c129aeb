import type { Entry } from "../../internal/raft/index.js";
import { entryHash } from "./payload.js";

/**
 * The Raft safety properties (paper §5, Figure 3) plus linearizable reads, each as a small
 * checker over what the simulator observes. They hold no reference to a node, so tests can
 * feed them hand-made bad histories. Every method returns a Violation instead of throwing, so
 * the simulator can stop, and show the trace that led there.
 */

export const Invariant = {
  ElectionSafety: "election-safety",
  LeaderAppendOnly: "leader-append-only",
  LogMatching: "log-matching",
  LeaderCompleteness: "leader-completeness",
  StateMachineSafety: "state-machine-safety",
  LinearizableRead: "linearizable-read",
  Liveness: "liveness",
  /** Raft (or the driver's contract with it) threw: a crash is a bug too. */
  NoException: "no-exception",
} as const;
export type Invariant = (typeof Invariant)[keyof typeof Invariant];

export interface Violation {
  readonly invariant: Invariant;
  readonly message: string;
}

/** A node's log as the checkers see it: entries above a compacted prefix. */
export interface LogView {
  /** Last index covered by the snapshot; entries up to it are compacted. */
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  /** Term of entry i for snapshotIndex ≤ i ≤ lastIndex (the snapshot's term at snapshotIndex). */
  termAt(i: number): number | undefined;
}

/** Election Safety: at most one leader per term, over the whole run. */
export class ElectionSafety {
  private readonly leaders = new Map<number, number>();

  leader(id: number, term: number): Violation | undefined {
    const other = this.leaders.get(term);
    if (other === undefined) {
      this.leaders.set(term, id);
      return undefined;
    }
    if (other === id) return undefined;
    return {
      invariant: Invariant.ElectionSafety,
      message: `nodes ${other} and ${id} were both leader in term ${term}`,
    };
  }
}

/**
 * Leader Append-Only: during its term a leader only appends. Observed once per processed
 * Ready: the log it wrote then must not start at or below the last index it held before.
 */
export class LeaderAppendOnly {
  private readonly held = new Map<number, { term: number; lastIndex: number }>();

  /**
   * @param firstWritten the lowest index this Ready wrote to the node's log, if any
   * @param lastIndex the node's last index once the Ready is persisted
   */
  observe(id: number, term: number, isLeader: boolean, firstWritten: number | undefined, lastIndex: number): Violation | undefined {
    if (!isLeader) {
      this.held.delete(id);
      return undefined;
    }
    const before = this.held.get(id);
    this.held.set(id, { term, lastIndex });
    if (before === undefined || before.term !== term) return undefined;
    if (firstWritten !== undefined && firstWritten <= before.lastIndex) {
      return {
        invariant: Invariant.LeaderAppendOnly,
        message: `leader ${id} of term ${term} rewrote its log from index ${firstWritten}, though it held up to ${before.lastIndex}`,
      };
    }
    if (lastIndex < before.lastIndex) {
      return {
        invariant: Invariant.LeaderAppendOnly,
        message: `leader ${id} of term ${term} shrank its log from ${before.lastIndex} to ${lastIndex}`,
      };
    }
    return undefined;
  }

  /** The node crashed: its next life is a different leadership. */
  forget(id: number): void {
    this.held.delete(id);
  }
}

/**
 * Log Matching: entries with the same index and term hold the same data, and are preceded by
 * an entry of the same term. The second half makes the whole prefix equal by induction, so a
 * registry of (index, term) → (data hash, previous term) is enough.
 */
export class LogMatching {
  private readonly seen = new Map<number, { hash: number; prevTerm: number | undefined; node: number }>();

  /** Node `id` wrote `entries` after an entry of term `prevTerm` (undefined: compacted away). */
  written(id: number, entries: readonly Entry[], prevTerm: number | undefined): Violation | undefined {
    let before = prevTerm;
    for (const e of entries) {
      // Terms stay far below 2^21 in any run, and indexes below 2^32: the key is exact.
      const key = e.index * 0x200000 + e.term;
      const hash = entryHash(e);
      const rec = this.seen.get(key);
      if (rec === undefined) {
        this.seen.set(key, { hash, prevTerm: before, node: id });
      } else if (rec.hash !== hash) {
        return {
          invariant: Invariant.LogMatching,
          message: `entry (index ${e.index}, term ${e.term}) differs between node ${rec.node} and node ${id}`,
        };
      } else if (before !== undefined) {
        if (rec.prevTerm === undefined) {
          rec.prevTerm = before;
        } else if (rec.prevTerm !== before) {
          return {
            invariant: Invariant.LogMatching,
            message: `entry (index ${e.index}, term ${e.term}) follows term ${rec.prevTerm} on node ${rec.node} but term ${before} on node ${id}`,
          };
        }
      }
      before = e.term;
    }
    return undefined;
  }
}

/**
 * Leader Completeness: an entry committed in term T is in the log of every leader of a term
 * after T. A node reporting commit index c in term t proves entries up to c committed in some
 * term ≤ t, so recording t (an upper bound) can only make the check weaker, never wrong.
 */
export class LeaderCompleteness {
  /** Term of the committed entry at each index; 0 where it was never seen (compacted). */
  private readonly terms: number[] = [0];
  /** Term of the node that first reported the index committed. */
  private readonly commitTerms: number[] = [0];
  private readonly reporters: number[] = [0];
  /** Highest index known committed. */
  committed = 0;

  commit(id: number, term: number, commit: number, log: LogView): Violation | undefined {
    const known = this.terms[commit];
    const mine = log.termAt(commit);
    if (known !== undefined && known !== 0 && mine !== undefined && mine !== known) {
      return {
        invariant: Invariant.LeaderCompleteness,
        message: `index ${commit} was committed with term ${known} (node ${this.reporters[commit]}), but node ${id} committed term ${mine} there: a leader lacked a committed entry`,
      };
    }
    for (let i = this.committed + 1; i <= commit; i++) {
      this.terms[i] = log.termAt(i) ?? 0;
      this.commitTerms[i] = term;
      this.reporters[i] = id;
    }
    if (commit > this.committed) this.committed = commit;
    return undefined;
  }

  /** Node `id` leads `term` with this log: it must hold every entry committed in earlier terms. */
  leader(id: number, term: number, log: LogView): Violation | undefined {
    for (let i = Math.max(1, log.snapshotIndex); i <= this.committed; i++) {
      const t = this.terms[i] as number;
      if (t === 0 || (this.commitTerms[i] as number) >= term) continue;
      const mine = log.termAt(i);
      if (mine !== t) {
        return {
          invariant: Invariant.LeaderCompleteness,
          message: `leader ${id} of term ${term} lacks entry (index ${i}, term ${t}), committed by term ${this.commitTerms[i]} (seen on node ${this.reporters[i]}); it has ${mine === undefined ? "no entry" : `term ${mine}`} there`,
        };
      }
    }
    return undefined;
  }
}

/**
 * State Machine Safety: no two nodes apply different entries at one index. Each node's digest
 * of everything it applied is compared too, which covers nodes that skipped ahead by snapshot.
 */
export class StateMachineSafety {
  private readonly terms: number[] = [];
  private readonly hashes: number[] = [];
  private readonly digests: number[] = [];
  private readonly appliers: number[] = [];

  applied(id: number, index: number, term: number, hash: number, digest: number): Violation | undefined {
    const t = this.terms[index];
    if (t === undefined) {
      this.terms[index] = term;
      this.hashes[index] = hash;
      this.appliers[index] = id;
    } else if (t !== term || this.hashes[index] !== hash) {
      return {
        invariant: Invariant.StateMachineSafety,
        message: `node ${id} applied (index ${index}, term ${term}) but node ${this.appliers[index]} applied a different entry (index ${index}, term ${t})`,
      };
    }
    return this.reached(id, index, digest);
  }

  /** Node `id` holds state `digest` at `index`, from applying entries or a snapshot. */
  reached(id: number, index: number, digest: number): Violation | undefined {
    const d = this.digests[index];
    if (d === undefined) {
      this.digests[index] = digest;
      if (this.appliers[index] === undefined) this.appliers[index] = id;
      return undefined;
    }
    if (d === digest) return undefined;
    return {
      invariant: Invariant.StateMachineSafety,
      message: `node ${id} reached a different state at index ${index} than node ${this.appliers[index]}: their histories diverge`,
    };
  }
}

/**
 * ReadIndex answers are linearizable: a read must not return a point older than any write
 * that completed before it was requested, so its index is at least the highest commit index
 * any node had at request time (Raft thesis §6.4).
 */
export class ReadIndexSafety {
  private readonly floors = new Map<number, number>();

  requested(readId: number, highestCommit: number): void {
    this.floors.set(readId, highestCommit);
  }

  answered(id: number, readId: number, index: number): Violation | undefined {
    const floor = this.floors.get(readId);
    if (floor === undefined || index >= floor) return undefined;
    return {
      invariant: Invariant.LinearizableRead,
      message: `read ${readId} answered on node ${id} at index ${index}, but index ${floor} was already committed when it was requested: a stale read`,
    };
  }
}

/** What liveness looks at on each member of the final configuration. */
export interface MemberState {
  readonly id: number;
  readonly alive: boolean;
  /** The leader this member follows. */
  readonly lead: number;
  readonly appliedIndex: number;
  readonly proposals: ReadonlySet<number>;
}

export interface LeaderState {
  readonly id: number;
  readonly commit: number;
  readonly lastIndex: number;
}

/** Why the cluster has not converged yet; `lost` means waiting longer cannot help. */
export interface ConvergenceGap {
  readonly message: string;
  readonly lost: boolean;
}

/**
 * Liveness after the faults stop: one leader that every member follows, everything in its
 * log committed and applied everywhere, and every acknowledged proposal in every member's
 * state machine. Undefined when converged.
 */
export function convergenceGap(
  leader: LeaderState | undefined,
  members: readonly MemberState[],
  acknowledged: Iterable<number>,
): ConvergenceGap | undefined {
  if (leader === undefined) return { message: "no leader", lost: false };
  for (const m of members) {
    if (!m.alive) return { message: `member ${m.id} is down`, lost: false };
    if (m.lead !== leader.id) return { message: `member ${m.id} follows ${m.lead}, not leader ${leader.id}`, lost: false };
  }
  if (leader.commit < leader.lastIndex) {
    return { message: `leader ${leader.id} committed ${leader.commit} of ${leader.lastIndex} entries`, lost: false };
  }
  for (const m of members) {
    if (m.appliedIndex < leader.commit) {
      return { message: `member ${m.id} applied ${m.appliedIndex} of ${leader.commit} committed entries`, lost: false };
    }
  }
  for (const p of acknowledged) {
    for (const m of members) {
      if (!m.proposals.has(p)) {
        return { message: `acknowledged proposal ${p} is missing from member ${m.id}, which applied everything`, lost: true };
      }
    }
  }
  return undefined;
}
