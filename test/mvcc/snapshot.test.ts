import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CompactedError,
  FutureRevisionError,
  MvccStore,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotCorruptError,
  SnapshotProblem,
  crc32c,
} from "../../internal/mvcc/index.js";
import { b, kvs, str } from "./helpers.js";

const ALL = { key: b("\0"), rangeEnd: b("\0") };

/** A store with some of everything: generations, a txn, leases, a checkpoint, a compaction. */
function busy(): MvccStore {
  const s = new MvccStore();
  s.leaseGrant(100, 60);
  s.leaseGrant(200, 30);
  for (let i = 0; i < 20; i++) s.put({ key: b(`key/${i % 7}`), value: b(`v${i}`), lease: i % 5 === 0 ? 100 : 0 });
  s.deleteRange({ key: b("key/3") });
  s.txn({
    success: [
      { requestPut: { key: b("txn/a"), value: b("1"), lease: 200 } },
      { requestDeleteRange: { key: b("key/5") } },
      { requestPut: { key: b("key/3"), value: b("again") } },
    ],
  });
  s.compact(10);
  s.put({ key: b("bin"), value: new Uint8Array([0, 255, 1, 254]) });
  s.leaseCheckpoint([{ id: 200, remainingTtl: 12 }]);
  return s;
}

function rewriteChecksum(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)));
  return out;
}

describe("snapshot and restore", () => {
  it("rebuild an identical store", () => {
    const s = busy();
    const meta = b("applied-index=42");
    const snap = s.snapshot(meta);
    const r = new MvccStore();
    assert.deepEqual(str(r.restore(snap).meta), "applied-index=42");
    assert.equal(r.currentRevision, s.currentRevision);
    assert.equal(r.compactRevision, 10);
    for (let rev = 10; rev <= s.currentRevision; rev++) {
      assert.deepEqual(r.hashKV(rev), s.hashKV(rev), `hash at ${rev}`);
      assert.deepEqual(kvs(r.range({ ...ALL, revision: rev }).kvs), kvs(s.range({ ...ALL, revision: rev }).kvs));
    }
    assert.deepEqual(r.leaseList(true), s.leaseList(true));
    assert.equal(r.sizeBytes(), s.sizeBytes());
    assert.deepEqual(r.snapshot(meta), snap, "byte for byte");

    // both go on identically
    for (const st of [s, r]) {
      st.leaseRevoke(100);
      st.put({ key: b("after"), value: b("x"), prevKv: true });
      st.compact(st.currentRevision - 1);
    }
    assert.deepEqual(r.hashKV(), s.hashKV());
    assert.deepEqual(r.snapshot(), s.snapshot());
  });

  it("round-trips an empty store", () => {
    const r = new MvccStore();
    r.restore(new MvccStore().snapshot());
    assert.deepEqual(r.hashKV(), new MvccStore().hashKV());
    assert.equal(r.currentRevision, 1);
  });

  it("rejects corrupted input and leaves the store untouched", () => {
    const s = busy();
    const snap = s.snapshot();
    const victim = busy();
    victim.put({ key: b("mine"), value: b("1") });
    const before = victim.hashKV();
    const problem = (bytes: Uint8Array): SnapshotProblem => {
      try {
        victim.restore(bytes);
      } catch (e) {
        assert.ok(e instanceof SnapshotCorruptError);
        assert.equal(e.name, "SnapshotCorruptError");
        assert.match(e.message, /^mvcc: snapshot is corrupt: /);
        return e.problem;
      }
      return assert.fail("restore accepted a bad snapshot");
    };
    for (const at of [20, 40, Math.floor(snap.length / 2), snap.length - 10, snap.length - 1]) {
      const bad = snap.slice();
      bad[at] = (bad[at] as number) ^ 0x10;
      assert.equal(problem(bad), SnapshotProblem.ChecksumMismatch, `flip at ${at}`);
    }
    assert.equal(problem(snap.subarray(0, snap.length - 1)), SnapshotProblem.ChecksumMismatch);
    assert.equal(problem(snap.subarray(0, 10)), SnapshotProblem.Truncated);
    const magic = snap.slice();
    magic[0] = 0x41;
    assert.equal(problem(magic), SnapshotProblem.BadMagic);
    const version = snap.slice();
    new DataView(version.buffer).setUint32(8, SNAPSHOT_FORMAT_VERSION + 1);
    assert.equal(problem(version), SnapshotProblem.UnsupportedVersion);
    // a valid checksum over nonsense: current revision 3 while records go up to 26
    const rev = snap.slice();
    new DataView(rev.buffer).setUint32(16, 3);
    assert.equal(problem(rewriteChecksum(rev)), SnapshotProblem.Inconsistent);
    // bytes after the last key
    const cut = snap.slice(0, snap.length - 4);
    assert.equal(problem(rewriteChecksum(new Uint8Array([...cut, 1, 2, 3, 4, 0, 0, 0, 0]))), SnapshotProblem.Inconsistent);
    assert.deepEqual(victim.hashKV(), before);
    assert.equal(victim.range({ key: b("mine") }).count, 1);
  });
});

describe("hashKV", () => {
  const build = (ops: (s: MvccStore) => void): MvccStore => {
    const s = new MvccStore();
    ops(s);
    return s;
  };
  const put = (s: MvccStore, k: string, v: string, lease = 0): void => {
    s.put({ key: b(k), value: b(v), lease });
  };

  it("agrees for equal histories and differs for any difference", () => {
    const base = (s: MvccStore): void => {
      s.leaseGrant(1, 10);
      put(s, "a", "1");
      put(s, "b", "2");
      put(s, "a", "3");
    };
    const h = (s: MvccStore): number => s.hashKV().hash;
    const ref = h(build(base));
    assert.equal(h(build(base)), ref);
    const variants: [string, (s: MvccStore) => void][] = [
      ["another value", (s) => { s.leaseGrant(1, 10); put(s, "a", "1"); put(s, "b", "2"); put(s, "a", "4"); }],
      ["another key", (s) => { s.leaseGrant(1, 10); put(s, "a", "1"); put(s, "c", "2"); put(s, "a", "3"); }],
      ["a lease", (s) => { s.leaseGrant(1, 10); put(s, "a", "1"); put(s, "b", "2", 1); put(s, "a", "3"); }],
      ["another order", (s) => { s.leaseGrant(1, 10); put(s, "b", "2"); put(s, "a", "1"); put(s, "a", "3"); }],
      ["same final state, other history", (s) => { s.leaseGrant(1, 10); put(s, "a", "3"); put(s, "b", "2"); put(s, "a", "3"); }],
      ["one txn instead of two puts", (s) => {
        s.leaseGrant(1, 10);
        s.txn({ success: [{ requestPut: { key: b("a"), value: b("1") } }, { requestPut: { key: b("b"), value: b("2") } }] });
        put(s, "a", "3");
        put(s, "zz", "pad");
      }],
      ["a compaction", (s) => { base(s); s.compact(3); }],
    ];
    for (const [name, ops] of variants) assert.notEqual(h(build(ops)), ref, name);
    assert.equal(h(build(base)), h(build((s) => { base(s); s.leaseRevoke(1); })), "leases are not part of the KV hash");
  });

  it("is stable at a revision while later ones are written", () => {
    const s = new MvccStore();
    put(s, "a", "1");
    put(s, "b", "1");
    const at3 = s.hashKV(3);
    assert.equal(at3.revision, 3);
    put(s, "a", "2");
    s.deleteRange({ key: b("b") });
    assert.deepEqual(s.hashKV(3), at3);
    assert.notEqual(s.hashKV().hash, at3.hash);
    assert.equal(s.hashKV().revision, 5);
  });

  it("refuses revisions it cannot hash", () => {
    const s = new MvccStore();
    put(s, "a", "1");
    put(s, "a", "2");
    s.compact(3);
    assert.throws(() => s.hashKV(2), CompactedError);
    assert.throws(() => s.hashKV(4), FutureRevisionError);
    assert.deepEqual(s.hashKV(3).compactRevision, 3);
  });
});
