/**
 * The store's backend in memory: internal/mvcc's store, the same state machine the KV members
 * replicate, with its revisions, transactions, compaction and watch hub. For tests of
 * everything above the store, and for a one-process API server without a KV cluster.
 */
import type { RangeRequest, TxnRequest, Watcher, WatchResponse } from "../mvcc/index.js";
import { CompactedError, FutureRevisionError as MvccFutureRevisionError, MvccStore } from "../mvcc/index.js";
import type { BackendRange, BackendTxn, BackendWatch, BackendWatchHandlers, BackendWatchRequest, KvBackend } from "./backend.js";
import { FutureRevisionError, RevisionCompactedError, StoreUnavailableError } from "./errors.js";

export class MemoryBackend implements KvBackend {
  readonly endpoints = ["memory"];
  /** The state machine itself, for tests that compact or write around the store. */
  readonly mvcc = new MvccStore();
  private closed = false;
  /** While set, every request fails as an unreachable store would (tests of 503s). */
  unavailable = false;

  private check(revision = 0): void {
    if (this.closed || this.unavailable) throw new StoreUnavailableError("the in-memory store is unavailable", this.endpoints);
    if (revision > 0 && revision <= this.mvcc.compactRevision) throw new RevisionCompactedError(this.mvcc.compactRevision, revision);
  }

  private translate(err: unknown, revision: number): never {
    if (err instanceof CompactedError) throw new RevisionCompactedError(err.compactRevision, revision, { cause: err });
    if (err instanceof MvccFutureRevisionError) throw new FutureRevisionError(revision, { cause: err });
    throw err;
  }

  async range(req: RangeRequest): Promise<BackendRange> {
    await Promise.resolve();
    this.check();
    try {
      const r = this.mvcc.range(req);
      return { kvs: r.kvs, more: r.more, count: r.count, revision: r.revision };
    } catch (err) {
      return this.translate(err, req.revision ?? 0);
    }
  }

  async txn(req: TxnRequest): Promise<BackendTxn> {
    await Promise.resolve();
    this.check();
    const r = this.mvcc.txn(req);
    const ranges: BackendRange[] = [];
    for (const op of r.responses) {
      if ("responseRange" in op) ranges.push({ ...op.responseRange });
    }
    return { succeeded: r.succeeded, revision: r.revision, ranges };
  }

  async compact(revision: number): Promise<void> {
    await Promise.resolve();
    this.check();
    this.mvcc.compact(revision);
  }

  watch(req: BackendWatchRequest, handlers: BackendWatchHandlers): BackendWatch {
    return watchMvcc(this.mvcc, req, handlers, () =>
      this.closed || this.unavailable ? new StoreUnavailableError("the in-memory store is unavailable", this.endpoints) : undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * A store watch on an mvcc store in this process (the in-memory backend's, or a KV member's):
 * whole revisions in order, progress answers, and the compacted end, delivered on later turns
 * as a network would, so that writers are never re-entered. `unavailable` says at the start
 * whether the store can be watched at all.
 */
export function watchMvcc(
  mvcc: MvccStore,
  req: BackendWatchRequest,
  handlers: BackendWatchHandlers,
  unavailable: () => Error | undefined,
): BackendWatch {
  let over = false;
  let watcher: Watcher | undefined;
  const deliver = (responses: readonly WatchResponse[]): void => {
    for (const r of responses) {
      if (over) return;
      if (r.canceled) {
        over = true;
        handlers.onCompacted(r.compactRevision);
        return;
      }
      if (r.events.length > 0) handlers.onEvents(r.events, r.revision);
      else handlers.onProgress(r.revision);
    }
  };
  const drain = (w: Watcher): void => {
    setImmediate(() => {
      while (!over && w.pending) deliver(w.take());
    });
  };
  setImmediate(() => {
    const err = unavailable();
    if (err !== undefined) {
      over = true;
      handlers.onError(err);
      return;
    }
    watcher = mvcc.watch(req.key, req.rangeEnd, req.startRevision, { prevKv: true, onReady: drain });
    drain(watcher);
  });
  return {
    requestProgress: () => {
      setImmediate(() => {
        if (over || watcher === undefined) return;
        if (!mvcc.watchHub.requestProgress(watcher)) return;
        drain(watcher);
      });
    },
    cancel: () => {
      over = true;
      watcher?.cancel();
    },
  };
}
