import type { Config } from "./config.js";
import { encodeConfChange } from "./confchange.js";
import { ProposalDroppedError } from "./errors.js";
import { message, Raft } from "./raft.js";
import type { ConfChange, ConfState, Entry, HardState, Message, ProgressStatus, Ready, SoftState, Status } from "./types.js";
import { StateType } from "./types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function proposalEntry(type: Entry["type"], data: Uint8Array): Entry {
  return { term: 0, index: 0, type, data };
}

/**
 * The public face of the raft core. The driver feeds it ticks, peers' messages and local
 * requests, and repeatedly takes a Ready, carries it out (see Ready for the order) and calls
 * advance. Nothing here performs I/O or reads a clock.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
  }

  get id(): number {
    return this.raft.id;
  }

  /** Advance logical time by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (with PreVote when enabled). */
  campaign(): void {
    this.raft.hup("election");
  }

  /** Propose one entry. Throws ProposalDroppedError when it cannot be accepted here. */
  propose(data: Uint8Array): void {
    this.proposeEntries([proposalEntry("normal", data)]);
  }

  /** Propose several entries in one message: they are appended, and replicated, together. */
  proposeBatch(datas: readonly Uint8Array[]): void {
    this.proposeEntries(datas.map((d) => proposalEntry("normal", d)));
  }

  /** Propose a membership change; only one may be pending at a time. */
  proposeConfChange(cc: ConfChange): void {
    if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) {
      throw new RangeError(`raft: a conf change needs a positive integer node id, not ${cc.nodeId}`);
    }
    this.proposeEntries([proposalEntry("confChange", encodeConfChange(cc))]);
  }

  private proposeEntries(entries: Entry[]): void {
    this.local(message({ type: "MsgProp", entries }));
  }

  private local(m: Message): void {
    const reason = this.raft.handle(m);
    if (reason !== undefined) throw new ProposalDroppedError(reason, this.raft.lead);
  }

  /** Apply a committed ConfChange entry; call it when the entry is applied. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Hand over a message from a peer; malformed messages are dropped and counted. */
  step(m: Message): void {
    this.raft.step(m);
  }

  /**
   * Ask for a linearizable read point. A ReadState with this ctx comes in a later Ready: serve
   * the read once the applied index reaches its index.
   */
  readIndex(ctx: Uint8Array): void {
    this.local(message({ type: "MsgReadIndex", entries: [proposalEntry("normal", ctx)] }));
  }

  /** Ask the leader to hand leadership to transferee. */
  transferLeadership(transferee: number): void {
    this.local(message({ type: "MsgTransferLeader", from: transferee, to: this.raft.lead }));
  }

  /** The transport could not reach id: the leader stops streaming to it and probes. */
  reportUnreachable(id: number): void {
    this.raft.handle(message({ type: "MsgUnreachable", from: id }));
  }

  /** A snapshot sent to id finished or failed. */
  reportSnapshot(id: number, status: "finish" | "failure"): void {
    this.raft.handle(message({ type: "MsgSnapStatus", from: id, reject: status === "failure" }));
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, state: this.raft.state };
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.lead !== this.prevSoft.lead || r.state !== this.prevSoft.state) return true;
    const hs = this.prevHard;
    if (r.term !== hs.term || r.vote !== hs.vote || r.raftLog.committed !== hs.commit) return true;
    const u = r.raftLog.unstable;
    return (
      u.snapshot !== undefined ||
      u.entries.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.raftLog.hasNextCommittedEnts()
    );
  }

  /** What to persist, send and apply now. Call advance(ready) when done. */
  ready(): Ready {
    const r = this.raft;
    const log = r.raftLog;
    const soft = this.softState();
    const hard = r.hardState();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.state !== this.prevSoft.state;
    const hardChanged =
      hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.commit !== this.prevHard.commit;
    const entries = log.unstable.entries.slice();
    const snapshot = log.unstable.snapshot;
    const rd: Mutable<Ready> = {
      readStates: r.readStates,
      entries,
      committedEntries: log.hasNextCommittedEnts() ? log.nextCommittedEnts(r.maxCommittedSizePerReady) : [],
      messages: r.msgs,
      sendBeforePersist:
        hard.term === this.prevHard.term && hard.vote === this.prevHard.vote && r.msgs.every(isReplication),
      // A snapshot replaces the log: losing it in a crash would lose committed entries.
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hard.term !== this.prevHard.term ||
        hard.vote !== this.prevHard.vote,
    };
    if (softChanged) rd.softState = soft;
    if (hardChanged) rd.hardState = hard;
    if (snapshot) rd.snapshot = snapshot;
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.prevSoft = soft;
    return rd;
  }

  /** The driver finished the Ready: its entries are stable and its committed entries applied. */
  advance(rd: Ready): void {
    const log = this.raft.raftLog;
    if (rd.hardState) this.prevHard = rd.hardState;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (rd.snapshot) log.stableSnapTo(rd.snapshot.metadata.index);
    if (lastEntry && log.stableTo(lastEntry.index, lastEntry.term)) this.raft.persisted(lastEntry.index);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) log.appliedTo(lastApplied.index);
    else if (rd.snapshot) log.appliedTo(rd.snapshot.metadata.index);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<number, ProgressStatus>();
    if (r.state === StateType.Leader) for (const [id, pr] of r.trk.progress) progress.set(id, pr.status());
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lead: r.lead,
      state: r.state,
      leadTransferee: r.leadTransferee,
      progress,
      droppedMessages: r.droppedMessages,
    };
  }

  /** The configuration as this node currently applies it. */
  confState(): ConfState {
    return this.raft.trk.confState();
  }

  /** Whether this node is leader now (cheap; for hot paths). */
  isLeader(): boolean {
    return this.raft.state === StateType.Leader;
  }

  /** The known leader, or None (0). */
  leader(): number {
    return this.raft.lead;
  }
}

/** A leader's replication traffic: it promises nothing about the sender's disk. */
function isReplication(m: Message): boolean {
  return m.type === "MsgApp" || m.type === "MsgHeartbeat" || m.type === "MsgSnap";
}
