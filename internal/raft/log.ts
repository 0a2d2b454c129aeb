import { CompactedError, UnavailableError } from "./errors.js";
import type { Storage } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";
import { limitSize } from "./util.js";

/**
 * Entries and a snapshot received but not yet written to stable storage. Entries are
 * [offset, offset + entries.length); a snapshot, when present, precedes them.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const s = this.snapshot;
      return s && s.metadata.index === i ? s.metadata.term : undefined;
    }
    return this.entries[i - this.offset]?.term;
  }

  /** Entries up to (i, t) are now stable: drop them, unless they were replaced meanwhile. */
  stableTo(i: number, t: number): boolean {
    if (i < this.offset || this.maybeTerm(i) !== t) return false;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    return true;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = (ents[0] as Entry).index;
    const end = this.offset + this.entries.length;
    if (after === end) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replace everything: the storage's own tail is overwritten when these are persisted.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      for (const e of ents) this.entries.push(e);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

/** The log as raft sees it: stable storage followed by the unstable tail. */
export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index handed to the application to apply. */
  applied: number;

  constructor(readonly storage: Storage) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.maybeTerm(this.lastIndex()) ?? 0;
  }

  /** Term of entry i, or undefined when i is compacted away or past the end. */
  maybeTerm(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  matchTerm(i: number, t: number): boolean {
    return this.maybeTerm(i) === t;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, term) at least as up to date as ours? */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Append ents after (index, logTerm) if our log matches there. Returns the last index of the
   * new entries, or undefined on a mismatch (the leader must back up). Conflicting entries are
   * truncated; committed ones are never touched (a message that would is refused).
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) return undefined;
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Index of the first entry in ents whose term differs from ours (or is new), else 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The last index ≤ index whose term is ≤ term, with that term: a follower's hint telling the
   * leader where our logs may match, so that it skips a whole term per round trip.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= 0; i--) {
      const t = this.maybeTerm(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Entries from lo to the end, within maxSize bytes (at least one). */
  entries(lo: number, maxSize: number): Entry[] {
    const last = this.lastIndex();
    if (lo > last) return [];
    return this.slice(lo, last + 1, maxSize);
  }

  /** Entries in [lo, hi); throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (lo === hi) return [];
    const uOffset = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < uOffset) {
      ents = this.storage.entries(lo, Math.min(hi, uOffset), maxSize);
      // The storage stopped early because of the size limit: do not reach into unstable.
      if (ents.length < Math.min(hi, uOffset) - lo) return ents;
    }
    if (hi > uOffset) {
      const tail = this.unstable.slice(Math.max(lo, uOffset), hi);
      ents = ents.length > 0 ? ents.concat(tail) : tail;
    }
    return limitSize(ents, maxSize);
  }

  commitTo(c: number): void {
    // Never beyond what we hold: a commit index past our log is a peer's error, not a promise.
    if (c > this.committed && c <= this.lastIndex()) this.committed = c;
  }

  appliedTo(i: number): void {
    if (i > this.applied && i <= this.committed) this.applied = i;
  }

  hasNextCommittedEnts(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  nextCommittedEnts(maxSize: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed < lo) return [];
    return this.slice(lo, this.committed + 1, maxSize);
  }

  /** Entries up to (i, t) are on disk; false when they were replaced meanwhile. */
  stableTo(i: number, t: number): boolean {
    return this.unstable.stableTo(i, t);
  }

  /** The last index of the log that is on disk, or 0 while a snapshot waits to be written. */
  stableLastIndex(): number {
    return this.unstable.snapshot === undefined ? this.unstable.offset - 1 : 0;
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Replace the log with a snapshot (a follower far behind). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** The snapshot to send: the unstable one if any, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
