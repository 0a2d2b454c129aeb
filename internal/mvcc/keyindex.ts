import type { KeyValue } from "./types.js";

/**
 * One stored revision of one key. `sub` is the operation's position among the changes of its
 * write transaction (etcd's revision{main, sub}); a tombstone is a kv with createRevision 0.
 */
export interface KeyRecord {
  readonly main: number;
  readonly sub: number;
  readonly kv: KeyValue;
}

export function isTombstone(r: KeyRecord): boolean {
  return r.kv.createRevision === 0;
}

/**
 * Every kept revision of one key, oldest first. Generations are implicit: a tombstone ends one,
 * the next put starts another with version 1.
 */
export class KeyHistory {
  records: KeyRecord[] = [];
  constructor(
    /** The key in index form (see bytes.ts). */
    readonly id: string,
    readonly key: Uint8Array,
  ) {}

  /** The newest record with main ≤ rev, if any. Reads at the head are O(1). */
  at(rev: number): KeyRecord | undefined {
    const rs = this.records;
    let hi = rs.length - 1;
    if (hi < 0) return undefined;
    if ((rs[hi] as KeyRecord).main <= rev) return rs[hi];
    let lo = 0;
    // invariant: records[hi].main > rev; find the last index with main ≤ rev
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((rs[mid] as KeyRecord).main <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : rs[lo - 1];
  }

  /** The live key-value as of rev, or undefined when absent or deleted then. */
  liveAt(rev: number): KeyValue | undefined {
    const r = this.at(rev);
    return r === undefined || isTombstone(r) ? undefined : r.kv;
  }

  last(): KeyRecord | undefined {
    return this.records[this.records.length - 1];
  }
}

/** Chunk size bounds: inserts move at most ~2·CHUNK entries, lookups stay two binary searches. */
const CHUNK = 512;

/**
 * All keys with any kept revision, in byte order: a Map for exact lookups plus a sorted list of
 * chunks for range scans. Inserting a new key costs O(√n)-ish memmove instead of O(n); keys
 * leave only through compaction, which rebuilds the list in one pass.
 */
export class KeyIndex {
  private readonly byId = new Map<string, KeyHistory>();
  private chunks: KeyHistory[][] = [];

  get size(): number {
    return this.byId.size;
  }

  get(id: string): KeyHistory | undefined {
    return this.byId.get(id);
  }

  /** Adds a key with no records yet; the caller must know it is absent. */
  insert(h: KeyHistory): void {
    this.byId.set(h.id, h);
    if (this.chunks.length === 0) {
      this.chunks.push([h]);
      return;
    }
    const ci = this.chunkFor(h.id);
    const chunk = this.chunks[ci] as KeyHistory[];
    chunk.splice(lowerBound(chunk, h.id), 0, h);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(ci, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
  }

  /** Removes a key (used to undo an insert inside a failed transaction). */
  remove(id: string): void {
    if (!this.byId.delete(id)) return;
    const ci = this.chunkFor(id);
    const chunk = this.chunks[ci] as KeyHistory[];
    const i = lowerBound(chunk, id);
    if (chunk[i]?.id !== id) throw new Error(`mvcc: key index out of step at ${JSON.stringify(id)}`);
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
  }

  /**
   * Calls fn on each key in [start, end) in order (end null: no upper bound) until fn returns
   * false. fn must not insert or remove keys.
   */
  scan(start: string, end: string | null, fn: (h: KeyHistory) => boolean | void): void {
    if (end !== null && end <= start) return;
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let i = lowerBound(chunks[ci] as KeyHistory[], start);
    for (; ci < chunks.length; ci++, i = 0) {
      const chunk = chunks[ci] as KeyHistory[];
      for (; i < chunk.length; i++) {
        const h = chunk[i] as KeyHistory;
        if (end !== null && h.id >= end) return;
        if (fn(h) === false) return;
      }
    }
  }

  /** Every key in order. */
  forEach(fn: (h: KeyHistory) => void): void {
    for (const chunk of this.chunks) for (const h of chunk) fn(h);
  }

  /** Keeps only the keys for which keep() is true, in one pass (compaction). */
  retain(keep: (h: KeyHistory) => boolean): void {
    const all: KeyHistory[] = [];
    for (const chunk of this.chunks) {
      for (const h of chunk) {
        if (keep(h)) all.push(h);
        else this.byId.delete(h.id);
      }
    }
    this.chunks = chunkUp(all);
  }

  /** Replaces the contents with keys already in ascending order (restore). */
  static fromSorted(sorted: KeyHistory[]): KeyIndex {
    const index = new KeyIndex();
    for (const h of sorted) index.byId.set(h.id, h);
    index.chunks = chunkUp(sorted);
    return index;
  }

  /** The chunk where id belongs: the first whose last key is ≥ id, else the last chunk. */
  private chunkFor(id: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid] as KeyHistory[];
      if ((c[c.length - 1] as KeyHistory).id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(chunk: KeyHistory[], id: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((chunk[mid] as KeyHistory).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function chunkUp(all: KeyHistory[]): KeyHistory[][] {
  const chunks: KeyHistory[][] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.slice(i, i + CHUNK));
  return chunks;
}
