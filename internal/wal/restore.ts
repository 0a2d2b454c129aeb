import type { Level } from "level";
import type { Entry, HardState, Snapshot } from "../raft/index.js";
import { decodeEntry, decodeHardState, decodeSnapshot } from "../raftpb/index.js";
import { WalCorruptError, WalError } from "./errors.js";
import type { WalMetadata } from "./keys.js";
import {
  decodeMetadata,
  formatVersion,
  hardStateKey,
  metaKey,
  segmentKey,
  segmentKeyIndex,
  snapshotDataKey,
  snapshotKey,
  v1EntryKey,
  v1EntryKeyIndex,
  v1FormatVersion,
  versionKey,
} from "./keys.js";
import { decodeSegment, joinEntryBytes, SegmentDecodeError } from "./segment.js";

/** Everything a directory holds, checked for consistency. */
export interface Restored {
  /** Nothing was ever written. */
  readonly isNew: boolean;
  readonly metadata: WalMetadata | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  /** The entries after the snapshot: what raft's log holds beyond it. */
  readonly entries: readonly Entry[];
  /**
   * The first indexes of the segments on disk, ascending (after a migration, of the one segment
   * it wrote). The first may lie at or below the snapshot when compaction is pending.
   */
  readonly segments: readonly number[];
  /** The last index the log covers, by entry or by snapshot. */
  readonly lastIndex: number;
}

type Corrupt = (index: number | undefined, msg: string, cause?: unknown) => WalCorruptError;

/** A key that names an index, with its value, in key order. */
type Indexed = readonly [index: number, value: Uint8Array];

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Reads the whole database once, in key order, and checks its shape. A directory of layout
 * version 1 is migrated to the current layout before this returns.
 */
export async function restore(db: Level<Uint8Array, Uint8Array>, dir: string): Promise<Restored> {
  const corrupt: Corrupt = (index, msg, cause) => new WalCorruptError(dir, index, msg, cause === undefined ? undefined : { cause });

  // Values are decoded only once the version is known: the version key sorts last, and a newer
  // layout's values should be refused as such rather than reported as damage.
  const segmentValues: Indexed[] = [];
  const v1Values: Indexed[] = [];
  let version: Uint8Array | undefined;
  let metaBytes: Uint8Array | undefined;
  let hardStateBytes: Uint8Array | undefined;
  let snapshotBytes: Uint8Array | undefined;
  let snapshotData: Uint8Array | undefined;
  let keys = 0;

  for await (const [key, value] of db.iterator()) {
    keys++;
    const segmentFirst = segmentKeyIndex(key);
    const v1Index = segmentFirst === undefined ? v1EntryKeyIndex(key) : undefined;
    if (segmentFirst !== undefined) segmentValues.push([segmentFirst, value]);
    else if (v1Index !== undefined) v1Values.push([v1Index, value]);
    else if (sameBytes(key, versionKey)) version = value;
    else if (sameBytes(key, metaKey)) metaBytes = value;
    else if (sameBytes(key, hardStateKey)) hardStateBytes = value;
    else if (sameBytes(key, snapshotKey)) snapshotBytes = value;
    else if (sameBytes(key, snapshotDataKey)) snapshotData = value;
    else throw corrupt(undefined, `unknown key ${Buffer.from(key).toString("hex")}`);
  }

  if (keys === 0) {
    return {
      isNew: true,
      metadata: undefined,
      hardState: undefined,
      snapshot: undefined,
      entries: [],
      segments: [],
      lastIndex: 0,
    };
  }
  if (version === undefined || version.length !== 1) {
    throw corrupt(undefined, "the layout version key is missing or malformed (not a raftplane WAL?)");
  }
  if (version[0] !== formatVersion && version[0] !== v1FormatVersion) {
    throw new WalError(dir, `layout version ${version[0]} is not one this binary reads (${v1FormatVersion}, migrated at open, or ${formatVersion})`);
  }
  const isV1 = version[0] === v1FormatVersion;
  // Each layout has one kind of log key; the migration swaps them in one atomic batch.
  const [stray] = isV1 ? segmentValues : v1Values;
  if (stray !== undefined) {
    throw corrupt(stray[0], `a ${isV1 ? "segment" : "layout-1 entry"} key at ${stray[0]} in a directory of layout version ${version[0]}`);
  }
  const all = isV1 ? readV1Entries(v1Values, corrupt) : readSegments(segmentValues, corrupt);

  let metadata: WalMetadata | undefined;
  if (metaBytes !== undefined) {
    metadata = decodeMetadata(metaBytes);
    if (metadata === undefined) throw corrupt(undefined, "metadata does not decode");
  }

  let hardState: HardState | undefined;
  if (hardStateBytes !== undefined) {
    try {
      hardState = decodeHardState(hardStateBytes);
    } catch (err) {
      throw corrupt(undefined, "hard state does not decode", err);
    }
  }

  // The snapshot and its data are written in one batch, so one without the other is damage.
  if ((snapshotBytes === undefined) !== (snapshotData === undefined)) {
    throw corrupt(undefined, "the snapshot and its data are not both present");
  }
  let snapshot: Snapshot | undefined;
  if (snapshotBytes !== undefined && snapshotData !== undefined) {
    let decoded: Snapshot;
    try {
      decoded = decodeSnapshot(snapshotBytes);
    } catch (err) {
      throw corrupt(undefined, "snapshot metadata does not decode", err);
    }
    if (decoded.metadata.index === 0) throw corrupt(0, "the snapshot has index 0");
    snapshot = { metadata: decoded.metadata, data: snapshotData };
  }

  const snapIndex = snapshot?.metadata.index ?? 0;
  const first = all[0];
  const last = all[all.length - 1];
  if (first !== undefined && last !== undefined) {
    if (first.index > snapIndex + 1) {
      throw corrupt(snapIndex + 1, `entries ${snapIndex + 1}..${first.index - 1} are missing between the snapshot at ${snapIndex} and the first entry`);
    }
    // Entries at or below the snapshot are kept only until compaction, and then they reach up
    // to it: a snapshot is saved at an index the log holds, and an installed snapshot removes
    // every entry. A run that stops short of the snapshot was never written this way.
    if (last.index < snapIndex) {
      throw corrupt(first.index, `entries ${first.index}..${last.index} lie below the snapshot at ${snapIndex} and should not be there`);
    }
    const atSnapshot = all[snapIndex - first.index];
    if (snapshot !== undefined && atSnapshot !== undefined && atSnapshot.term !== snapshot.metadata.term) {
      throw corrupt(snapIndex, `entry ${snapIndex} has term ${atSnapshot.term} but the snapshot there has term ${snapshot.metadata.term}`);
    }
  }
  const entries = all.filter((e) => e.index > snapIndex);
  const after = entries[0];
  if (snapshot !== undefined && after !== undefined && after.term < snapshot.metadata.term) {
    throw corrupt(after.index, `entry ${after.index} has term ${after.term}, below the snapshot's term ${snapshot.metadata.term}`);
  }
  const lastIndex = Math.max(snapIndex, last?.index ?? 0);
  if (hardState !== undefined && hardState.commit > lastIndex) {
    throw corrupt(hardState.commit, `the hard state's commit ${hardState.commit} is past the last index ${lastIndex}: committed entries were lost`);
  }
  // Migrate only a directory that passed every check: the migration keeps what is there.
  if (isV1) await migrateV1(db, dir, v1Values);
  return {
    isNew: false,
    metadata,
    hardState,
    snapshot,
    entries,
    segments: isV1 ? (first === undefined ? [] : [first.index]) : segmentValues.map(([index]) => index),
    lastIndex,
  };
}

/**
 * The log the segments hold: each segment replaces the log from its first index on (see
 * keys.ts), so the result is every segment's entries up to the next segment's first index.
 */
function readSegments(segments: readonly Indexed[], corrupt: Corrupt): Entry[] {
  const log: Entry[] = [];
  for (const [first, value] of segments) {
    const base = log[0]?.index;
    if (base !== undefined) {
      // Key order is index order, so first > base: the truncation keeps at least one entry.
      const next = base + log.length;
      if (first > next) throw corrupt(next, `entries ${next}..${first - 1} are missing (gap after ${next - 1})`);
      log.length = first - base;
    }
    let decoded: Entry[];
    try {
      decoded = decodeSegment(value, first);
    } catch (err) {
      if (err instanceof SegmentDecodeError) throw corrupt(err.index, err.message, err.cause);
      throw err;
    }
    for (const e of decoded) {
      const prev = log[log.length - 1];
      if (prev !== undefined && e.term < prev.term) {
        throw corrupt(e.index, `entry ${e.index} has term ${e.term}, below ${prev.term} of entry ${prev.index}`);
      }
      log.push(e);
    }
  }
  return log;
}

/** The log of a layout-1 directory: one entry per key, in index order with no holes. */
function readV1Entries(values: readonly Indexed[], corrupt: Corrupt): Entry[] {
  const all: Entry[] = [];
  for (const [index, value] of values) {
    let e: Entry;
    try {
      e = decodeEntry(value);
    } catch (err) {
      throw corrupt(index, `entry ${index} does not decode`, err);
    }
    if (e.index !== index) throw corrupt(index, `the value under entry key ${index} is entry ${e.index}`);
    const prev = all[all.length - 1];
    if (prev !== undefined) {
      // The scan is in index order, so anything but the next index is a hole in the log.
      if (index !== prev.index + 1) {
        throw corrupt(prev.index + 1, `entries ${prev.index + 1}..${index - 1} are missing (gap after ${prev.index})`);
      }
      if (e.term < prev.term) throw corrupt(index, `entry ${index} has term ${e.term}, below ${prev.term} of entry ${prev.index}`);
    }
    all.push(e);
  }
  return all;
}

/**
 * Rewrites a checked layout-1 directory as layout 2: its entries (already-encoded raftpb Entries,
 * reused as they are) become one segment, and the entry keys go, in one synced batch with the
 * new version. The batch is atomic, so a crash leaves either layout whole; a failure leaves
 * layout 1, and the next open tries again.
 */
async function migrateV1(db: Level<Uint8Array, Uint8Array>, dir: string, values: readonly Indexed[]): Promise<void> {
  const ops: ({ type: "del"; key: Uint8Array } | { type: "put"; key: Uint8Array; value: Uint8Array })[] = [];
  for (const [index] of values) ops.push({ type: "del", key: v1EntryKey(index) });
  const [first] = values;
  if (first !== undefined) ops.push({ type: "put", key: segmentKey(first[0]), value: joinEntryBytes(values.map(([, value]) => value)) });
  ops.push({ type: "put", key: versionKey, value: Uint8Array.of(formatVersion) });
  try {
    await db.batch(ops, { sync: true });
  } catch (err) {
    throw new WalError(dir, `migrating layout version ${v1FormatVersion} to ${formatVersion} failed: ${(err as Error).message}`, { cause: err });
  }
}
