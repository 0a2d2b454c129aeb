/**
 * The store's backend for an API server whose KV member runs in the same process: the member's
 * own request functions (etcdapi's kvRange, kvTxn, kvCompact) called directly, instead of
 * through a gRPC client, HTTP/2 on loopback and the member's gRPC server. Errors take etcd's
 * gRPC form first and then the store's, exactly as they would over the wire, and the same
 * deadline and retry rules as GrpcBackend apply, so the API answers alike either way.
 */
import { kvCompact, kvRange, kvTxn, toServiceError } from "../etcdapi/index.js";
import type { KvMember } from "../kv/index.js";
import type { RangeRequest, TxnRequest } from "../mvcc/index.js";
import type { BackendRange, BackendTxn, BackendWatch, BackendWatchHandlers, BackendWatchRequest, EtcdStatus, KvBackend } from "../store/index.js";
import { retriableEtcdError, storeErrorOf, StoreUnavailableError, watchMvcc } from "../store/index.js";

export interface MemberBackendOptions {
  /** Longest a request may take, retries after a lost leader included, in ms. Default 5000. */
  readonly requestTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const timedOut = Symbol("timed out");

function within<T>(work: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

export class MemberBackend implements KvBackend {
  readonly endpoints: readonly string[];
  private readonly requestTimeoutMs: number;
  private closed = false;

  constructor(
    private readonly member: KvMember,
    options: MemberBackendOptions = {},
  ) {
    this.endpoints = [`the KV member in this process (${member.id.toString(16)})`];
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  }

  /**
   * Run one request against the member until it answers or the deadline passes; "no leader"
   * (an election under way) is tried again after a pause, as GrpcBackend tries the next round.
   */
  private async call<T>(work: () => Promise<T>, idempotent: boolean, revision = 0): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the store client is closed", this.endpoints);
    const deadline = Date.now() + this.requestTimeoutMs;
    let last: EtcdStatus | undefined;
    let pause = 50;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let answer: T | typeof timedOut;
      try {
        answer = await within(work(), left);
      } catch (err) {
        const status = toServiceError(err);
        if (!retriableEtcdError(status, idempotent)) throw storeErrorOf(status, revision);
        last = status;
        if (Date.now() + pause >= deadline) break;
        await sleep(pause);
        pause = Math.min(pause * 2, 500);
        continue;
      }
      if (answer !== timedOut) return answer;
      break;
    }
    const why = last === undefined ? "no answer" : last.details;
    throw new StoreUnavailableError(`the store did not answer within ${this.requestTimeoutMs} ms (${why}; ${this.endpoints.join(", ")})`, this.endpoints);
  }

  range(req: RangeRequest): Promise<BackendRange> {
    return this.call(
      async () => {
        const r = await kvRange(this.member.server.ctx, req);
        return { kvs: r.kvs, more: r.more, count: r.count, revision: r.revision };
      },
      true,
      req.revision ?? 0,
    );
  }

  txn(req: TxnRequest, idempotent: boolean): Promise<BackendTxn> {
    return this.call(async () => {
      const r = await kvTxn(this.member.server.ctx, req);
      const ranges: BackendRange[] = [];
      for (const op of r.responses) {
        if ("responseRange" in op) ranges.push({ ...op.responseRange });
      }
      return { succeeded: r.succeeded, revision: r.revision, ranges };
    }, idempotent);
  }

  async compact(revision: number): Promise<void> {
    await this.call(() => kvCompact(this.member.server.ctx, revision), true, revision);
  }

  watch(req: BackendWatchRequest, handlers: BackendWatchHandlers): BackendWatch {
    return watchMvcc(this.member.sm.store, req, handlers, () =>
      this.closed ? new StoreUnavailableError("the store client is closed", this.endpoints) : undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
