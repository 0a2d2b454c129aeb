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
    this.leaderTerm = 0;
  }

  /** Whether processReady has work: a Ready to carry out, or one to acknowledge. */
  hasReady(): boolean {
    return this.raw !== undefined && (this.unacknowledged !== undefined || this.raw.hasReady());
  }

  /**
   * Carry out one Ready in the order its contract requires; false when there was none. With
   * `deferAdvance`, advance waits for the next call, and the node keeps stepping meanwhile,
   * as with a disk that acknowledges writes asynchronously: raft must then cope with its log
   * changing between ready() and advance().
   */
  processReady(observer: ReadyObserver, send: (m: Message) => void, deferAdvance = false): boolean {
    const raw = this.raw;
    if (raw === undefined) return false;
    if (this.unacknowledged !== undefined) {
      raw.advance(this.unacknowledged);
      this.unacknowledged = undefined;
      observer.advanced(this);
      return true;
    }
    if (!raw.hasReady()) return false;
    const rd = raw.ready();
    const storage = this.storage;

    // 1. Persist: snapshot, then entries, then hard state.
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

    // 2. Send: the messages may promise what step 1 wrote.
    for (const m of rd.messages) send(m);

    // 3. Apply.
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

    // 4. Acknowledge.
    if (deferAdvance) this.unacknowledged = rd;
    else raw.advance(rd);
    return true;
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
