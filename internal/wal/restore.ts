import type { Level } from "level";
import type { Entry, HardState, Snapshot } from "../raft/index.js";
import { decodeEntry, decodeHardState, decodeSnapshot } from "../raftpb/index.js";
import { WalCorruptError, WalError } from "./errors.js";
import type { WalMetadata } from "./keys.js";
import {
  decodeMetadata,
  entryKeyIndex,
  formatVersion,
  hardStateKey,
  metaKey,
  snapshotDataKey,
  snapshotKey,
  versionKey,
} from "./keys.js";

/** Everything a directory holds, checked for consistency. */
export interface Restored {
  /** Nothing was ever written. */
  readonly isNew: boolean;
  readonly metadata: WalMetadata | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  /** The entries after the snapshot: what raft's log holds beyond it. */
  readonly entries: readonly Entry[];
  /** The lowest entry index on disk, which may lie at or below the snapshot when compaction is pending; lastIndex + 1 when there are none. */
  readonly firstEntry: number;
  /** The last index the log covers, by entry or by snapshot. */
  readonly lastIndex: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Reads the whole database once, in key order (entries first), and checks its shape. */
export async function restore(db: Level<Uint8Array, Uint8Array>, dir: string): Promise<Restored> {
  const corrupt = (index: number | undefined, msg: string, cause?: unknown): WalCorruptError =>
    new WalCorruptError(dir, index, msg, cause === undefined ? undefined : { cause });

  const all: Entry[] = [];
  let version: Uint8Array | undefined;
  let metaBytes: Uint8Array | undefined;
  let hardStateBytes: Uint8Array | undefined;
  let snapshotBytes: Uint8Array | undefined;
  let snapshotData: Uint8Array | undefined;
  let keys = 0;

  for await (const [key, value] of db.iterator()) {
    keys++;
    const index = entryKeyIndex(key);
    if (index !== undefined) {
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
    } else if (sameBytes(key, versionKey)) version = value;
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
      firstEntry: 1,
      lastIndex: 0,
    };
  }
  if (version === undefined || version.length !== 1) {
    throw corrupt(undefined, "the layout version key is missing or malformed (not a raftplane WAL?)");
  }
  if (version[0] !== formatVersion) {
    throw new WalError(dir, `layout version ${version[0]} is not the version ${formatVersion} this binary reads`);
  }

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
  return {
    isNew: false,
    metadata,
    hardState,
    snapshot,
    entries,
    firstEntry: first?.index ?? lastIndex + 1,
    lastIndex,
  };
}
