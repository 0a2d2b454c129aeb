/**
 * A segment's value: consecutive log entries back to back, each as a uint32 BE length followed
 * by that many bytes of raftpb Entry. The first entry's index is the one the segment's key
 * names (see keys.ts); the others follow it one by one.
 */
import type { Entry } from "../raft/index.js";
import { decodeEntry, encodeEntry } from "../raftpb/index.js";

const lengthBytes = 4;

/** Encodes entries[start..] (their indexes already checked to be consecutive) as one value. */
export function encodeSegment(entries: readonly Entry[], start: number): Uint8Array {
  const encoded: Uint8Array[] = [];
  for (let k = start; k < entries.length; k++) encoded.push(encodeEntry(entries[k] as Entry));
  return joinEntryBytes(encoded);
}

/** One segment value of already encoded raftpb Entries, in order. */
export function joinEntryBytes(encoded: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const b of encoded) total += lengthBytes + b.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of encoded) {
    view.setUint32(at, b.length);
    out.set(b, at + lengthBytes);
    at += lengthBytes + b.length;
  }
  return out;
}

/** Why a segment value is unreadable, and at which raft index (the entry that should be there). */
export class SegmentDecodeError extends Error {
  override readonly name = "SegmentDecodeError";
  constructor(
    readonly index: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The entries of the segment keyed `first`, checked to sit at first, first + 1, ... A value that
 * ends inside a length or an entry, an entry that does not decode, or one at another index than
 * its position says throws SegmentDecodeError. Terms are checked by the caller, which also knows
 * the entry before the segment. Entry data are views into `value`, not copies.
 */
export function decodeSegment(value: Uint8Array, first: number): Entry[] {
  if (value.length === 0) throw new SegmentDecodeError(first, `segment ${first} is empty`);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: Entry[] = [];
  let at = 0;
  while (at < value.length) {
    const index = first + out.length;
    if (value.length - at < lengthBytes) {
      throw new SegmentDecodeError(index, `segment ${first} is truncated: ${value.length - at} bytes where entry ${index}'s length should be`);
    }
    const length = view.getUint32(at);
    at += lengthBytes;
    if (length > value.length - at) {
      throw new SegmentDecodeError(index, `segment ${first} is truncated: entry ${index} has ${length} bytes but only ${value.length - at} remain`);
    }
    let e: Entry;
    try {
      e = decodeEntry(value.subarray(at, at + length));
    } catch (err) {
      throw new SegmentDecodeError(index, `entry ${index} in segment ${first} does not decode`, { cause: err });
    }
    if (e.index !== index) {
      throw new SegmentDecodeError(index, `segment ${first} holds entry ${e.index} where entry ${index} should be`);
    }
    out.push(e);
    at += length;
  }
  return out;
}
