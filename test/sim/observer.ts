import type { ConfChange, Entry, ReadState, Ready, Snapshot } from "../../internal/raft/index.js";
import type { Violation } from "./checkers.js";
import {
  ElectionSafety,
  LeaderAppendOnly,
  LeaderCompleteness,
  LogMatching,
  ReadIndexSafety,
  StateMachineSafety,
} from "./checkers.js";
import type { ReadyObserver, SimNode } from "./node.js";
import { decodeReadContext, entryHash } from "./payload.js";
import type { Trace } from "./trace.js";

/**
 * Feeds what the simulation observes to the checkers: every processed Ready, every leader
 * seen, every client request. The first violation is kept, with the step it happened at.
 */
export class Observer implements ReadyObserver {
  violation: (Violation & { readonly step: number }) | undefined = undefined;
  /** How often notable things happened (actions, elections, overwrites, ...): for tuning. */
  readonly counts: Record<string, number> = {};
  /** Proposals applied by the node life that accepted them: these must never be lost. */
  readonly acknowledged = new Set<number>();
  private readonly accepted = new Map<number, { node: number; incarnation: number }>();

  private readonly electionSafety = new ElectionSafety();
  private readonly appendOnly = new LeaderAppendOnly();
  private readonly logMatching = new LogMatching();
  private readonly completeness = new LeaderCompleteness();
  private readonly smSafety = new StateMachineSafety();
  private readonly reads = new ReadIndexSafety();
  /** New leaderships, checked for completeness at their first Ready, when the log is all on disk. */
  private readonly newLeaders = new Map<number, number>();
  /** Highest commit index any node was seen with, in a Ready or in memory. */
  private highestCommit = 0;

  constructor(
    private readonly trace: Trace,
    private readonly now: () => number,
    /** A removal was applied: the simulation shuts that node down. */
    private readonly removed: (id: number) => void,
  ) {}

  count(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }

  fail(v: Violation | undefined): void {
    if (v !== undefined && this.violation === undefined) this.violation = { ...v, step: this.now() };
  }

  get acceptedProposals(): number {
    return this.accepted.size;
  }

  // ---- the cluster, seen from outside ------------------------------------------------------

  leaderSeen(node: SimNode, term: number): void {
    this.trace.add(this.now(), { kind: "leader", node: node.id, term });
    this.count("elected");
    this.fail(this.electionSafety.leader(node.id, term));
    this.newLeaders.set(node.id, term);
  }

  /** The node crashed or was shut down: its next life starts a new history. */
  gone(node: SimNode): void {
    this.appendOnly.forget(node.id);
    this.newLeaders.delete(node.id);
  }

  proposalAccepted(id: number, node: SimNode): void {
    this.accepted.set(id, { node: node.id, incarnation: node.incarnation });
  }

  /** A read is requested now; returns the commit index its answer must reach. */
  readRequested(readId: number, nodes: Iterable<SimNode>): number {
    for (const n of nodes) {
      if (n.raw) this.highestCommit = Math.max(this.highestCommit, n.raw.status().commit);
    }
    this.reads.requested(readId, this.highestCommit);
    return this.highestCommit;
  }

  // ---- ReadyObserver -----------------------------------------------------------------------

  persisted(node: SimNode, rd: Ready, prevTerm: number | undefined, lastIndexBefore: number): void {
    this.trace.add(this.now(), { kind: "ready", node: node.id, rd });
    if (rd.snapshot) this.count("snapshot-installed");
    const first = rd.entries[0];
    if (first !== undefined) {
      if (first.index <= lastIndexBefore) this.count("log-overwritten");
      this.fail(this.logMatching.written(node.id, rd.entries, prevTerm));
    }
    const hs = node.storage.hardStateNow();
    const isLeader = node.raw?.isLeader() === true;
    const firstWritten = rd.snapshot ? rd.snapshot.metadata.index : first?.index;
    this.fail(this.appendOnly.observe(node.id, hs.term, isLeader, firstWritten, node.storage.lastIndex()));
    if (rd.hardState) {
      if (hs.commit > this.highestCommit) this.highestCommit = hs.commit;
      this.fail(this.completeness.commit(node.id, hs.term, hs.commit, node.logView()));
    }
    const newTerm = this.newLeaders.get(node.id);
    if (newTerm !== undefined) {
      this.newLeaders.delete(node.id);
      if (isLeader && newTerm === hs.term) this.fail(this.completeness.leader(node.id, hs.term, node.logView()));
    }
  }

  restored(node: SimNode, snapshot: Snapshot): void {
    this.fail(this.smSafety.reached(node.id, snapshot.metadata.index, node.sm?.digest ?? 0));
  }

  applied(node: SimNode, e: Entry, proposal: number | undefined): void {
    this.fail(this.smSafety.applied(node.id, e.index, e.term, entryHash(e), node.sm?.digest ?? 0));
    if (proposal === undefined) return;
    const by = this.accepted.get(proposal);
    if (by !== undefined && by.node === node.id && by.incarnation === node.incarnation) this.acknowledged.add(proposal);
  }

  confChanged(_node: SimNode, cc: ConfChange): void {
    this.count(`applied-${cc.type}`);
    if (cc.type === "removeNode") this.removed(cc.nodeId);
  }

  advanced(node: SimNode): void {
    this.trace.add(this.now(), { kind: "advance", node: node.id });
  }

  wroteBehind(node: SimNode, rd: Ready): void {
    this.trace.add(this.now(), { kind: "write-behind", node: node.id, rd });
    this.count("write-behind");
  }

  readState(node: SimNode, rs: ReadState): void {
    this.count("read-answered");
    const id = decodeReadContext(rs.requestCtx);
    if (id !== undefined) this.fail(this.reads.answered(node.id, id, rs.index));
  }
}
