import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CompareResult,
  CompareTarget,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  MvccStore,
  TooManyOpsError,
  validateTxnRequest,
} from "../../internal/mvcc/index.js";
import type { Compare, RequestOp, ResponseOp, TxnRequest, TxnResponse } from "../../internal/mvcc/index.js";
import { b, evs, kvs, str } from "./helpers.js";

const put = (k: string, v: string, extra: object = {}): RequestOp => ({ requestPut: { key: b(k), value: b(v), ...extra } });
const del = (k: string, end?: string, extra: object = {}): RequestOp => ({
  requestDeleteRange: end === undefined ? { key: b(k), ...extra } : { key: b(k), rangeEnd: b(end), ...extra },
});
const get = (k: string, end?: string): RequestOp => ({ requestRange: end === undefined ? { key: b(k) } : { key: b(k), rangeEnd: b(end) } });
const txnOp = (t: TxnRequest): RequestOp => ({ requestTxn: t });

function rangeOf(r: ResponseOp | undefined): string[] {
  if (r === undefined || !("responseRange" in r)) return assert.fail("not a range response");
  return r.responseRange.kvs.map((x) => `${str(x.key)}=${str(x.value)}@${x.modRevision}`);
}

function txnOf(r: ResponseOp | undefined): TxnResponse {
  if (r === undefined || !("responseTxn" in r)) return assert.fail("not a txn response");
  return r.responseTxn;
}

/** a=1 (rev 2, lease 0), b=2 (rev 3), b=22 (rev 4): a v1 c2 m2, b v2 c3 m4. */
function sample(): MvccStore {
  const s = new MvccStore();
  s.put({ key: b("a"), value: b("1") });
  s.put({ key: b("b"), value: b("2") });
  s.put({ key: b("b"), value: b("22") });
  return s;
}

describe("txn compares", () => {
  const cases: [string, Compare, boolean][] = [
    ["version =", { key: b("b"), target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: 2 }, true],
    ["version >", { key: b("b"), target: CompareTarget.VERSION, result: CompareResult.GREATER, version: 2 }, false],
    ["version <", { key: b("b"), target: CompareTarget.VERSION, result: CompareResult.LESS, version: 3 }, true],
    ["version !=", { key: b("b"), target: CompareTarget.VERSION, result: CompareResult.NOT_EQUAL, version: 2 }, false],
    ["create =", { key: b("b"), target: CompareTarget.CREATE, createRevision: 3 }, true],
    ["create = 0 on a missing key (create-if-absent)", { key: b("zz"), target: CompareTarget.CREATE, createRevision: 0 }, true],
    ["mod =", { key: b("b"), target: CompareTarget.MOD, modRevision: 4 }, true],
    ["mod > ", { key: b("a"), target: CompareTarget.MOD, result: CompareResult.GREATER, modRevision: 1 }, true],
    ["value =", { key: b("b"), target: CompareTarget.VALUE, value: b("22") }, true],
    ["value <", { key: b("b"), target: CompareTarget.VALUE, result: CompareResult.LESS, value: b("3") }, true],
    ["value on a missing key always fails", { key: b("zz"), target: CompareTarget.VALUE, result: CompareResult.NOT_EQUAL, value: b("x") }, false],
    ["lease = 0", { key: b("a"), target: CompareTarget.LEASE, lease: 0 }, true],
    ["only the target's field is read", { key: b("b"), target: CompareTarget.MOD, version: 2, modRevision: 4 }, true],
    ["missing fields are the proto defaults", { key: b("zz") }, true],
    ["range: holds for every key", { key: b("a"), rangeEnd: b("c"), target: CompareTarget.VERSION, result: CompareResult.GREATER, version: 0 }, true],
    ["range: fails if one key fails", { key: b("a"), rangeEnd: b("c"), target: CompareTarget.VERSION, version: 2 }, false],
    ["range \\0: every key from key on", { key: b("b"), rangeEnd: b("\0"), target: CompareTarget.VERSION, version: 2 }, true],
    ["empty range compares a zero key-value", { key: b("x"), rangeEnd: b("y"), target: CompareTarget.MOD, modRevision: 0 }, true],
  ];
  for (const [name, compare, holds] of cases) {
    it(name, () => {
      const s = sample();
      const r = s.txn({ compare: [compare], success: [get("a")], failure: [get("b")] });
      assert.equal(r.succeeded, holds);
      assert.deepEqual(rangeOf(r.responses[0]), holds ? ["a=1@2"] : ["b=22@4"]);
    });
  }

  it("needs every compare to hold", () => {
    const s = sample();
    const ok: Compare = { key: b("a"), version: 1 };
    const bad: Compare = { key: b("b"), version: 1 };
    assert.equal(s.txn({ compare: [ok, ok] }).succeeded, true);
    assert.equal(s.txn({ compare: [ok, bad] }).succeeded, false);
    assert.equal(s.txn({}).succeeded, true, "no compare holds vacuously");
  });

  it("compares leases", () => {
    const s = sample();
    s.leaseGrant(9, 60);
    s.put({ key: b("a"), value: b("1"), lease: 9 });
    assert.equal(s.txn({ compare: [{ key: b("a"), target: CompareTarget.LEASE, lease: 9 }] }).succeeded, true);
    assert.equal(s.txn({ compare: [{ key: b("a"), target: CompareTarget.LEASE, result: CompareResult.LESS, lease: 9 }] }).succeeded, false);
  });
});

describe("txn writes", () => {
  it("is one revision, with operations in order, seeing its own writes", () => {
    const s = sample();
    const w = s.watch(b("a"), b("\0"), 0);
    const r = s.txn({
      compare: [{ key: b("b"), target: CompareTarget.MOD, modRevision: 4 }],
      success: [put("c", "3"), get("a", "\0"), put("a", "11", { prevKv: true }), del("b", undefined, { prevKv: true }), get("a", "\0")],
    });
    assert.equal(r.succeeded, true);
    assert.equal(r.revision, 5);
    assert.equal(s.currentRevision, 5);
    assert.deepEqual(rangeOf(r.responses[1]), ["a=1@2", "b=22@4", "c=3@5"], "reads see earlier writes of the txn");
    const putResp = r.responses[2];
    assert.ok(putResp !== undefined && "responsePut" in putResp);
    assert.equal(str(putResp.responsePut.prevKv?.value ?? b("")), "1");
    assert.equal(putResp.responsePut.revision, 5);
    const delResp = r.responses[3];
    assert.ok(delResp !== undefined && "responseDeleteRange" in delResp);
    assert.deepEqual([delResp.responseDeleteRange.deleted, kvs(delResp.responseDeleteRange.prevKvs).map((x) => x.value)], [1, ["22"]]);
    assert.deepEqual(rangeOf(r.responses[4]), ["a=11@5", "c=3@5"]);
    assert.deepEqual(evs(w.take()), ["PUT c=3@5", "PUT a=11@5", "DELETE b@5"], "one revision, events in operation order");
    assert.deepEqual(rangeOf(s.txn({ success: [get("a", "\0")] }).responses[0]), ["a=11@5", "c=3@5"]);
  });

  it("evaluates nested compares against the state before the txn", () => {
    const s = sample();
    const r = s.txn({
      success: [
        put("x", "1"),
        txnOp({
          compare: [{ key: b("x"), target: CompareTarget.VERSION, version: 0 }],
          success: [put("y", "nested-success")],
          failure: [put("y", "nested-failure")],
        }),
      ],
    });
    const nested = txnOf(r.responses[1]);
    assert.equal(nested.succeeded, true, "x did not exist before the txn");
    assert.equal(nested.revision, 5);
    assert.equal(str((s.range({ key: b("y") }).kvs[0] ?? assert.fail()).value), "nested-success");
    assert.equal(s.currentRevision, 5);
  });

  it("creates no revision when it writes nothing", () => {
    const s = sample();
    const r = s.txn({ success: [get("a"), del("nope"), txnOp({ success: [del("x", "z")] })] });
    assert.equal(r.revision, 4);
    assert.equal(s.currentRevision, 4);
    assert.equal(s.txn({ compare: [{ key: b("a"), version: 9 }], success: [put("a", "2")] }).revision, 4, "the failure branch is empty");
  });

  it("checks the chosen path before writing anything", () => {
    const s = sample();
    assert.throws(() => s.txn({ success: [put("c", "3"), put("d", "4", { lease: 77 })] }), LeaseNotFoundError);
    assert.throws(() => s.txn({ success: [put("c", "3"), put("zz", "", { ignoreValue: true, value: undefined })] }), KeyNotFoundError);
    assert.throws(() => s.txn({ success: [put("c", "3"), { requestRange: { key: b("a"), revision: 5 } }] }), FutureRevisionError);
    assert.throws(() => s.txn({ success: [txnOp({ success: [put("c", "3"), put("d", "4", { lease: 77 })] })] }), LeaseNotFoundError);
    assert.equal(s.currentRevision, 4);
    assert.equal(s.range({ key: b("c") }).count, 0);
    // the branch not taken is not checked
    assert.equal(s.txn({ failure: [put("d", "4", { lease: 77 })], success: [put("c", "3")] }).succeeded, true);
  });

  it("rolls back completely when an operation fails midway", () => {
    const s = sample();
    s.leaseGrant(5, 60);
    s.put({ key: b("l"), value: b("v"), lease: 5 });
    const before = s.hashKV().hash;
    // etcd's duplicate check does not see that an end of "\0" covers "b"; etcd itself would
    // panic on this txn, the store refuses it cleanly
    assert.throws(
      () => s.txn({ success: [put("new", "1"), del("b", "\0"), put("b", "", { ignoreValue: true })] }),
      KeyNotFoundError,
    );
    assert.equal(s.currentRevision, 5);
    assert.equal(s.hashKV().hash, before);
    assert.deepEqual(s.leaseTimeToLive(5, true)?.keys?.map(str), ["l"], "lease attachments restored");
    assert.equal(s.range({ key: b("new") }).count, 0);
    assert.equal(s.range({ key: b("a"), rangeEnd: b("\0") }).count, 3);
  });
});

describe("txn validation", () => {
  const dup = (t: TxnRequest): void => assert.throws(() => new MvccStore().txn(t), (e: unknown) =>
    e instanceof DuplicateKeyError && e.message === "etcdserver: duplicate key given in txn request");

  it("refuses a key written twice on one path", () => {
    dup({ success: [put("a", "1"), put("a", "2")] });
    dup({ failure: [put("a", "1"), del("a")] });
    dup({ success: [del("a", "c"), put("b", "1")] });
    dup({ success: [put("a", "1"), txnOp({ success: [put("a", "2")] })] });
    dup({ success: [del("a", "c"), txnOp({ failure: [put("b", "2")] })] });
    dup({ success: [txnOp({ success: [put("a", "1")] }), txnOp({ failure: [put("a", "2")] })] });
  });

  it("allows what etcd allows", () => {
    const s = new MvccStore();
    s.txn({ success: [put("a", "1")], failure: [put("a", "2")] });
    s.txn({ success: [del("a"), del("a", "c")] });
    s.txn({ success: [txnOp({ success: [put("a", "1")], failure: [put("a", "2")] })] });
    s.txn({ success: [del("a", "\0"), put("a", "3")] });
    // revision 5 deleted a (made at 4) and re-created it: a new generation within one revision
    assert.deepEqual(kvs(s.range({ key: b("a") }).kvs), [{ key: "a", value: "3", createRevision: 5, modRevision: 5, version: 1, lease: 0 }]);
    assert.equal(str((s.range({ key: b("a"), revision: 4 }).kvs[0] ?? assert.fail()).value), "1");
  });

  it("limits operations per list, nested ones sharing the budget", () => {
    const ops = Array.from({ length: 129 }, (_, i) => put(`k${i}`, ""));
    assert.throws(() => validateTxnRequest({ success: ops }), (e: unknown) => e instanceof TooManyOpsError && e.message === "etcdserver: too many operations in txn request");
    validateTxnRequest({ success: ops.slice(0, 128), failure: ops.slice(0, 128) });
    const cmp: Compare = { key: b("x") };
    assert.throws(() => validateTxnRequest({ compare: [cmp, cmp, cmp], success: [txnOp({ success: [put("a", ""), put("b", "")] })] }, 4), TooManyOpsError);
    validateTxnRequest({ compare: [cmp, cmp], success: [txnOp({ success: [put("a", ""), put("b", "")] })] }, 4);
    const s = new MvccStore();
    assert.equal(s.txn({ success: ops }).revision, 2, "the store itself leaves the limit to the API layer");
  });

  it("refuses empty keys and empty operations", () => {
    const s = new MvccStore();
    assert.throws(() => s.txn({ compare: [{ key: b("") }] }), EmptyKeyError);
    assert.throws(() => s.txn({ success: [{ requestRange: {} }] }), EmptyKeyError);
    assert.throws(() => s.txn({ success: [{} as RequestOp] }), KeyNotFoundError);
    assert.throws(() => s.txn({ success: [{ requestPut: null, requestRange: null } as unknown as RequestOp] }), KeyNotFoundError);
  });
});
