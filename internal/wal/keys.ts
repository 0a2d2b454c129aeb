/**
 * The on-disk layout, version 2. One LevelDB database per member; LevelDB orders keys bytewise,
 * so segment keys carry an index as fixed-width big-endian and a range scan reads them in index
 * order.
 *
 *   "s" + uint64 BE index   a segment: consecutive entries from that index on, back to back,
 *                           each as uint32 BE length + raftpb Entry (segment.ts)
 *   "hardstate"             raftpb HardState
 *   "meta"                  uint64 BE member id, uint64 BE cluster id, then the caller's bytes
 *   "snapdata"              the latest snapshot's data, raw
 *   "snapshot"              the latest snapshot as raftpb Snapshot with empty data
 *   "version"               one byte, the layout version
 *
 * Why segments: LevelDB's batch costs per operation, so one value per save (whatever its entry
 * count) keeps a batch to a handful of operations. A segment is never rewritten. A save of
 * entries from..to writes the segment keyed `from` and deletes, in the same batch, every segment
 * keyed at or after `from` (the conflicting tail raft replaced); a segment that starts before
 * `from` and reaches past it keeps its stale tail. At open the segments are read in key order
 * and each one first truncates the log read so far to (its first index - 1), so the later
 * segment supersedes that tail. A segment therefore holds the log from its first index to the
 * next segment's first index - 1, and the last one to the last index.
 *
 * Compaction deletes the segments whose part of the log lies wholly at or below the compaction
 * point; one that straddles it stays whole (open ignores entries at or below the snapshot). An
 * installed snapshot deletes every segment.
 *
 * Version 1 stored one entry per key, "e" + uint64 BE index → raftpb Entry. Open migrates such a
 * directory to version 2 in one synced batch (restore.ts).
 */

const enc = new TextEncoder();

/** Bumped when the layout changes, so an older binary refuses a directory it cannot read. */
export const formatVersion = 2;

/** The layout of one key per entry, which open migrates to formatVersion. */
export const v1FormatVersion = 1;

const segmentPrefix = 0x73; // "s"
const v1EntryPrefix = 0x65; // "e"

export const versionKey = enc.encode("version");
export const metaKey = enc.encode("meta");
export const hardStateKey = enc.encode("hardstate");
export const snapshotKey = enc.encode("snapshot");
export const snapshotDataKey = enc.encode("snapdata");

function indexKey(prefix: number, index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

function keyIndex(prefix: number, key: Uint8Array): number | undefined {
  // "snapdata" and "snapshot" also start with "s", but are 8 bytes long.
  if (key.length !== 9 || key[0] !== prefix) return undefined;
  const index = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1);
  return index <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(index) : undefined;
}

/** The key of the segment whose first entry is at index. */
export function segmentKey(index: number): Uint8Array {
  return indexKey(segmentPrefix, index);
}

/** The first index a segment key names, or undefined when the key is not a segment key. */
export function segmentKeyIndex(key: Uint8Array): number | undefined {
  return keyIndex(segmentPrefix, key);
}

/** The key of entry index in layout version 1. */
export function v1EntryKey(index: number): Uint8Array {
  return indexKey(v1EntryPrefix, index);
}

/** The index a layout-1 entry key names, or undefined when the key is not one. */
export function v1EntryKeyIndex(key: Uint8Array): number | undefined {
  return keyIndex(v1EntryPrefix, key);
}

/** Identity of the member that owns the directory, written once when it is created. */
export interface WalMetadata {
  /** This member's raft id. */
  readonly memberId: number;
  /** The cluster it belongs to; a member refuses peers of another cluster. */
  readonly clusterId: number;
  /** Anything else the caller wants back at restart (opaque here). */
  readonly data?: Uint8Array;
}

const isId = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

export function encodeMetadata(m: WalMetadata): Uint8Array {
  if (!isId(m.memberId) || !isId(m.clusterId)) {
    throw new RangeError(`metadata ids must be integers in [0, 2^53): ${m.memberId}, ${m.clusterId}`);
  }
  const data = m.data ?? new Uint8Array(0);
  const out = new Uint8Array(16 + data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(m.memberId));
  view.setBigUint64(8, BigInt(m.clusterId));
  out.set(data, 16);
  return out;
}

/** Undefined when the bytes cannot be metadata. */
export function decodeMetadata(bytes: Uint8Array): WalMetadata | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const memberId = Number(view.getBigUint64(0));
  const clusterId = Number(view.getBigUint64(8));
  if (!isId(memberId) || !isId(clusterId)) return undefined;
  const meta: WalMetadata = { memberId, clusterId };
  return bytes.length > 16 ? { ...meta, data: bytes.slice(16) } : meta;
}
