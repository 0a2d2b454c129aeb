import { idBytes, keySpan } from "./bytes.js";
import type { KeySpan } from "./bytes.js";
import {
  DuplicateKeyError,
  EmptyKeyError,
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from "./errors.js";
import type {
  Compare,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from "./types.js";

/**
 * Request checks that need no store state: etcd runs them in its gRPC layer before proposing
 * (server/etcdserver/api/v3rpc/key.go). The API layer should call them before proposing so bad
 * requests never enter the log; the store runs them again on apply, so a request that slips
 * through fails the same way on every replica and changes nothing.
 */

/** etcd's default --max-txn-ops. */
export const DEFAULT_MAX_TXN_OPS = 128;

function checkInt(field: string, v: number | undefined): void {
  if (v !== undefined && !Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(field, `${String(v)} is not a safe integer`);
  }
}

function checkEnum(field: string, v: number | undefined, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= max)) {
    throw new InvalidArgumentError(field, `unknown value ${String(v)}`);
  }
}

export function validateRangeRequest(r: RangeRequest): void {
  if (r.key === undefined || r.key.length === 0) throw new EmptyKeyError();
  checkInt("limit", r.limit);
  checkInt("revision", r.revision);
  checkInt("min_mod_revision", r.minModRevision);
  checkInt("max_mod_revision", r.maxModRevision);
  checkInt("min_create_revision", r.minCreateRevision);
  checkInt("max_create_revision", r.maxCreateRevision);
  checkEnum("sort_order", r.sortOrder, 2);
  checkEnum("sort_target", r.sortTarget, 4);
}

export function validatePutRequest(r: PutRequest): void {
  if (r.key === undefined || r.key.length === 0) throw new EmptyKeyError();
  if (r.ignoreValue && r.value !== undefined && r.value.length !== 0) throw new ValueProvidedError();
  if (r.ignoreLease && r.lease !== undefined && r.lease !== 0) throw new LeaseProvidedError();
  checkInt("lease", r.lease);
}

export function validateDeleteRangeRequest(r: DeleteRangeRequest): void {
  if (r.key === undefined || r.key.length === 0) throw new EmptyKeyError();
}

function validateCompare(c: Compare): void {
  if (c.key === undefined || c.key.length === 0) throw new EmptyKeyError();
  checkEnum("compare result", c.result, 3);
  checkEnum("compare target", c.target, 4);
  checkInt("compare version", c.version);
  checkInt("compare create_revision", c.createRevision);
  checkInt("compare mod_revision", c.modRevision);
  checkInt("compare lease", c.lease);
}

/** The one request of a oneof operation; protobufjs leaves unset members null or undefined. */
export type OpRequest =
  | { readonly type: "range"; readonly req: RangeRequest }
  | { readonly type: "put"; readonly req: PutRequest }
  | { readonly type: "deleteRange"; readonly req: DeleteRangeRequest }
  | { readonly type: "txn"; readonly req: TxnRequest };

interface LooseOp {
  readonly requestRange?: RangeRequest | null;
  readonly requestPut?: PutRequest | null;
  readonly requestDeleteRange?: DeleteRangeRequest | null;
  readonly requestTxn?: TxnRequest | null;
}

/** The request an operation carries, or undefined for an empty operation. */
export function opRequest(op: RequestOp): OpRequest | undefined {
  const o = op as LooseOp;
  if (o.requestRange) return { type: "range", req: o.requestRange };
  if (o.requestPut) return { type: "put", req: o.requestPut };
  if (o.requestDeleteRange) return { type: "deleteRange", req: o.requestDeleteRange };
  if (o.requestTxn) return { type: "txn", req: o.requestTxn };
  return undefined;
}

/**
 * Checks a transaction as etcd's checkTxnRequest and checkIntervals do: at most maxTxnOps
 * compares or operations per list (nested transactions share what is left of the budget),
 * keys present, no empty operation, and no key written twice on one path.
 */
export function validateTxnRequest(r: TxnRequest, maxTxnOps: number = DEFAULT_MAX_TXN_OPS): void {
  checkTxn(r, maxTxnOps);
  checkIntervals(r.success ?? []);
  checkIntervals(r.failure ?? []);
}

function checkTxn(r: TxnRequest, maxTxnOps: number): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > maxTxnOps) throw new TooManyOpsError(maxTxnOps);
  for (const c of compare) validateCompare(c);
  for (const op of [...success, ...failure]) checkOp(op, maxTxnOps - opc);
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  const o = opRequest(op);
  if (o === undefined) throw new KeyNotFoundError(undefined);
  switch (o.type) {
    case "range":
      return validateRangeRequest(o.req);
    case "put":
      return validatePutRequest(o.req);
    case "deleteRange":
      return validateDeleteRangeRequest(o.req);
    case "txn":
      return checkTxn(o.req, maxTxnOps);
  }
}

/**
 * Deleted key ranges of one level of a transaction. A delete's interval follows etcd's
 * checkIntervals exactly, including its quirk: a range end of "\0" is compared as the string
 * "\0", not as "no upper bound", so such a delete overlaps no put.
 */
class DeletedSpans {
  private readonly spans: KeySpan[] = [];
  add(s: KeySpan): void {
    this.spans.push(s);
  }
  addAll(o: DeletedSpans): void {
    this.spans.push(...o.spans);
  }
  covers(id: string): boolean {
    for (const s of this.spans) {
      if (s.end === undefined ? id === s.start : id >= s.start && id < (s.end ?? "\0")) return true;
    }
    return false;
  }
}

function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: DeletedSpans } {
  const dels = new DeletedSpans();
  for (const op of ops) {
    const o = opRequest(op);
    if (o?.type === "deleteRange") dels.add(keySpan(o.req.key, o.req.rangeEnd));
  }
  const puts = new Set<string>();
  for (const op of ops) {
    const o = opRequest(op);
    if (o?.type !== "txn") continue;
    const then = checkIntervals(o.req.success ?? []);
    const otherwise = checkIntervals(o.req.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || dels.covers(k)) throw new DuplicateKeyError(idBytes(k));
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      // then and else exclude each other, so the same key in both is fine
      if ((puts.has(k) && !then.puts.has(k)) || dels.covers(k)) throw new DuplicateKeyError(idBytes(k));
      puts.add(k);
    }
    dels.addAll(then.dels);
    dels.addAll(otherwise.dels);
  }
  for (const op of ops) {
    const o = opRequest(op);
    if (o?.type !== "put") continue;
    const k = keySpan(o.req.key, undefined).start;
    if (puts.has(k) || dels.covers(k)) throw new DuplicateKeyError(idBytes(k));
    puts.add(k);
  }
  return { puts, dels };
}
