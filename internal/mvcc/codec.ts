import { SnapshotCorruptError, SnapshotProblem } from "./errors.js";

const TWO_32 = 2 ** 32;

/**
 * Big-endian binary writer for snapshots and hashes. With `flush`, full buffers are handed to it
 * and reused, so hashing a large store streams through a fixed 64 KiB buffer.
 */
export class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(private readonly flush?: (chunk: Uint8Array) => void, capacity = 64 * 1024) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.flush !== undefined && this.pos > 0) {
      this.flush(this.buf.subarray(0, this.pos));
      this.pos = 0;
      if (n <= this.buf.length) return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  /** A signed safe integer as int64 two's complement. */
  i64(v: number): void {
    this.room(8);
    if (v >= 0) {
      this.view.setUint32(this.pos, Math.floor(v / TWO_32));
      this.view.setUint32(this.pos + 4, v >>> 0);
    } else {
      this.view.setBigInt64(this.pos, BigInt(v));
    }
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    if (this.flush !== undefined && b.length > this.buf.length) {
      this.room(this.buf.length); // empties the buffer
      this.flush(b);
      return;
    }
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }

  /** The bytes written since the last flush. */
  finish(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    if (this.flush !== undefined) {
      if (out.length > 0) this.flush(out);
      this.pos = 0;
    }
    return out;
  }
}

/** Reader for what Encoder wrote; any overrun is a truncated snapshot. */
export class Decoder {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly buf: Uint8Array, private readonly end: number = buf.length) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new SnapshotCorruptError(SnapshotProblem.Truncated, `needed ${n} bytes at offset ${this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): number {
    this.need(8);
    const hi = this.view.getInt32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    const v = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(v)) {
      throw new SnapshotCorruptError(SnapshotProblem.Inconsistent, `integer out of range at offset ${this.pos - 8}`);
    }
    return v;
  }

  raw(n: number): Uint8Array {
    this.need(n);
    // a copy, not a view: the store keeps these and the input buffer may be reused or large
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  bytes(): Uint8Array {
    return this.raw(this.u32());
  }
}
