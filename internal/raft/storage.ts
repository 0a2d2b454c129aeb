import { CompactedError, SnapshotOutOfDateError, UnavailableError } from "./errors.js";
import type { ConfState, Entry, HardState, Snapshot } from "./types.js";
import { limitSize } from "./util.js";

/**
 * The raft core's read-only view of stable storage. The driver writes (append, hard state,
 * snapshots, compaction) on the concrete implementation after each Ready; the core only reads.
 * Every method is synchronous: durable implementations keep the log's tail in memory.
 */
export interface Storage {
  /** The persisted hard state and configuration, read once at start. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxSize bytes but always at least one when any exist. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i; i may be firstIndex()-1 (the snapshot's last entry). */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry still held; entries before it were compacted into the snapshot. */
  firstIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

const emptyConfState: ConfState = { voters: [], learners: [] };
const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };
const EMPTY = new Uint8Array(0);

/**
 * Storage in memory: the reference implementation, used by tests, the simulator and (behind a
 * write-ahead log) by the real driver.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState;
  private snap: Snapshot = {
    metadata: { index: 0, term: 0, confState: emptyConfState },
    data: EMPTY,
  };
  /** ents[0] is a dummy standing for the snapshot's last entry (index, term). */
  private ents: Entry[] = [{ term: 0, index: 0, type: "normal", data: EMPTY }];

  /**
   * The storage of a founding member of a new cluster: a snapshot at index 1, term 1 holds the
   * initial configuration, and is committed. Members added later start from an empty storage and
   * receive that snapshot (the leader cannot send entries before index 2), so they learn the
   * founding voters before they replay the conf changes that followed.
   */
  static bootstrap(confState: ConfState, data: Uint8Array = EMPTY): MemoryStorage {
    const s = new MemoryStorage();
    s.applySnapshot({ metadata: { index: 1, term: 1, confState }, data });
    s.hardState = { term: 1, vote: 0, commit: 1 };
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const offset = this.offset();
    if (i < offset) throw new CompactedError(i);
    const e = this.ents[i - offset];
    if (e === undefined) throw new UnavailableError(i);
    return e.term;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replace everything with the snapshot (a follower installing the leader's image). */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (snap.metadata.index <= current) {
      throw new SnapshotOutOfDateError(snap.metadata.index, current);
    }
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: "normal", data: EMPTY }];
  }

  /** Record the state machine's image at index i (i must not be past the last entry). */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.snap.metadata.index;
    if (i <= current) throw new SnapshotOutOfDateError(i, current);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    this.snap = { metadata: { index: i, term: this.term(i), confState }, data };
    return this.snap;
  }

  /** Discard entries up to and including i; i must be covered by the snapshot's index or the log. */
  compact(i: number): void {
    const offset = this.offset();
    if (i <= offset) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    const dummy = this.ents[i - offset] as Entry;
    const rest = this.ents.slice(i - offset + 1);
    this.ents = [{ term: dummy.term, index: dummy.index, type: "normal", data: EMPTY }];
    for (const e of rest) this.ents.push(e);
  }

  /** Append entries, replacing any existing ones from the first new index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const offset = this.offset();
    // Entries already compacted away are dropped from the front.
    let start = 0;
    if (first.index <= offset) start = offset + 1 - first.index;
    if (start >= entries.length) return;
    const from = (entries[start] as Entry).index;
    if (from > this.lastIndex() + 1) {
      throw new UnavailableError(from, { cause: `missing entries after ${this.lastIndex()}` });
    }
    this.ents.length = from - offset;
    for (let k = start; k < entries.length; k++) this.ents.push(entries[k] as Entry);
  }
}
