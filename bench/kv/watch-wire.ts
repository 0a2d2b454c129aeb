/**
 * What watchers need from the wire, decoded by hand: protobufjs would build a KeyValue object
 * and a Buffer per event for every watcher, and at 10,000 watchers the client would measure its
 * own decoder instead of the server. Only the fields the harness reads are kept; everything
 * else is skipped by wire type.
 *
 * Values written by the harness start with a stamp: the writer's send time as a float64 (µs
 * since a base every thread shares, from the process-wide monotonic clock) and a 4-byte marker,
 * so put-to-delivery latency is measured where the event arrives, in whichever thread.
 */

/** A decoded etcdserverpb.WatchResponse, reduced to what the watchers count and time. */
export interface WatchMessage {
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly cancelReason: string;
  readonly compactRevision: number;
  /** The header's revision. */
  readonly revision: number;
  readonly events: number;
  /** mod_revision of the last event, 0 with no events. */
  readonly lastModRevision: number;
  /** The stamps of the events whose values carry one. */
  readonly stamps: number[];
}

export const stampBytes = 12;
const stampMarker = 0x53545052; // "RPTS" read as a little-endian uint32

/** µs since `base`, a process.hrtime.bigint() value every thread was given. */
export function stampNow(base: bigint): number {
  return Number(process.hrtime.bigint() - base) / 1000;
}

/** A copy of `template` that carries the send time in its first bytes. */
export function stampedValue(template: Buffer, base: bigint): Buffer {
  const value = Buffer.from(template);
  value.writeDoubleLE(stampNow(base), 0);
  value.writeUInt32LE(stampMarker, 8);
  return value;
}

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LEN = 2;
const WIRE_32BIT = 5;

let buf: Buffer = Buffer.alloc(0);
let pos = 0;

function int64(lo: number, hi: number): number {
  // two's complement for negative int64 (watch id -1 is a stream-wide response)
  if (hi >>> 31 === 1) return -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1);
  return (hi >>> 0) * 4294967296 + (lo >>> 0);
}

function varint(): number {
  let lo = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    b = buf[pos++] as number;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) return lo >>> 0;
  }
  b = buf[pos++] as number;
  lo |= (b & 0x7f) << 28;
  let hi = (b & 0x7f) >> 4;
  if (b < 0x80) return int64(lo, hi);
  for (let shift = 3; shift < 38; shift += 7) {
    b = buf[pos++] as number;
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) return int64(lo, hi);
  }
  throw new Error("watch response: malformed varint");
}

function skip(wireType: number): void {
  switch (wireType) {
    case WIRE_VARINT:
      varint();
      return;
    case WIRE_64BIT:
      pos += 8;
      return;
    case WIRE_LEN: {
      // not `pos += varint()`: that reads pos before varint() moves it past the length
      const length = varint();
      pos += length;
      return;
    }
    case WIRE_32BIT:
      pos += 4;
      return;
    default:
      throw new Error(`watch response: unsupported wire type ${wireType}`);
  }
}

/** ResponseHeader: its revision (field 3). */
function header(end: number): number {
  let revision = 0;
  while (pos < end) {
    const tag = varint();
    if (tag >>> 3 === 3 && (tag & 7) === WIRE_VARINT) revision = varint();
    else skip(tag & 7);
  }
  return revision;
}

/** KeyValue: mod_revision (field 3), and the stamp at the start of value (field 5). */
function keyValue(end: number, stamps: number[]): number {
  let modRevision = 0;
  while (pos < end) {
    const tag = varint();
    const field = tag >>> 3;
    if (field === 3 && (tag & 7) === WIRE_VARINT) modRevision = varint();
    else if (field === 5 && (tag & 7) === WIRE_LEN) {
      const length = varint();
      if (length >= stampBytes && buf.readUInt32LE(pos + 8) === stampMarker) stamps.push(buf.readDoubleLE(pos));
      pos += length;
    } else skip(tag & 7);
  }
  return modRevision;
}

/** Event: its kv (field 2); prev_kv (3) carries the old value and is skipped. */
function event(end: number, stamps: number[]): number {
  let modRevision = 0;
  while (pos < end) {
    const tag = varint();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const length = varint();
      modRevision = keyValue(pos + length, stamps);
    } else skip(tag & 7);
  }
  return modRevision;
}

/** grpc-js responseDeserialize for etcdserverpb.Watch/Watch. */
export function decodeWatchResponse(bytes: Buffer): WatchMessage {
  buf = bytes;
  pos = 0;
  const end = bytes.length;
  let watchId = 0;
  let created = false;
  let canceled = false;
  let cancelReason = "";
  let compactRevision = 0;
  let revision = 0;
  let events = 0;
  let lastModRevision = 0;
  const stamps: number[] = [];
  while (pos < end) {
    const tag = varint();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: {
        const length = varint();
        revision = header(pos + length);
        break;
      }
      case 2:
        watchId = varint();
        break;
      case 3:
        created = varint() !== 0;
        break;
      case 4:
        canceled = varint() !== 0;
        break;
      case 5:
        compactRevision = varint();
        break;
      case 6: {
        const length = varint();
        cancelReason = bytes.toString("utf8", pos, pos + length);
        pos += length;
        break;
      }
      case 11: {
        const length = varint();
        lastModRevision = event(pos + length, stamps);
        events++;
        break;
      }
      default:
        skip(wireType);
    }
  }
  return { watchId, created, canceled, cancelReason, compactRevision, revision, events, lastModRevision, stamps };
}
