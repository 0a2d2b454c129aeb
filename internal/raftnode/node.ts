import { randomInt } from "node:crypto";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  MemoryStorage,
  Message,
  ProgressStatus,
  ReadState,
  Ready,
  Snapshot,
  StateType,
} from "../raft/index.js";
import { decodeConfChange, ProposalDroppedError, RawNode } from "../raft/index.js";
import type { KvMetrics, Logger } from "../observability/index.js";
import { NoLeaderError, NodeStoppedError, RequestTimeoutError, LeaderTransferTimeoutError } from "./errors.js";
import { RequestId } from "./request-id.js";

/** What the driver needs from durable storage: a write-ahead log mirrored in a MemoryStorage. */
export interface DurableLog {
  /** The in-memory mirror the raft core reads; updated by the methods below once durable. */
  readonly storage: MemoryStorage;
  /** Persist one Ready's durable parts in one write, fsync'd when `sync`. */
  save(rd: { hardState?: HardState; entries: readonly Entry[]; snapshot?: Snapshot }, opts: { sync: boolean }): Promise<void>;
  /** Persist a snapshot the state machine took locally. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Drop entries up to and including index. */
  compact(index: number): Promise<void>;
}

/** Sends raft messages to peers; never blocks or throws. Incoming messages arrive via RaftNode.step. */
export interface PeerNetwork {
  send(messages: readonly Message[]): void;
}

/**
 * The replicated state machine. Apply must be deterministic: every member applies the same
 * entries in the same order and must reach the same state. A result (or an Error value) goes
 * back to the proposer if it proposed on this member.
 */
export interface StateMachine {
  apply(payload: Uint8Array, index: number): unknown;
  applyConfChange(change: ConfChange, confState: ConfState, index: number): unknown;
  /** The full state as of the last applied entry. */
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

export interface RaftNodeOptions {
  id: number;
  log: DurableLog;
  network: PeerNetwork;
  stateMachine: StateMachine;
  logger: Logger;
  metrics?: KvMetrics;
  /** Milliseconds per raft tick; the leader sends heartbeats once per tick. */
  heartbeatMs: number;
  /** Milliseconds without a leader before a follower campaigns (randomised up to twice this). */
  electionMs: number;
  /** Applied entries between snapshots (the log is compacted at each snapshot). */
  snapshotCount: number;
  /** Entries kept behind a snapshot so slow followers catch up from the log, not a snapshot. */
  catchUpEntries?: number;
  /** Proposals and reads fail with "request timed out" after this long. */
  requestTimeoutMs?: number;
  /** Index the state machine's restored state covers (the snapshot's index on restart). */
  applied: number;
  /** Called when storage fails: the member cannot continue safely. */
  onFatal?: (err: unknown) => void;
  /** Called when this member's view of the leader changes. */
  onLeaderChange?: (leader: number, term: number) => void;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  /** Settled (answered, failed or timed out): later answers are ignored. */
  done?: boolean;
}

type PendingProposal =
  | { readonly kind: "normal"; readonly data: Uint8Array; readonly counter: number }
  | { readonly kind: "confChange"; readonly change: ConfChange; readonly counter: number };

/**
 * Drives a RawNode: ticks on a timer, persists each Ready through the durable log before
 * sending its messages (a leader's appends go out first, see Ready.sendBeforePersist), applies
 * committed entries to the state machine while that write runs, and answers proposals and
 * linearizable reads. Proposals arriving in one event-loop turn go to raft as one batch, and
 * entries appended while the previous fsync runs are written together by the next one.
 */
export class RaftNode {
  readonly id: number;
  private readonly raw: RawNode;
  private readonly opts: Required<Omit<RaftNodeOptions, "metrics">> & { metrics: KvMetrics | undefined };
  private readonly requestId: RequestId;
  private readonly waiters = new Map<number, Waiter>();
  private proposals: PendingProposal[] = [];
  private reads: Waiter[] = [];
  /** Read batches sent to raft and not answered yet, by ReadIndex context, with when they went. */
  private readonly readBatches = new Map<number, { waiters: Waiter[]; sentAt: number }>();
  /** Read batches whose read index is known, waiting for apply to reach it. */
  private readsAwaitingApply: { index: number; waiters: Waiter[] }[] = [];
  private readCounter = 0;
  private ticker: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  private applied: number;
  /** A ReadIndex round unanswered this long is asked again. */
  private readonly readRetryMs: number;
  private snapshotIndex: number;
  private lead = 0;
  private term = 0;
  private commit = 0;
  /** The newest hard state when only its commit index moved and it was not written (see handleReady). */
  private unsavedHardState: HardState | undefined;
  private role: StateType = "follower";

  constructor(options: RaftNodeOptions) {
    this.opts = {
      catchUpEntries: 5000,
      requestTimeoutMs: 5000 + 2 * options.electionMs,
      onFatal: (err) => {
        throw err;
      },
      onLeaderChange: () => undefined,
      ...options,
      metrics: options.metrics,
    };
    this.id = options.id;
    this.requestId = new RequestId(options.id, randomInt(2 ** 31));
    this.applied = options.applied;
    this.readRetryMs = Math.max(500, 5 * options.heartbeatMs);
    this.snapshotIndex = options.log.storage.snapshot().metadata.index;
    this.raw = new RawNode({
      id: options.id,
      storage: options.log.storage,
      applied: options.applied,
      heartbeatTick: 1,
      electionTick: Math.max(2, Math.round(options.electionMs / options.heartbeatMs)),
      checkQuorum: true,
      preVote: true,
    });
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.raw.tick();
      this.retryReads();
      this.pump();
    }, this.opts.heartbeatMs);
    this.pump();
  }

  /** Stop ticking; pending requests fail. Waits for an in-flight write to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    const err = new NodeStoppedError();
    for (const w of this.waiters.values()) this.settle(w, err);
    this.waiters.clear();
    for (const w of this.reads) this.settle(w, err);
    this.reads = [];
    for (const b of this.readBatches.values()) for (const w of b.waiters) this.settle(w, err);
    this.readBatches.clear();
    for (const b of this.readsAwaitingApply) for (const w of b.waiters) this.settle(w, err);
    this.readsAwaitingApply = [];
    while (this.pumping) await new Promise((r) => setTimeout(r, 5));
  }

  /** A message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    this.raw.step(m);
    this.pump();
  }

  reportUnreachable(peer: number): void {
    this.raw.reportUnreachable(peer);
  }

  reportSnapshot(peer: number, status: "finish" | "failure"): void {
    this.raw.reportSnapshot(peer, status);
    this.pump();
  }

  /** Replicate payload; resolves with the state machine's result once applied on this member. */
  propose(payload: Uint8Array): Promise<unknown> {
    const counter = this.requestId.next();
    return this.enqueue({ kind: "normal", data: this.requestId.frame(counter, payload), counter });
  }

  /** Replicate a membership change; resolves once applied on this member. */
  proposeConfChange(change: ConfChange): Promise<unknown> {
    const counter = this.requestId.next();
    const context = this.requestId.frame(counter, change.context ?? new Uint8Array(0));
    return this.enqueue({ kind: "confChange", change: { ...change, context }, counter });
  }

  private enqueue(p: PendingProposal): Promise<unknown> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiters.delete(p.counter)) {
          this.opts.metrics?.proposalsFailed.inc();
          reject(new RequestTimeoutError());
        }
      }, this.opts.requestTimeoutMs);
      this.waiters.set(p.counter, { resolve, reject, timer });
      this.proposals.push(p);
      this.scheduleFlush();
    });
  }

  /**
   * Wait until this member has applied everything committed when the call was made: reads
   * served after it are linearizable. Concurrent calls share one ReadIndex round.
   */
  readIndex(): Promise<void> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve: () => resolve(),
        reject,
        timer: setTimeout(() => this.settle(w, new RequestTimeoutError()), this.opts.requestTimeoutMs),
      };
      this.reads.push(w);
      this.scheduleFlush();
    });
  }

  /** Hand leadership to target; resolves once target leads. */
  async transferLeadership(target: number): Promise<void> {
    this.raw.transferLeadership(target);
    this.pump();
    const deadline = Date.now() + this.opts.electionMs * 3;
    while (this.lead !== target) {
      if (Date.now() > deadline) throw new LeaderTransferTimeoutError();
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
  }

  /** Campaign now (tests and bootstrap of a single member). */
  campaign(): void {
    this.raw.campaign();
    this.pump();
  }

  status(): { id: number; leader: number; term: number; role: StateType; commit: number; applied: number } {
    const s = this.raw.status();
    return { id: this.id, leader: s.lead, term: s.term, role: s.state, commit: s.commit, applied: this.applied };
  }

  leader(): number {
    return this.lead;
  }

  /** On the leader: where each follower's log stands (empty elsewhere). */
  progress(): ReadonlyMap<number, ProgressStatus> {
    return this.raw.status().progress;
  }

  currentTerm(): number {
    return this.term;
  }

  isLeader(): boolean {
    return this.role === "leader";
  }

  appliedIndex(): number {
    return this.applied;
  }

  confState(): ConfState {
    return this.raw.confState();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushProposals();
      this.flushReads();
      this.pump();
    });
  }

  private flushProposals(): void {
    const batch = this.proposals;
    if (batch.length === 0) return;
    this.proposals = [];
    // Normal proposals go to raft as one batch; a conf change travels alone, as raft accepts
    // one pending change at a time.
    const normal: { data: Uint8Array; counter: number }[] = [];
    for (const p of batch) {
      if (p.kind === "normal") normal.push(p);
      else this.submit([p.counter], () => this.raw.proposeConfChange(p.change));
    }
    if (normal.length > 0) {
      this.submit(normal.map((p) => p.counter), () => this.raw.proposeBatch(normal.map((p) => p.data)));
    }
  }

  private submit(counters: readonly number[], propose: () => void): void {
    try {
      propose();
    } catch (err) {
      const e = err instanceof ProposalDroppedError && err.reason === "no-leader" ? new NoLeaderError() : err;
      for (const c of counters) this.fail(c, e);
    }
  }

  private flushReads(): void {
    const batch = this.reads;
    if (batch.length === 0) return;
    this.reads = [];
    this.sendReadIndex(batch);
  }

  private sendReadIndex(waiters: Waiter[]): void {
    const ctx = ++this.readCounter;
    try {
      this.raw.readIndex(RequestId.readContext(ctx));
      this.readBatches.set(ctx, { waiters, sentAt: Date.now() });
    } catch (err) {
      const e = err instanceof ProposalDroppedError ? new NoLeaderError() : err;
      for (const w of waiters) this.settle(w, e);
    }
  }

  /**
   * A ReadIndex request or its answer can be lost (a peer stream reconnecting, a leader change):
   * ask again under a new context, as etcd's read loop does, until the caller's timeout.
   */
  private retryReads(): void {
    const due = Date.now() - this.readRetryMs;
    for (const [ctx, batch] of this.readBatches) {
      if (batch.sentAt > due) continue;
      this.readBatches.delete(ctx);
      const live = batch.waiters.filter((w) => !w.done);
      if (live.length > 0) this.sendReadIndex(live);
    }
  }

  private fail(counter: number, err: unknown): void {
    const w = this.waiters.get(counter);
    if (!w) return;
    this.waiters.delete(counter);
    this.opts.metrics?.proposalsFailed.inc();
    this.settle(w, err);
  }

  private settle(w: Waiter, errOrValue: unknown, ok = false): void {
    if (w.done) return;
    w.done = true;
    clearTimeout(w.timer);
    if (ok) w.resolve(errOrValue);
    else w.reject(errOrValue);
  }

  /** Carry out Readies one at a time until none is left. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (this.stopped || !this.raw.hasReady()) return;
    this.pumping = true;
    void this.drain().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.raw.hasReady()) {
      const rd = this.raw.ready();
      try {
        await this.handleReady(rd);
      } catch (err) {
        this.opts.logger.fatal({ err }, "cannot persist raft state; stopping");
        this.stopped = true;
        clearInterval(this.ticker);
        this.opts.onFatal(err);
        return;
      }
      this.raw.advance(rd);
      await this.maybeSnapshot();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.noteSoftState(rd.softState.lead, rd.softState.state);
    if (rd.hardState) {
      this.term = rd.hardState.term;
      this.commit = rd.hardState.commit;
    }
    // A leader's appends go out while it writes them itself: its own copy counts towards
    // commitment only after advance, so the two disk writes overlap instead of adding up.
    const sendFirst = rd.sendBeforePersist && rd.messages.length > 0;
    if (sendFirst) this.opts.network.send(rd.messages);
    let writing: Promise<void> | undefined;
    // A Ready that only moves the commit index is not written on its own: after a restart the
    // commit index is learned again from the leader, and the next write (entries, a new term or
    // vote, a snapshot of ours) carries it. That halves the writes of a busy leader.
    const commitOnly = rd.hardState !== undefined && !rd.mustSync && rd.entries.length === 0 && !rd.snapshot;
    if (commitOnly) {
      this.unsavedHardState = rd.hardState;
    } else if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      const durable: { hardState?: HardState; entries: readonly Entry[]; snapshot?: Snapshot } = { entries: rd.entries };
      const hardState = rd.hardState ?? this.unsavedHardState;
      if (hardState) durable.hardState = hardState;
      if (rd.snapshot) durable.snapshot = rd.snapshot;
      this.unsavedHardState = undefined;
      writing = this.opts.log.save(durable, { sync: rd.mustSync });
    }
    if (rd.snapshot) {
      // A snapshot replaces the state machine's image: install it only once it is on disk.
      await writing;
      this.applyReady(rd);
    } else {
      // Committed entries are on a quorum's disks already (a leader's own copy counts only
      // once written), so they are applied, and clients answered, while this write runs.
      try {
        this.applyReady(rd);
      } finally {
        await writing;
      }
    }
    if (!sendFirst && rd.messages.length > 0) this.opts.network.send(rd.messages);
  }

  private applyReady(rd: Ready): void {
    if (rd.snapshot) {
      this.opts.stateMachine.restore(rd.snapshot.data);
      this.applied = rd.snapshot.metadata.index;
      this.snapshotIndex = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) this.applyEntry(e);
    if (rd.committedEntries.length > 0 || rd.hardState) {
      this.opts.metrics?.proposalsCommitted.set(this.commit);
      this.opts.metrics?.proposalsApplied.set(this.applied);
    }
    for (const rs of rd.readStates) this.answerReadState(rs);
    this.releaseReads();
    this.opts.metrics?.proposalsPending.set(this.waiters.size);
  }

  private noteSoftState(lead: number, role: StateType): void {
    const changed = lead !== this.lead;
    this.lead = lead;
    this.role = role;
    const m = this.opts.metrics;
    m?.hasLeader.set(lead !== 0 ? 1 : 0);
    m?.isLeader.set(role === "leader" ? 1 : 0);
    if (changed) {
      if (lead !== 0) m?.leaderChanges.inc();
      const term = this.raw.status().term;
      this.opts.logger.info({ leader: lead.toString(16), term, role }, "leader changed");
      this.opts.onLeaderChange(lead, term);
    }
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    this.applied = e.index;
    if (e.type === "confChange") {
      const change = decodeConfChange(e.data);
      if (!change) return;
      const confState = this.raw.applyConfChange(change);
      const framed = RequestId.unframe(change.context ?? new Uint8Array(0));
      const plain: ConfChange = framed.payload.length > 0
        ? { type: change.type, nodeId: change.nodeId, context: framed.payload }
        : { type: change.type, nodeId: change.nodeId };
      const result = this.runApply(() => this.opts.stateMachine.applyConfChange(plain, confState, e.index));
      this.resolveProposal(framed, result);
      return;
    }
    if (e.data.length === 0) return; // a new leader's no-op
    const framed = RequestId.unframe(e.data);
    const result = this.runApply(() => this.opts.stateMachine.apply(framed.payload, e.index));
    this.resolveProposal(framed, result);
  }

  /** The state machine reports request errors as values; a throw is a bug, logged and returned. */
  private runApply(fn: () => unknown): unknown {
    try {
      return fn();
    } catch (err) {
      this.opts.logger.error({ err }, "state machine apply threw");
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private resolveProposal(framed: { member: number; nonce: number; counter: number }, result: unknown): void {
    if (!this.requestId.isOurs(framed)) return;
    const w = this.waiters.get(framed.counter);
    if (!w) return;
    this.waiters.delete(framed.counter);
    if (result instanceof Error) {
      this.settle(w, result);
    } else {
      this.settle(w, result, true);
    }
  }

  private answerReadState(rs: ReadState): void {
    const ctx = RequestId.readContextNumber(rs.requestCtx);
    const batch = ctx === undefined ? undefined : this.readBatches.get(ctx);
    if (!batch || ctx === undefined) return;
    this.readBatches.delete(ctx);
    this.readsAwaitingApply.push({ index: rs.index, waiters: batch.waiters });
  }

  private releaseReads(): void {
    if (this.readsAwaitingApply.length === 0) return;
    const still: { index: number; waiters: Waiter[] }[] = [];
    for (const b of this.readsAwaitingApply) {
      if (b.index <= this.applied) for (const w of b.waiters) this.settle(w, undefined, true);
      else still.push(b);
    }
    this.readsAwaitingApply = still;
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.applied - this.snapshotIndex < this.opts.snapshotCount) return;
    const storage = this.opts.log.storage;
    const index = this.applied;
    // The stored commit index must cover the snapshot, or a restart would find a committed
    // snapshot above what the hard state says is committed.
    const hardState = this.unsavedHardState;
    if (hardState !== undefined) {
      this.unsavedHardState = undefined;
      await this.opts.log.save({ hardState, entries: [] }, { sync: false });
    }
    const term = storage.term(index);
    const snapshot: Snapshot = {
      metadata: { index, term, confState: this.raw.confState() },
      data: this.opts.stateMachine.snapshot(),
    };
    await this.opts.log.saveSnapshot(snapshot);
    this.snapshotIndex = index;
    const compactTo = index - this.opts.catchUpEntries;
    if (compactTo > storage.firstIndex()) await this.opts.log.compact(compactTo);
    this.opts.logger.info({ index, compactedTo: Math.max(compactTo, storage.firstIndex() - 1) }, "snapshot saved");
  }
}
