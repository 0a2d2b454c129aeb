import { mkdir } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Level } from "level";
import { MemoryStorage } from "../raft/index.js";
import type { Entry, HardState, Snapshot } from "../raft/index.js";
import { encodeHardState, encodeSnapshot } from "../raftpb/index.js";
import { WalClosedError, WalError, WalRequestError } from "./errors.js";
import type { WalMetadata } from "./keys.js";
import {
  encodeMetadata,
  formatVersion,
  hardStateKey,
  metaKey,
  segmentKey,
  snapshotDataKey,
  snapshotKey,
  versionKey,
} from "./keys.js";
import { restore } from "./restore.js";
import { encodeSegment } from "./segment.js";

export interface WalOptions {
  /**
   * Called after every synced write with its duration in seconds, fsync included: one call per
   * fsync. Feeds etcd_disk_wal_fsync_duration_seconds. Default: none.
   */
  onSync?: (seconds: number) => void;
}

const defaultOptions: Required<WalOptions> = {
  onSync: () => {},
};

/** The durable parts of one Ready. A Ready itself fits: `wal.save(rd, { sync: rd.mustSync })`. */
export interface WalSave {
  readonly hardState?: HardState;
  /** New log entries; the first one replaces any stored entry at its index and all after. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: it replaces the whole log. */
  readonly snapshot?: Snapshot;
  /** The member's identity; given once, in the first save of a new directory. */
  readonly metadata?: WalMetadata;
}

export interface SaveOptions {
  /** fsync before resolving. Set it from Ready.mustSync; a vote or an entry must not be lost. */
  readonly sync: boolean;
}

export interface WalOpenResult {
  readonly wal: Wal;
  /** Raft's view of what was restored; the same object as wal.storage. */
  readonly storage: MemoryStorage;
  /** The directory held nothing: bootstrap the member, and save its metadata. */
  readonly isNew: boolean;
  readonly metadata: WalMetadata | undefined;
}

type Op =
  | { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "del"; readonly key: Uint8Array };

type Request = (
  | { readonly kind: "save"; readonly req: WalSave }
  | { readonly kind: "snapshot"; readonly snapshot: Snapshot }
  | { readonly kind: "compact"; readonly index: number }
  | { readonly kind: "close" }
) & { readonly sync: boolean };

type Job = Request & { readonly resolve: () => void; readonly reject: (err: unknown) => void };

/**
 * Where the disk stands, as far as the queue has written it. Its segments are Wal.segments;
 * a plan sees them through a SegmentView (PlanState).
 */
interface DiskState {
  readonly versionWritten: boolean;
  readonly hasMetadata: boolean;
  /** Index of the saved snapshot, 0 when there is none. */
  readonly snapIndex: number;
  readonly lastIndex: number;
}

/** A segment written by the group being planned; a list from the newest down, never changed. */
interface AddedSegment {
  readonly first: number;
  readonly below: AddedSegment | undefined;
}

/**
 * The segments as the group's plan leaves them, without copying Wal.segments (a member may hold
 * thousands): the committed ones at positions [lo, hi) still stand, then the group's own, all of
 * which start after committed[hi - 1]. A plan that is refused simply is not kept, so it leaves
 * no trace; the view is applied to Wal.segments only once the batch is written.
 */
interface SegmentView {
  readonly lo: number;
  readonly hi: number;
  readonly added: AddedSegment | undefined;
}

type PlanState = DiskState & SegmentView;

/** The mirror's shape before a batch, which decides how raft's requests are read. */
interface MirrorState {
  /** Entries at or below it are already compacted in memory (MemoryStorage drops them). */
  readonly offset: number;
  readonly snapIndex: number;
}

/**
 * Saves queued while a write is in flight are merged into one batch (one fsync for all), up to
 * this many bytes, so that a burst of large entries does not build one unbounded batch.
 */
const maxMergedBytes = 8 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * The durable raft state of one member on LevelDB: log entries, hard state and the latest
 * snapshot, plus the member's metadata. Raft reads the MemoryStorage mirror synchronously;
 * every change goes to disk first, in one atomic batch per request (or per merged group), and
 * reaches the mirror only after the write succeeded. Write to the mirror only through the WAL;
 * the one exception is storage.createSnapshot followed by saveSnapshot of its result.
 *
 * Requests run one at a time in call order. A failed write leaves the disk's state unknown, so
 * the WAL then refuses everything: restart and reopen.
 */
export class Wal {
  private readonly queue: Job[] = [];
  private running = false;
  private closed = false;
  private failure: WalClosedError | undefined = undefined;

  private constructor(
    readonly dir: string,
    private readonly db: Level<Uint8Array, Uint8Array>,
    readonly storage: MemoryStorage,
    private disk: DiskState,
    /**
     * The first index of every segment on disk, ascending. Segment k holds the log from
     * segments[k] to segments[k + 1] - 1 (the last one to disk.lastIndex); see keys.ts.
     */
    private readonly segments: number[],
    private meta: WalMetadata | undefined,
    private readonly options: Required<WalOptions>,
  ) {}

  /**
   * Open or create the WAL in dir and restore what it holds into a fresh MemoryStorage.
   * Throws WalCorruptError when the contents are inconsistent, WalError when the directory
   * cannot be opened (another process holds it, or permissions).
   */
  static async open(dir: string, options: WalOptions = {}): Promise<WalOpenResult> {
    const opts: Required<WalOptions> = { ...defaultOptions, ...options };
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new WalError(dir, `cannot create the directory: ${(err as Error).message}`, { cause: err });
    }
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    try {
      await db.open();
    } catch (err) {
      // level's own message is generic ("Database failed to open"); the reason is the cause.
      const cause = (err as Error).cause as Error | undefined;
      throw new WalError(dir, `cannot open: ${cause?.message ?? (err as Error).message}`, { cause: err });
    }
    try {
      const r = await restore(db, dir);
      const storage = new MemoryStorage();
      if (r.snapshot !== undefined) storage.applySnapshot(r.snapshot);
      storage.append(r.entries);
      if (r.hardState !== undefined) storage.setHardState(r.hardState);
      const disk: DiskState = {
        versionWritten: !r.isNew,
        hasMetadata: r.metadata !== undefined,
        snapIndex: r.snapshot?.metadata.index ?? 0,
        lastIndex: r.lastIndex,
      };
      const wal = new Wal(dir, db, storage, disk, [...r.segments], r.metadata, opts);
      return { wal, storage, isNew: r.isNew, metadata: r.metadata };
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The member's identity, once saved. */
  get metadata(): WalMetadata | undefined {
    return this.meta;
  }

  /**
   * Persist one Ready's snapshot, entries and hard state (and, the first time, the metadata) in
   * one batch, then update the mirror. Resolves once the batch is written, and fsynced when
   * options.sync: only then may the Ready's messages be sent.
   */
  save(req: WalSave, options: SaveOptions): Promise<void> {
    return this.enqueue({ kind: "save", req, sync: options.sync });
  }

  /**
   * Persist a snapshot the application made of its state at snapshot.metadata.index (an index
   * the log holds), keeping the entries: compact separately once followers no longer need them.
   * The mirror gets it too, unless storage.createSnapshot already recorded it. Synced by default,
   * since compaction relies on it.
   */
  saveSnapshot(snapshot: Snapshot, options: SaveOptions = { sync: true }): Promise<void> {
    return this.enqueue({ kind: "snapshot", snapshot, sync: options.sync });
  }

  /**
   * Delete entries up to and including index, from disk and the mirror. index must not pass the
   * saved snapshot, which covers what is deleted. On disk a segment goes once all it holds is
   * at or below index; one that straddles index stays, and its entries at or below the snapshot
   * are ignored at open. Not synced: if the deletion is lost in a crash, the stale entries are
   * ignored at open and deleted by the next compaction.
   */
  compact(index: number): Promise<void> {
    return this.enqueue({ kind: "compact", index, sync: false });
  }

  /** Finish queued requests, then close the database. Later calls are refused. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.enqueue({ kind: "close", sync: false });
    this.closed = true;
    return done;
  }

  private enqueue(request: Request): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new WalClosedError(this.dir, "closed"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      for (let group = this.takeGroup(); group.length > 0; group = this.takeGroup()) {
        await this.run(group);
      }
    } finally {
      this.running = false;
    }
  }

  /** The next request, with the saves queued right behind it when it is a save. */
  private takeGroup(): Job[] {
    const first = this.queue.shift();
    if (first === undefined) return [];
    if (first.kind !== "save") return [first];
    const group: Job[] = [first];
    let bytes = saveBytes(first.req);
    for (let next = this.queue[0]; next?.kind === "save" && bytes < maxMergedBytes; next = this.queue[0]) {
      bytes += saveBytes(next.req);
      group.push(next);
      this.queue.shift();
    }
    return group;
  }

  private async run(group: Job[]): Promise<void> {
    const [first] = group;
    if (first === undefined) return;
    if (this.failure !== undefined) {
      for (const job of group) job.reject(this.failure);
      return;
    }
    if (first.kind === "close") {
      try {
        await this.db.close();
        first.resolve();
      } catch (err) {
        first.reject(new WalError(this.dir, `close failed: ${(err as Error).message}`, { cause: err }));
      }
      return;
    }

    // Plan every request against the disk as the earlier ones leave it. A refused request is
    // answered alone and leaves no trace in the batch.
    const ops: Op[] = [];
    const accepted: Job[] = [];
    let disk: PlanState = { ...this.disk, lo: 0, hi: this.segments.length, added: undefined };
    let mirror: MirrorState = {
      offset: this.storage.firstIndex() - 1,
      snapIndex: this.storage.snapshot().metadata.index,
    };
    for (const job of group) {
      try {
        const plan = this.plan(job, disk, mirror);
        // Not ops.push(...plan.ops): an installed snapshot may delete thousands of segments.
        for (const op of plan.ops) ops.push(op);
        disk = plan.disk;
        mirror = plan.mirror;
        accepted.push(job);
      } catch (err) {
        job.reject(err);
      }
    }
    if (accepted.length === 0) return;
    if (!disk.versionWritten) {
      ops.unshift({ type: "put", key: versionKey, value: Uint8Array.of(formatVersion) });
      disk = { ...disk, versionWritten: true };
    }

    const sync = accepted.some((j) => j.sync);
    try {
      const start = performance.now();
      await this.db.batch(ops, { sync });
      if (sync) this.options.onSync((performance.now() - start) / 1000);
      const { lo, hi, added, ...written } = disk;
      this.disk = written;
      this.commitSegments({ lo, hi, added });
      for (const job of accepted) this.applyToMirror(job);
    } catch (err) {
      this.fail(err, accepted);
      return;
    }
    for (const job of accepted) job.resolve();
  }

  /** After a failed write, nothing is known about the disk: refuse everything from now on. */
  private fail(err: unknown, inFlight: readonly Job[]): void {
    this.failure = new WalClosedError(this.dir, `a write failed, the WAL is unusable until reopened: ${(err as Error).message}`, {
      cause: err,
    });
    for (const job of inFlight) job.reject(this.failure);
    for (const job of this.queue.splice(0)) job.reject(this.failure);
    this.closed = true;
    void this.db.close().catch(() => {});
  }

  /** Make the written view the committed list: drop what the plan deleted, add what it wrote. */
  private commitSegments(view: SegmentView): void {
    const s = this.segments;
    s.length = view.hi;
    // Only a compaction or an installed snapshot raises lo; both are rare (once per snapshot),
    // so this shift of the whole list is not paid per save.
    if (view.lo > 0) s.splice(0, view.lo);
    const added: number[] = [];
    for (let a = view.added; a !== undefined; a = a.below) added.push(a.first);
    // The list runs newest first.
    for (let k = added.length - 1; k >= 0; k--) s.push(added[k] as number);
  }

  private plan(job: Job, disk: PlanState, mirror: MirrorState): Plan {
    switch (job.kind) {
      case "save":
        return this.planSave(job.req, disk, mirror);
      case "snapshot":
        return this.planSnapshot(job.snapshot, disk, mirror);
      case "compact":
        return this.planCompact(job.index, disk, mirror);
      case "close":
        throw new Error("wal: close is never planned");
    }
  }

  private planSave(req: WalSave, disk: PlanState, mirror: MirrorState): Plan {
    const refuse = (msg: string): WalRequestError => new WalRequestError(this.dir, msg);
    const ops: Op[] = [];
    let { hasMetadata, snapIndex, lastIndex, lo, hi, added } = disk;
    let { offset, snapIndex: mirrorSnap } = mirror;

    if (req.metadata !== undefined) {
      if (hasMetadata) throw refuse("metadata was already saved; it is written once, when the member is created");
      let value: Uint8Array;
      try {
        value = encodeMetadata(req.metadata);
      } catch (err) {
        throw new WalRequestError(this.dir, (err as Error).message, { cause: err });
      }
      ops.push({ type: "put", key: metaKey, value });
      hasMetadata = true;
    }

    if (req.snapshot !== undefined) {
      const { index } = req.snapshot.metadata;
      const newest = Math.max(snapIndex, mirrorSnap);
      if (!Number.isSafeInteger(index) || index <= newest) {
        throw refuse(`snapshot at ${index} is not newer than the one at ${newest}`);
      }
      ops.push(...snapshotOps(req.snapshot));
      // An installed snapshot replaces the whole log, as MemoryStorage.applySnapshot does: every
      // segment goes, including those put earlier in this batch (a batch applies in order).
      for (let a = added; a !== undefined; a = a.below) ops.push({ type: "del", key: segmentKey(a.first) });
      for (let k = lo; k < hi; k++) ops.push({ type: "del", key: segmentKey(this.segments[k] as number) });
      added = undefined;
      lo = hi;
      snapIndex = mirrorSnap = offset = lastIndex = index;
    }

    // Entries the mirror has compacted are committed and already held; raft does not resend
    // them, and MemoryStorage.append drops them, so they are dropped here too.
    let start = 0;
    while (start < req.entries.length && (req.entries[start] as Entry).index <= offset) start++;
    const head = req.entries[start];
    if (head !== undefined) {
      const from = head.index;
      if (from > lastIndex + 1) {
        throw refuse(`entries start at ${from} but the log ends at ${lastIndex}: ${lastIndex + 1}..${from - 1} would be missing`);
      }
      if (from <= snapIndex) {
        throw refuse(`entry ${from} would replace an entry the snapshot at ${snapIndex} already covers`);
      }
      for (let k = start; k < req.entries.length; k++) {
        const e = req.entries[k] as Entry;
        if (e.index !== from + (k - start)) throw refuse(`entries are not consecutive at ${e.index}`);
      }
      const to = from + (req.entries.length - start) - 1;
      // Raft truncates a conflicting tail: the segments starting at or after `from` go. They are
      // the newest ones (first indexes ascend), the group's own before the committed ones. The
      // one keyed `from` itself is overwritten by the put below. A segment starting before
      // `from` keeps its stale tail, which the new segment supersedes at open.
      for (; added !== undefined && added.first >= from; added = added.below) {
        if (added.first !== from) ops.push({ type: "del", key: segmentKey(added.first) });
      }
      if (added === undefined) {
        for (; hi > lo && (this.segments[hi - 1] as number) >= from; hi--) {
          const first = this.segments[hi - 1] as number;
          if (first !== from) ops.push({ type: "del", key: segmentKey(first) });
        }
      }
      ops.push({ type: "put", key: segmentKey(from), value: encodeSegment(req.entries, start) });
      added = { first: from, below: added };
      lastIndex = to;
    }

    if (req.hardState !== undefined) {
      // Open treats a commit past the log as lost entries; refuse to write that state at all.
      if (req.hardState.commit > lastIndex) {
        throw refuse(`hard state commit ${req.hardState.commit} is past the last index ${lastIndex}`);
      }
      ops.push({ type: "put", key: hardStateKey, value: encodeHardState(req.hardState) });
    }
    return {
      ops,
      disk: { versionWritten: disk.versionWritten, hasMetadata, snapIndex, lastIndex, lo, hi, added },
      mirror: { offset, snapIndex: mirrorSnap },
    };
  }

  private planSnapshot(snap: Snapshot, disk: PlanState, mirror: MirrorState): Plan {
    const { index, term } = snap.metadata;
    if (!Number.isSafeInteger(index) || index <= disk.snapIndex) {
      throw new WalRequestError(this.dir, `snapshot at ${index} is not newer than the saved one at ${disk.snapIndex}`);
    }
    if (index > disk.lastIndex) {
      throw new WalRequestError(this.dir, `snapshot at ${index} is past the last index ${disk.lastIndex}`);
    }
    // Entries after the saved snapshot are never compacted, so the mirror holds this one; the
    // mirror is current here, since a snapshot request is never merged with others.
    let logTerm: number;
    try {
      logTerm = this.storage.term(index);
    } catch (err) {
      throw new WalRequestError(this.dir, `snapshot at ${index}: ${(err as Error).message}`, { cause: err });
    }
    if (logTerm !== term) {
      throw new WalRequestError(this.dir, `snapshot at ${index} has term ${term} but the log has term ${logTerm} there`);
    }
    return {
      ops: snapshotOps(snap),
      disk: { ...disk, snapIndex: index },
      mirror: { ...mirror, snapIndex: Math.max(mirror.snapIndex, index) },
    };
  }

  private planCompact(index: number, disk: PlanState, mirror: MirrorState): Plan {
    if (!Number.isSafeInteger(index) || index > disk.snapIndex) {
      throw new WalRequestError(
        this.dir,
        `cannot compact to ${index}: the saved snapshot is at ${disk.snapIndex}, and entries after it are the only copy`,
      );
    }
    if (disk.added !== undefined) throw new Error("wal: a compaction is planned alone, after the group that wrote segments");
    // A segment goes when all it holds (up to the next segment's first index - 1, or the last
    // index) is at or below index. One that straddles index stays whole: open ignores the
    // entries at or below the snapshot, and a later compaction deletes it.
    const ops: Op[] = [];
    let lo = disk.lo;
    for (; lo < disk.hi; lo++) {
      const next = this.segments[lo + 1];
      const last = lo + 1 < disk.hi && next !== undefined ? next - 1 : disk.lastIndex;
      if (last > index) break;
      ops.push({ type: "del", key: segmentKey(this.segments[lo] as number) });
    }
    return {
      ops,
      disk: { ...disk, lo },
      mirror: { ...mirror, offset: Math.max(mirror.offset, index) },
    };
  }

  private applyToMirror(job: Job): void {
    const s = this.storage;
    switch (job.kind) {
      case "save": {
        const { req } = job;
        if (req.metadata !== undefined) this.meta = req.metadata;
        if (req.snapshot !== undefined) s.applySnapshot(req.snapshot);
        s.append(req.entries);
        if (req.hardState !== undefined) s.setHardState(req.hardState);
        return;
      }
      case "snapshot": {
        const { index, confState } = job.snapshot.metadata;
        if (s.snapshot().metadata.index < index) s.createSnapshot(index, confState, job.snapshot.data);
        return;
      }
      case "compact":
        if (job.index > s.firstIndex() - 1) s.compact(job.index);
        return;
      case "close":
        return;
    }
  }
}

interface Plan {
  readonly ops: Op[];
  readonly disk: PlanState;
  readonly mirror: MirrorState;
}

/** The snapshot's metadata and its data under separate keys, so its image is one plain value. */
function snapshotOps(snap: Snapshot): Op[] {
  return [
    { type: "put", key: snapshotKey, value: encodeSnapshot({ metadata: snap.metadata, data: EMPTY }) },
    { type: "put", key: snapshotDataKey, value: snap.data },
  ];
}

function saveBytes(req: WalSave): number {
  let n = req.snapshot?.data.length ?? 0;
  for (const e of req.entries) n += e.data.length;
  return n;
}
