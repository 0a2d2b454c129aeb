import { mkdir } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Level } from "level";
import { MemoryStorage } from "../raft/index.js";
import type { Entry, HardState, Snapshot } from "../raft/index.js";
import { encodeEntry, encodeHardState, encodeSnapshot } from "../raftpb/index.js";
import { WalClosedError, WalError, WalRequestError } from "./errors.js";
import type { WalMetadata } from "./keys.js";
import {
  encodeMetadata,
  entryKey,
  formatVersion,
  hardStateKey,
  metaKey,
  snapshotDataKey,
  snapshotKey,
  versionKey,
} from "./keys.js";
import { restore } from "./restore.js";

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

/** Where the disk stands, as far as the queue has written it. */
interface DiskState {
  readonly versionWritten: boolean;
  readonly hasMetadata: boolean;
  /** Index of the saved snapshot, 0 when there is none. */
  readonly snapIndex: number;
  /** The lowest entry key on disk; lastIndex + 1 when there is none. */
  readonly firstEntry: number;
  readonly lastIndex: number;
}

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
        firstEntry: r.firstEntry,
        lastIndex: r.lastIndex,
      };
      const wal = new Wal(dir, db, storage, disk, r.metadata, opts);
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
   * saved snapshot, which covers what is deleted. Not synced: if the deletion is lost in a
   * crash, the stale entries are ignored at open and deleted by the next compaction.
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
    let disk = this.disk;
    let mirror: MirrorState = {
      offset: this.storage.firstIndex() - 1,
      snapIndex: this.storage.snapshot().metadata.index,
    };
    for (const job of group) {
      try {
        const plan = this.plan(job, disk, mirror);
        ops.push(...plan.ops);
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
      this.disk = disk;
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

  private plan(job: Job, disk: DiskState, mirror: MirrorState): { ops: Op[]; disk: DiskState; mirror: MirrorState } {
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

  private planSave(req: WalSave, disk: DiskState, mirror: MirrorState): { ops: Op[]; disk: DiskState; mirror: MirrorState } {
    const refuse = (msg: string): WalRequestError => new WalRequestError(this.dir, msg);
    const ops: Op[] = [];
    let { hasMetadata, snapIndex, firstEntry, lastIndex } = disk;
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
      // An installed snapshot replaces the whole log, as MemoryStorage.applySnapshot does.
      for (let i = firstEntry; i <= lastIndex; i++) ops.push({ type: "del", key: entryKey(i) });
      snapIndex = mirrorSnap = offset = lastIndex = index;
      firstEntry = index + 1;
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
        ops.push({ type: "put", key: entryKey(e.index), value: encodeEntry(e) });
      }
      const to = from + (req.entries.length - start) - 1;
      // Raft truncates a conflicting tail: the stale entries beyond the new last go too.
      for (let i = to + 1; i <= lastIndex; i++) ops.push({ type: "del", key: entryKey(i) });
      firstEntry = Math.min(firstEntry, from);
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
      disk: { versionWritten: disk.versionWritten, hasMetadata, snapIndex, firstEntry, lastIndex },
      mirror: { offset, snapIndex: mirrorSnap },
    };
  }

  private planSnapshot(snap: Snapshot, disk: DiskState, mirror: MirrorState): { ops: Op[]; disk: DiskState; mirror: MirrorState } {
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

  private planCompact(index: number, disk: DiskState, mirror: MirrorState): { ops: Op[]; disk: DiskState; mirror: MirrorState } {
    if (!Number.isSafeInteger(index) || index > disk.snapIndex) {
      throw new WalRequestError(
        this.dir,
        `cannot compact to ${index}: the saved snapshot is at ${disk.snapIndex}, and entries after it are the only copy`,
      );
    }
    const ops: Op[] = [];
    for (let i = disk.firstEntry; i <= Math.min(index, disk.lastIndex); i++) ops.push({ type: "del", key: entryKey(i) });
    return {
      ops,
      disk: { ...disk, firstEntry: Math.max(disk.firstEntry, index + 1) },
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
