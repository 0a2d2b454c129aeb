import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from "../mvcc/index.js";
import {
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from "../mvcc/index.js";
import type { ServerContext } from "./context.js";
import { toServiceError } from "./status.js";

type Unary<Req> = (call: ServerUnaryCall<Req, object>, done: sendUnaryData<object>) => void;

/** Wrap an async handler: its result is the response, a thrown error becomes etcd's status. */
export function unary<Req>(fn: (req: Req) => Promise<object>): Unary<Req> {
  return (call, done) => {
    fn(call.request).then(
      (res) => done(null, res),
      (err: unknown) => done(toServiceError(err)),
    );
  };
}

/** Whether a txn only reads: it may then be served without going through raft. */
function readOnly(txn: TxnRequest): boolean {
  return [...(txn.success ?? []), ...(txn.failure ?? [])].every(
    (op) => "requestRange" in op || ("requestTxn" in op && readOnly(op.requestTxn)),
  );
}

function serializableOnly(txn: TxnRequest): boolean {
  return [...(txn.success ?? []), ...(txn.failure ?? [])].every((op) =>
    "requestRange" in op ? op.requestRange.serializable === true : "requestTxn" in op && serializableOnly(op.requestTxn),
  );
}

/** Approximate bytes a write adds to the store, for the quota check. */
function writeCost(req: { key?: Uint8Array; value?: Uint8Array }): number {
  return (req.key?.length ?? 0) + (req.value?.length ?? 0) + 64;
}

/** etcd's Range on this member: after ReadIndex unless serializable. */
export async function kvRange(ctx: ServerContext, req: RangeRequest): Promise<RangeResponse> {
  validateRangeRequest(req);
  if (req.serializable !== true) await ctx.linearizableRead();
  return ctx.sm.store.range(req);
}

/** etcd's Txn on this member: a read-only one is served locally (after ReadIndex unless serializable), a write is proposed. */
export async function kvTxn(ctx: ServerContext, req: TxnRequest): Promise<TxnResponse> {
  validateTxnRequest(req, ctx.limits.maxTxnOps);
  if (readOnly(req)) {
    if (!serializableOnly(req)) await ctx.linearizableRead();
    return ctx.sm.store.txn(req);
  }
  await ctx.checkQuota(64);
  return (await ctx.propose({ request: "txn", txn: req })) as TxnResponse;
}

/** etcd's Compact, through raft. */
export async function kvCompact(ctx: ServerContext, revision: number): Promise<CompactResponse> {
  return (await ctx.propose({ request: "compaction", compaction: { revision } })) as CompactResponse;
}

/**
 * etcdserverpb.KV: reads are served locally after ReadIndex (or at once if serializable). The
 * request functions above are also what an API server in the same process calls.
 */
export function kvService(ctx: ServerContext): UntypedServiceImplementation {
  return {
    Range: unary<RangeRequest>(async (req) => {
      const res = await kvRange(ctx, req);
      return { header: ctx.header(res.revision), kvs: res.kvs, more: res.more, count: res.count };
    }),
    Put: unary<PutRequest>(async (req) => {
      validatePutRequest(req);
      await ctx.checkQuota(writeCost(req));
      const res = (await ctx.propose({ request: "put", put: req })) as PutResponse;
      return { header: ctx.header(res.revision), prevKv: res.prevKv };
    }),
    DeleteRange: unary<DeleteRangeRequest>(async (req) => {
      validateDeleteRangeRequest(req);
      const res = (await ctx.propose({ request: "deleteRange", deleteRange: req })) as DeleteRangeResponse;
      return { header: ctx.header(res.revision), deleted: res.deleted, prevKvs: res.prevKvs };
    }),
    Txn: unary<TxnRequest>(async (req) => {
      const res = await kvTxn(ctx, req);
      return { header: ctx.header(res.revision), succeeded: res.succeeded, responses: res.responses };
    }),
    Compact: unary<{ revision?: number; physical?: boolean }>(async (req) => {
      const res = await kvCompact(ctx, req.revision ?? 0);
      return { header: ctx.header(res.revision) };
    }),
  };
}
