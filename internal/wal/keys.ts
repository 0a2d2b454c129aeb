/**
 * The on-disk layout. One LevelDB database per member; LevelDB orders keys bytewise, so entry
 * keys carry the index as fixed-width big-endian and a range scan reads the log in order.
 *
 *   "e" + uint64 BE index   raftpb Entry
 *   "hardstate"             raftpb HardState
 *   "meta"                  uint64 BE member id, uint64 BE cluster id, then the caller's bytes
 *   "snapdata"              the latest snapshot's data, raw
 *   "snapshot"              the latest snapshot as raftpb Snapshot with empty data
 *   "version"               one byte, the layout version
 */

const enc = new TextEncoder();

/** Bumped when the layout changes, so an older binary refuses a directory it cannot read. */
export const formatVersion = 1;

const entryPrefix = 0x65; // "e"

export const versionKey = enc.encode("version");
export const metaKey = enc.encode("meta");
export const hardStateKey = enc.encode("hardstate");
export const snapshotKey = enc.encode("snapshot");
export const snapshotDataKey = enc.encode("snapdata");

export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = entryPrefix;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

/** The index an entry key names, or undefined when the key is not an entry key. */
export function entryKeyIndex(key: Uint8Array): number | undefined {
  if (key.length !== 9 || key[0] !== entryPrefix) return undefined;
  const index = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1);
  return index <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(index) : undefined;
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
