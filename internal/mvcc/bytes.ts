/**
 * Keys inside the store are "binary strings": one UTF-16 unit per byte (latin1). They hash in a
 * Map, and JavaScript's string order on them is exactly etcd's byte order, so the index can
 * compare with < instead of a byte loop.
 */

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** A key as the index's string form. */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

/** The bytes of an index string. */
export function idBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, "latin1"));
}

/**
 * A private copy: decoded protobuf fields are often views into a whole request buffer, which
 * the store must neither keep alive nor see change.
 */
export function copyBytes(b: Uint8Array | undefined): Uint8Array {
  return b === undefined || b.length === 0 ? EMPTY_BYTES : new Uint8Array(b);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/**
 * The range end that covers every key starting with `prefix` (etcd's GetPrefixRangeEnd): the
 * prefix with its last byte below 0xff incremented and the rest dropped; "\0" (every key) when
 * the prefix is empty or all 0xff.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i] as number;
    if (b < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = b + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

/**
 * A key range in index form. `end` undefined: just the key `start`; null: every key ≥ start;
 * otherwise [start, end).
 */
export interface KeySpan {
  readonly start: string;
  readonly end: string | null | undefined;
}

/** etcd's reading of (key, rangeEnd): empty end is one key, "\0" is unbounded. */
export function keySpan(key: Uint8Array | undefined, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = key === undefined ? "" : keyId(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null };
  return { start, end: keyId(rangeEnd) };
}

export function spanContains(span: KeySpan, id: string): boolean {
  if (span.end === undefined) return id === span.start;
  return id >= span.start && (span.end === null || id < span.end);
}
