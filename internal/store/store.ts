/**
 * The API server's view of storage (docs: DESIGN.md "store"): objects as values under string
 * keys, read at a revision, written as compare-and-swap on mod_revision, watched from a
 * revision. One implementation over any etcd v3 backend: a gRPC endpoint list (raftplane's
 * members or etcd itself) or internal/mvcc in memory.
 */
import { CompareResult, CompareTarget, prefixEnd } from "../mvcc/index.js";
import type { BackendEvent, BackendKeyValue, BackendRange, KvBackend } from "./backend.js";
import type { CompactorOptions } from "./compactor.js";
import { Compactor } from "./compactor.js";
import { RevisionCompactedError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One stored object: its key, value and revisions. */
export interface StoredObject {
  readonly key: string;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface GetResult {
  readonly object: StoredObject | undefined;
  /** The store revision the read saw. */
  readonly revision: number;
}

export interface ListOptions {
  /** Read as of this revision (0: the current one). */
  readonly revision?: number;
  /** At most this many objects (0: no limit). */
  readonly limit?: number;
  /** Start at this key (inclusive) instead of the prefix's first key. */
  readonly startKey?: string;
}

export interface ListResult {
  readonly objects: readonly StoredObject[];
  /** The store revision the list was read at. */
  readonly revision: number;
  /** More keys follow the last one returned. */
  readonly more: boolean;
  /** Keys from startKey to the end of the prefix, including those returned. */
  readonly count: number;
}

/** The outcome of a compare-and-swap write. */
export type SwapResult =
  | { readonly ok: true; readonly object: StoredObject }
  | { readonly ok: false; readonly current: StoredObject | undefined };

export type DeleteResult =
  | { readonly ok: true; readonly revision: number; readonly deleted: StoredObject }
  | { readonly ok: false; readonly current: StoredObject | undefined };

export type StoreEvent =
  | { readonly type: "put"; readonly object: StoredObject; readonly prev: StoredObject | undefined }
  | { readonly type: "delete"; readonly key: string; readonly revision: number; readonly prev: StoredObject | undefined };

export interface StoreWatchHandlers {
  /** Events of whole revisions, in revision order. */
  onEvents(events: readonly StoreEvent[]): void;
  /** Every event up to `revision` has been delivered. */
  onProgress(revision: number): void;
  /**
   * The watch cannot go on: the revision it needs was compacted (RevisionCompactedError).
   * Broken streams are not reported: the watch reconnects by itself, to the next endpoint.
   */
  onError(err: Error): void;
}

export interface StoreWatch {
  /** Ask for an onProgress once everything written so far was delivered. */
  requestProgress(): void;
  close(): void;
}

function stored(kv: BackendKeyValue): StoredObject {
  return { key: decoder.decode(kv.key), value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision };
}

function objects(r: BackendRange): StoredObject[] {
  return r.kvs.map(stored);
}

export class Store {
  constructor(private readonly backend: KvBackend) {}

  get endpoints(): readonly string[] {
    return this.backend.endpoints;
  }

  /** One key, linearizably (or at `revision`). */
  async get(key: string, revision = 0): Promise<GetResult> {
    const r = await this.backend.range({ key: encoder.encode(key), revision });
    const kv = r.kvs[0];
    return { object: kv === undefined ? undefined : stored(kv), revision: r.revision };
  }

  /** Keys under a prefix in key order, linearizably (or at `revision`). */
  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const p = encoder.encode(prefix);
    const start = options.startKey !== undefined && options.startKey > prefix ? encoder.encode(options.startKey) : p;
    const r = await this.backend.range({ key: start, rangeEnd: prefixEnd(p), revision: options.revision ?? 0, limit: options.limit ?? 0 });
    return { objects: objects(r), revision: r.revision, more: r.more, count: r.count };
  }

  /** The store's current revision (a linearizable read). */
  async currentRevision(): Promise<number> {
    const r = await this.backend.range({ key: encoder.encode("/registry/"), rangeEnd: prefixEnd(encoder.encode("/registry/")), countOnly: true });
    return r.revision;
  }

  /** Create a key that must not exist; `ok: false` carries the existing object. */
  async create(key: string, value: Uint8Array): Promise<SwapResult> {
    const k = encoder.encode(key);
    const r = await this.backend.txn(
      {
        compare: [{ key: k, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 }],
        success: [{ requestPut: { key: k, value } }],
        failure: [{ requestRange: { key: k } }],
      },
      false,
    );
    if (!r.succeeded) return { ok: false, current: firstOf(r.ranges[0]) };
    return { ok: true, object: { key, value, createRevision: r.revision, modRevision: r.revision } };
  }

  /**
   * Replace a key's value if its mod revision is still `modRevision`; `ok: false` carries the
   * current object (undefined if the key is gone).
   */
  async update(key: string, value: Uint8Array, modRevision: number, createRevision: number): Promise<SwapResult> {
    const k = encoder.encode(key);
    const r = await this.backend.txn(
      {
        compare: [{ key: k, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision }],
        success: [{ requestPut: { key: k, value } }],
        failure: [{ requestRange: { key: k } }],
      },
      false,
    );
    if (!r.succeeded) return { ok: false, current: firstOf(r.ranges[0]) };
    return { ok: true, object: { key, value, createRevision, modRevision: r.revision } };
  }

  /**
   * Delete a key if its mod revision is still `modRevision`; `ok: false` carries the current
   * object (undefined if there is none).
   */
  async delete(key: string, modRevision: number): Promise<DeleteResult> {
    const k = encoder.encode(key);
    const r = await this.backend.txn(
      {
        compare: [{ key: k, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision }],
        success: [{ requestRange: { key: k } }, { requestDeleteRange: { key: k } }],
        failure: [{ requestRange: { key: k } }],
      },
      false,
    );
    const current = firstOf(r.ranges[0]);
    if (!r.succeeded || current === undefined) return { ok: false, current };
    return { ok: true, revision: r.revision, deleted: current };
  }

  /** Drop history before `revision`. */
  compact(revision: number): Promise<void> {
    return this.backend.compact(revision);
  }

  /** A compactor taking turns with other replicas (not started). */
  compactor(options: CompactorOptions): Compactor {
    return new Compactor(this.backend, options);
  }

  /**
   * Watch every key under a prefix from `startRevision` (inclusive). A broken stream is reopened
   * from the next revision, on the next endpoint, until close().
   */
  watch(prefix: string, startRevision: number, handlers: StoreWatchHandlers): StoreWatch {
    const key = encoder.encode(prefix);
    const rangeEnd = prefixEnd(key);
    let next = startRevision;
    let closed = false;
    let retryMs = 50;
    let timer: NodeJS.Timeout | undefined;
    let current: ReturnType<KvBackend["watch"]> | undefined;
    const open = (): void => {
      if (closed) return;
      current = this.backend.watch(
        { key, rangeEnd, startRevision: next },
        {
          onEvents: (events: readonly BackendEvent[]) => {
            if (closed) return;
            retryMs = 50;
            const out: StoreEvent[] = events.map((e) =>
              e.type === "PUT"
                ? { type: "put", object: stored(e.kv), prev: e.prevKv === undefined ? undefined : stored(e.prevKv) }
                : { type: "delete", key: decoder.decode(e.kv.key), revision: e.kv.modRevision, prev: e.prevKv === undefined ? undefined : stored(e.prevKv) },
            );
            const last = events[events.length - 1];
            if (last !== undefined) next = Math.max(next, last.kv.modRevision + 1);
            handlers.onEvents(out);
          },
          onProgress: (revision) => {
            if (closed) return;
            retryMs = 50;
            next = Math.max(next, revision + 1);
            handlers.onProgress(revision);
          },
          onCompacted: (compactRevision) => {
            if (closed) return;
            closed = true;
            handlers.onError(new RevisionCompactedError(compactRevision, next));
          },
          onError: () => {
            if (closed) return;
            timer = setTimeout(open, retryMs);
            retryMs = Math.min(retryMs * 2, 1000);
          },
        },
      );
    };
    open();
    return {
      requestProgress: () => current?.requestProgress(),
      close: () => {
        closed = true;
        clearTimeout(timer);
        current?.cancel();
      },
    };
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

function firstOf(r: BackendRange | undefined): StoredObject | undefined {
  const kv = r?.kvs[0];
  return kv === undefined ? undefined : stored(kv);
}
