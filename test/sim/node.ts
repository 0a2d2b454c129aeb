import { RawNode, decodeConfChange } from "../../internal/raft/index.js";
import type { Config, ConfChange, Entry, MemoryStorage, Message, ReadState, Ready, Snapshot } from "../../internal/raft/index.js";
import type { LogView } from "./checkers.js";
import { StateMachine } from "./state-machine.js";

/** Raft settings shared by every node of a run. */
export type NodeSettings = Omit<Config, "id" | "storage" | "applied">;

/** Watches every Ready a node carries out: the simulator's checkers. */
export interface ReadyObserver {
  /**
   * Step 1 is done: the Ready's snapshot, entries and hard state are in storage. `prevTerm` is
   * the term of the entry before rd.entries (undefined when compacted); `lastIndexBefore` the
   * last index before they were written, so an overwrite shows as rd.entries[0].index ≤ it.
   */
  persisted(node: SimNode, rd: Ready, prevTerm: number | undefined, lastIndexBefore: number): void;
  restored(node: SimNode, snapshot: Snapshot): void;
  applied(node: SimNode, entry: Entry, proposal: number | undefined): void;
  confChanged(node: SimNode, cc: ConfChange): void;
  readState(node: SimNode, rs: ReadState): void;
  /** A deferred advance was called. */
  advanced(node: SimNode): void;
  /** A Ready was applied, and its messages sent if allowed, before being persisted. */
  wroteBehind(node: SimNode, rd: Ready): void;
}

/**
 * One server: a RawNode, its MemoryStorage standing for the disk, and its state machine. A
 * crash drops everything but the storage, so whatever a Ready had not yet persisted is lost.
 */
export class SimNode {
  raw: RawNode | undefined = undefined;
  sm: StateMachine | undefined = undefined;
  /** Bumped at each start, so an acknowledgement is only credited to the life that proposed. */
  incarnation = 0;
  /** Removed from the configuration and shut down for good. */
  retired = false;
  /** The term this node leads, as last observed; 0 when it is not leader. */
  leaderTerm = 0;
  /**
   * How fast this node's clock runs, in (0, 1]: the share of the ticks drawn for it that it
   * takes. A slow clock lets a deposed leader believe for longer that it still leads.
   */
  clockRate = 1;
  /** A Ready carried out whose advance is deferred (see processReady). */
  private unacknowledged: Ready | undefined = undefined;
  /** A Ready applied (and perhaps sent) before its write, which the next processReady does. */
  private unpersisted: Ready | undefined = undefined;

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    private readonly settings: NodeSettings,
  ) {}

  get alive(): boolean {
    return this.raw !== undefined;
  }

  /** Start, or restart after a crash, from what storage holds. */
  start(): void {
    // The state machine restarts from the snapshot's image; raft then hands out again every
    // committed entry after it. The snapshot may sit above the first kept entry, so tell raft
    // where the image stands, or it would re-deliver entries the image already holds.
    const snapshot = this.storage.snapshot();
    this.sm = StateMachine.fromSnapshot(snapshot);
    this.raw = new RawNode({ ...this.settings, id: this.id, storage: this.storage, applied: snapshot.metadata.index });
    this.incarnation++;
    this.leaderTerm = 0;
  }

  crash(): void {
    this.raw = undefined;
    this.sm = undefined;
    this.unacknowledged = undefined;
    this.unpersisted = undefined;
    this.leaderTerm = 0;
  }

  /** Whether processReady has work: a Ready to carry out, or one to acknowledge. */
  hasReady(): boolean {
    return (
      this.raw !== undefined &&
      (this.unacknowledged !== undefined || this.unpersisted !== undefined || this.raw.hasReady())
    );
  }

  /**
   * Carry out one Ready in the order its contract requires; false when there was none. With
   * `deferAdvance`, advance waits for the next call, and the node keeps stepping meanwhile,
   * as with a disk that acknowledges writes asynchronously: raft must then cope with its log
   * changing between ready() and advance(). With `writeBehind`, the node does what raftnode's
   * driver does while its disk write runs: it sends the messages a leader may send first
   * (Ready.sendBeforePersist) and applies the committed entries now, and persists only at the
   * next call. A crash in between loses the write but not what was sent or acknowledged.
   */
  processReady(
    observer: ReadyObserver,
    send: (m: Message) => void,
    { deferAdvance = false, writeBehind = false }: { deferAdvance?: boolean; writeBehind?: boolean } = {},
  ): boolean {
    const raw = this.raw;
    if (raw === undefined) return false;
    if (this.unacknowledged !== undefined) {
      raw.advance(this.unacknowledged);
      this.unacknowledged = undefined;
      observer.advanced(this);
      return true;
    }
    const behind = this.unpersisted;
    if (behind !== undefined) {
      this.unpersisted = undefined;
      this.persist(behind, observer);
      if (!behind.sendBeforePersist) for (const m of behind.messages) send(m);
      this.acknowledge(raw, behind, deferAdvance);
      return true;
    }
    if (!raw.hasReady()) return false;
    const rd = raw.ready();
    // A snapshot replaces the state machine's image: keep that path strictly in order.
    if (writeBehind && rd.snapshot === undefined) {
      if (rd.sendBeforePersist) for (const m of rd.messages) send(m);
      this.apply(raw, rd, observer);
      this.unpersisted = rd;
      observer.wroteBehind(this, rd);
      return true;
    }
    this.persist(rd, observer);
    // The messages may promise what was just written.
    for (const m of rd.messages) send(m);
    this.apply(raw, rd, observer);
    this.acknowledge(raw, rd, deferAdvance);
    return true;
  }

  /** Snapshot, then entries, then hard state. */
  private persist(rd: Ready, observer: ReadyObserver): void {
    const storage = this.storage;
    if (rd.snapshot) storage.applySnapshot(rd.snapshot);
    const lastIndexBefore = storage.lastIndex();
    let prevTerm: number | undefined;
    const first = rd.entries[0];
    if (first !== undefined) {
      prevTerm = termOf(storage, first.index - 1);
      storage.append(rd.entries);
    }
    if (rd.hardState) storage.setHardState(rd.hardState);
    observer.persisted(this, rd, prevTerm, lastIndexBefore);
  }

  private apply(raw: RawNode, rd: Ready, observer: ReadyObserver): void {
    let sm = this.sm as StateMachine;
    if (rd.snapshot) {
      sm = StateMachine.fromSnapshot(rd.snapshot);
      this.sm = sm;
      observer.restored(this, rd.snapshot);
    }
    for (const e of rd.committedEntries) {
      if (e.type === "confChange") {
        const cc = decodeConfChange(e.data);
        if (cc !== undefined) {
          sm.confState = raw.applyConfChange(cc);
          observer.confChanged(this, cc);
        }
      }
      observer.applied(this, e, sm.apply(e));
    }
    for (const rs of rd.readStates) observer.readState(this, rs);
  }

  private acknowledge(raw: RawNode, rd: Ready, deferAdvance: boolean): void {
    if (deferAdvance) this.unacknowledged = rd;
    else raw.advance(rd);
  }

  /** The persisted log, which is the node's whole log right after a Ready. */
  logView(): LogView {
    const storage = this.storage;
    return {
      snapshotIndex: storage.firstIndex() - 1,
      lastIndex: storage.lastIndex(),
      termAt: (i) => termOf(storage, i),
    };
  }
}

function termOf(storage: MemoryStorage, i: number): number | undefined {
  if (i < storage.firstIndex() - 1 || i > storage.lastIndex()) return undefined;
  return storage.term(i);
}
