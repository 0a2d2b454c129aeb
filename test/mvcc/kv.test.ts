import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CompactedError,
  EmptyKeyError,
  FutureRevisionError,
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccStore,
  SortOrder,
  SortTarget,
  ValueProvidedError,
  prefixEnd,
} from "../../internal/mvcc/index.js";
import type { RangeRequest } from "../../internal/mvcc/index.js";
import { b, kv, kvs, str } from "./helpers.js";

describe("revisions", () => {
  it("follows etcd's worked example: put, put, delete, re-create", () => {
    const s = new MvccStore();
    assert.equal(s.currentRevision, 1, "an empty store is at revision 1");
    assert.equal(s.put({ key: b("foo"), value: b("bar") }).revision, 2);
    assert.equal(s.put({ key: b("foo"), value: b("baz") }).revision, 3);
    assert.deepEqual(s.deleteRange({ key: b("foo") }), { deleted: 1, prevKvs: [], revision: 4 });

    const at2 = s.range({ key: b("foo"), revision: 2 });
    assert.deepEqual(kvs(at2.kvs), [{ key: "foo", value: "bar", createRevision: 2, modRevision: 2, version: 1, lease: 0 }]);
    const at3 = s.range({ key: b("foo"), revision: 3 });
    assert.deepEqual(kvs(at3.kvs), [{ key: "foo", value: "baz", createRevision: 2, modRevision: 3, version: 2, lease: 0 }]);
    assert.equal(at3.revision, 4, "the header revision is the store's, not the read's");
    assert.deepEqual(s.range({ key: b("foo"), revision: 4 }), { kvs: [], more: false, count: 0, revision: 4 });
    assert.equal(s.range({ key: b("foo") }).count, 0);

    // a new generation starts over at version 1 with a new create revision
    s.put({ key: b("foo"), value: b("qux") });
    assert.deepEqual(kvs(s.range({ key: b("foo") }).kvs), [
      { key: "foo", value: "qux", createRevision: 5, modRevision: 5, version: 1, lease: 0 },
    ]);
    assert.equal(s.range({ key: b("foo"), revision: -1 }).kvs.length, 1, "a negative revision reads the head");
  });

  it("refuses future revisions and compacted ones with etcd's messages", () => {
    const s = new MvccStore();
    s.put({ key: b("a"), value: b("1") });
    s.put({ key: b("a"), value: b("2") });
    assert.throws(
      () => s.range({ key: b("a"), revision: 4 }),
      (e: unknown) =>
        e instanceof FutureRevisionError &&
        e.message === "mvcc: required revision is a future revision" &&
        e.grpcMessage === "etcdserver: mvcc: required revision is a future revision" &&
        e.currentRevision === 3 &&
        e.requestedRevision === 4,
    );
    s.compact(3);
    assert.throws(
      () => s.range({ key: b("a"), revision: 2 }),
      (e: unknown) =>
        e instanceof CompactedError &&
        e.name === "CompactedError" &&
        e.message === "mvcc: required revision has been compacted" &&
        e.compactRevision === 3 &&
        e.requestedRevision === 2,
    );
    assert.equal(str((s.range({ key: b("a"), revision: 3 }).kvs[0] ?? assert.fail()).value), "2");
  });
});

/**
 * rev 2 a=z, 3 b=y, 4 c=x, 5 b=w, 6 d=v, 7 a=u, 8 a=t, 9 e=s. At the head:
 *   a=t create 2 mod 8 v3 · b=w 3/5 v2 · c=x 4/4 v1 · d=v 6/6 v1 · e=s 9/9 v1
 */
function sample(): MvccStore {
  const s = new MvccStore();
  for (const [k, v] of [["a", "z"], ["b", "y"], ["c", "x"], ["b", "w"], ["d", "v"], ["a", "u"], ["a", "t"], ["e", "s"]] as const) {
    s.put({ key: b(k), value: b(v) });
  }
  return s;
}

function keys(s: MvccStore, r: RangeRequest): string {
  return s.range(r).kvs.map((x) => str(x.key)).join("");
}

const ALL = { key: b("a"), rangeEnd: b("\0") };

describe("range", () => {
  it("reads one key, [key, end), key and above, and prefixes", () => {
    const s = sample();
    assert.deepEqual(kvs(s.range({ key: b("b") }).kvs), [{ key: "b", value: "w", createRevision: 3, modRevision: 5, version: 2, lease: 0 }]);
    assert.equal(keys(s, { key: b("b"), rangeEnd: b("d") }), "bc");
    assert.equal(keys(s, { key: b("c"), rangeEnd: b("\0") }), "cde");
    assert.equal(keys(s, { key: b("\0"), rangeEnd: b("\0") }), "abcde", "key \\0 with end \\0 is every key");
    assert.equal(keys(s, { key: b("d"), rangeEnd: b("b") }), "", "an end before the key is empty");
    assert.equal(keys(s, { key: b("zz") }), "");

    const p = new MvccStore();
    for (const k of ["fon", "foo", "foo/a", "foo/b", "fop"]) p.put({ key: b(k), value: b("") });
    assert.deepEqual(str(prefixEnd(b("foo/"))), "foo0");
    assert.equal(p.range({ key: b("foo/"), rangeEnd: prefixEnd(b("foo/")) }).kvs.map((x) => str(x.key)).join(","), "foo/a,foo/b");
    assert.equal(p.range({ key: b("foo"), rangeEnd: prefixEnd(b("foo")) }).count, 3);
    assert.deepEqual([...prefixEnd(new Uint8Array([0x61, 0xff]))], [0x62]);
    assert.deepEqual([...prefixEnd(new Uint8Array([0xff]))], [0], "an all-0xff prefix covers everything above");
  });

  it("limits, reporting more and the full count", () => {
    const s = sample();
    assert.deepEqual(
      { ...s.range({ ...ALL, limit: 2 }), kvs: [] },
      { kvs: [], more: true, count: 5, revision: 9 },
    );
    assert.equal(keys(s, { ...ALL, limit: 2 }), "ab");
    assert.equal(s.range({ ...ALL, limit: 5 }).more, false);
    assert.equal(s.range({ ...ALL, limit: 6 }).more, false);
    assert.equal(keys(s, { ...ALL, limit: 0 }), "abcde");
    assert.equal(keys(s, { ...ALL, limit: -3 }), "abcde", "a negative limit is no limit");
  });

  it("sorts by every target, ties in key order", () => {
    const s = sample();
    const by = (sortTarget: SortTarget, sortOrder: SortOrder): string => keys(s, { ...ALL, sortTarget, sortOrder });
    assert.equal(by(SortTarget.KEY, SortOrder.NONE), "abcde");
    assert.equal(by(SortTarget.KEY, SortOrder.ASCEND), "abcde");
    assert.equal(by(SortTarget.KEY, SortOrder.DESCEND), "edcba");
    assert.equal(by(SortTarget.VERSION, SortOrder.ASCEND), "cdeba");
    assert.equal(by(SortTarget.VERSION, SortOrder.DESCEND), "abcde");
    assert.equal(by(SortTarget.VERSION, SortOrder.NONE), "cdeba", "a non-key target sorts ascending by default");
    assert.equal(by(SortTarget.CREATE, SortOrder.DESCEND), "edcba");
    assert.equal(by(SortTarget.MOD, SortOrder.ASCEND), "cbdae");
    assert.equal(by(SortTarget.MOD, SortOrder.DESCEND), "eadbc");
    assert.equal(by(SortTarget.VALUE, SortOrder.ASCEND), "eadbc");
    assert.equal(by(SortTarget.VALUE, SortOrder.DESCEND), "cbdae");
  });

  it("sorts before limiting, except etcd's NONE-order quirk", () => {
    const s = sample();
    const top = s.range({ ...ALL, sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND, limit: 2 });
    assert.deepEqual([top.kvs.map((x) => str(x.key)).join(""), top.more, top.count], ["ea", true, 5]);
    // order NONE with another target: etcd fetches limit+1 keys in key order (a, b, c), sorts
    // those by version, then cuts to the limit
    const quirk = s.range({ ...ALL, sortTarget: SortTarget.VERSION, limit: 2 });
    assert.deepEqual([quirk.kvs.map((x) => str(x.key)).join(""), quirk.more, quirk.count], ["cb", true, 5]);
  });

  it("filters on mod and create revisions after counting", () => {
    const s = sample();
    assert.equal(keys(s, { ...ALL, minModRevision: 6 }), "ade");
    assert.equal(keys(s, { ...ALL, maxModRevision: 5 }), "bc");
    assert.equal(keys(s, { ...ALL, maxCreateRevision: 3 }), "ab");
    assert.equal(keys(s, { ...ALL, minCreateRevision: 4, maxModRevision: 6 }), "cd");
    const r = s.range({ ...ALL, minModRevision: 6, limit: 2 });
    assert.deepEqual([r.kvs.map((x) => str(x.key)).join(""), r.more, r.count], ["ad", true, 5]);
    const none = s.range({ ...ALL, minModRevision: 100 });
    assert.deepEqual([none.kvs.length, none.more, none.count], [0, false, 5]);
  });

  it("counts only, returns keys only, and reads the past", () => {
    const s = sample();
    assert.deepEqual(s.range({ ...ALL, countOnly: true, limit: 1 }), { kvs: [], more: false, count: 5, revision: 9 });
    const ko = s.range({ key: b("a"), rangeEnd: b("c"), keysOnly: true });
    assert.deepEqual(kvs(ko.kvs), [
      { key: "a", value: "", createRevision: 2, modRevision: 8, version: 3, lease: 0 },
      { key: "b", value: "", createRevision: 3, modRevision: 5, version: 2, lease: 0 },
    ]);
    assert.equal(str((s.range({ key: b("a") }).kvs[0] ?? assert.fail()).value), "t", "keysOnly copies, never blanks the store");
    const past = s.range({ ...ALL, revision: 5 });
    assert.deepEqual(
      past.kvs.map((x) => `${str(x.key)}=${str(x.value)}/v${x.version}`),
      ["a=z/v1", "b=w/v2", "c=x/v1"],
    );
    assert.equal(past.count, 3);
    assert.equal(past.revision, 9);
  });

  it("rejects requests etcd's API rejects", () => {
    const s = sample();
    assert.throws(() => s.range({}), (e: unknown) => e instanceof EmptyKeyError && e.message === "etcdserver: key is not provided");
    assert.throws(() => s.range({ key: b("a"), revision: 2 ** 60 }), InvalidArgumentError);
    assert.throws(() => s.range({ key: b("a"), sortOrder: 7 as SortOrder }), InvalidArgumentError);
  });
});

describe("put", () => {
  it("returns the previous key-value when asked", () => {
    const s = new MvccStore();
    assert.deepEqual(s.put({ key: b("k"), value: b("1"), prevKv: true }), { revision: 2 });
    const r = s.put({ key: b("k"), value: b("2"), prevKv: true });
    assert.deepEqual(kv(r.prevKv ?? assert.fail()), { key: "k", value: "1", createRevision: 2, modRevision: 2, version: 1, lease: 0 });
    assert.equal(r.revision, 3);
  });

  it("keeps value or lease with ignoreValue / ignoreLease", () => {
    const s = new MvccStore();
    s.leaseGrant(7, 60);
    s.put({ key: b("k"), value: b("v") });
    s.put({ key: b("k"), ignoreValue: true, lease: 7 });
    assert.deepEqual(kv(s.range({ key: b("k") }).kvs[0] ?? assert.fail()), {
      key: "k", value: "v", createRevision: 2, modRevision: 3, version: 2, lease: 7,
    });
    s.put({ key: b("k"), value: b("w"), ignoreLease: true });
    assert.deepEqual(kv(s.range({ key: b("k") }).kvs[0] ?? assert.fail()), {
      key: "k", value: "w", createRevision: 2, modRevision: 4, version: 3, lease: 7,
    });
    assert.deepEqual(s.leaseTimeToLive(7, true)?.keys?.map(str), ["k"]);
  });

  it("fails without side effects, in etcd's words", () => {
    const s = new MvccStore();
    assert.throws(
      () => s.put({ key: b("missing"), ignoreValue: true }),
      (e: unknown) => e instanceof KeyNotFoundError && e.message === "etcdserver: key not found" && str(e.key ?? b("")) === "missing",
    );
    assert.throws(() => s.put({ key: b("missing"), ignoreLease: true }), KeyNotFoundError);
    assert.throws(
      () => s.put({ key: b("k"), value: b("v"), lease: 5 }),
      (e: unknown) => e instanceof LeaseNotFoundError && e.message === "etcdserver: requested lease not found" && e.leaseId === 5,
    );
    assert.throws(() => s.put({ key: b("k"), value: b("v"), ignoreValue: true }), (e: unknown) => e instanceof ValueProvidedError && e.message === "etcdserver: value is provided");
    assert.throws(() => s.put({ key: b("k"), lease: 3, ignoreLease: true }), (e: unknown) => e instanceof LeaseProvidedError && e.message === "etcdserver: lease is provided");
    assert.throws(() => s.put({ value: b("v") }), EmptyKeyError);
    assert.equal(s.currentRevision, 1);
    assert.equal(s.range({ key: b("\0"), rangeEnd: b("\0") }).count, 0);
  });

  it("copies its input", () => {
    const s = new MvccStore();
    const key = b("key");
    const value = b("value");
    s.put({ key, value });
    key[0] = 0x7a;
    value[0] = 0x7a;
    assert.deepEqual(kvs(s.range({ key: b("key") }).kvs).map((x) => x.value), ["value"]);
  });
});

describe("deleteRange", () => {
  it("deletes a range in one revision and returns prevKvs in key order", () => {
    const s = sample();
    const r = s.deleteRange({ key: b("b"), rangeEnd: b("e"), prevKv: true });
    assert.equal(r.deleted, 3);
    assert.equal(r.revision, 10);
    assert.deepEqual(r.prevKvs.map((x) => `${str(x.key)}=${str(x.value)}`), ["b=w", "c=x", "d=v"]);
    assert.equal(keys(s, ALL), "ae");
    assert.equal(keys(s, { ...ALL, revision: 9 }), "abcde");
  });

  it("does not create a revision when nothing matched", () => {
    const s = sample();
    assert.deepEqual(s.deleteRange({ key: b("x"), rangeEnd: b("z"), prevKv: true }), { deleted: 0, prevKvs: [], revision: 9 });
    assert.equal(s.currentRevision, 9);
    s.deleteRange({ key: b("a") });
    assert.deepEqual(s.deleteRange({ key: b("a") }), { deleted: 0, prevKvs: [], revision: 10 }, "a deleted key is not deleted twice");
  });

  it("deletes every key from key on with end \\0", () => {
    const s = sample();
    assert.equal(s.deleteRange({ key: b("c"), rangeEnd: b("\0") }).deleted, 3);
    assert.equal(keys(s, ALL), "ab");
  });
});

describe("many keys", () => {
  it("keeps byte order across index chunks through inserts, deletes, rollbacks and compaction", () => {
    const s = new MvccStore();
    const n = 3000;
    const ids = Array.from({ length: n }, (_, i) => i);
    // a fixed shuffle, so inserts land all over the index
    for (let i = n - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    const name = (i: number): string => `key/${String(i).padStart(5, "0")}`;
    for (const i of ids) s.put({ key: b(name(i)), value: b(String(i)) });
    const all = s.range({ key: b("key/"), rangeEnd: prefixEnd(b("key/")) });
    assert.equal(all.count, n);
    assert.deepEqual(all.kvs.map((x) => str(x.key)), Array.from({ length: n }, (_, i) => name(i)));
    assert.equal(s.range({ key: b(name(1000)), rangeEnd: b(name(2000)) }).count, 1000);
    assert.deepEqual(keysOf(s.range({ key: b(name(1023)), rangeEnd: b("\0"), limit: 3 }).kvs), [name(1023), name(1024), name(1025)]);

    assert.throws(() => s.txn({ success: [{ requestPut: { key: b("key/00500x"), value: b("") } }, { requestPut: { key: b("key/00501"), ignoreValue: true, lease: 9 } }] }));
    assert.equal(s.range({ key: b("key/00500x") }).count, 0, "the rolled-back key left the index");

    for (let i = 0; i < n; i += 2) s.deleteRange({ key: b(name(i)) });
    s.compact(s.currentRevision);
    const odd = s.range({ key: b("key/"), rangeEnd: prefixEnd(b("key/")) });
    assert.equal(odd.count, n / 2);
    assert.deepEqual(keysOf(odd.kvs.slice(0, 3)), [name(1), name(3), name(5)]);
    s.put({ key: b(name(2)), value: b("back") });
    assert.deepEqual(keysOf(s.range({ key: b(name(1)), rangeEnd: b(name(4)) }).kvs), [name(1), name(2), name(3)]);
  });
});

function keysOf(list: readonly { key: Uint8Array }[]): string[] {
  return list.map((x) => str(x.key));
}
