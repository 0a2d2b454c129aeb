const HEADER = 16;

/**
 * Identifies a proposal so that the member that proposed it can answer its caller when the
 * entry is applied. Every member applies every entry; only the proposer finds a waiter. The id
 * is the member id, a nonce chosen at start (so entries replayed after a restart match no
 * waiter) and a counter, framed in front of the payload.
 */
export class RequestId {
  private counter = 0;

  constructor(
    private readonly member: number,
    private readonly nonce: number,
  ) {}

  next(): number {
    this.counter = (this.counter + 1) >>> 0;
    return this.counter;
  }

  frame(counter: number, payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(HEADER + payload.length);
    const view = new DataView(out.buffer);
    view.setFloat64(0, this.member);
    view.setUint32(8, this.nonce);
    view.setUint32(12, counter);
    out.set(payload, HEADER);
    return out;
  }

  isOurs(id: { member: number; nonce: number }): boolean {
    return id.member === this.member && id.nonce === this.nonce;
  }

  static unframe(data: Uint8Array): { member: number; nonce: number; counter: number; payload: Uint8Array } {
    if (data.length < HEADER) return { member: 0, nonce: 0, counter: 0, payload: data };
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return {
      member: view.getFloat64(0),
      nonce: view.getUint32(8),
      counter: view.getUint32(12),
      payload: data.subarray(HEADER),
    };
  }

  /** The context of a ReadIndex round. */
  static readContext(n: number): Uint8Array {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, n);
    return out;
  }

  static readContextNumber(ctx: Uint8Array): number | undefined {
    if (ctx.length !== 8) return undefined;
    return new DataView(ctx.buffer, ctx.byteOffset, 8).getFloat64(0);
  }
}
