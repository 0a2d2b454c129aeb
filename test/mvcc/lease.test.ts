import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  InvalidArgumentError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTtlTooLargeError,
  MAX_LEASE_TTL,
  MvccStore,
} from "../../internal/mvcc/index.js";
import { b, evs, str } from "./helpers.js";

describe("leases", () => {
  it("grants, lists and answers time-to-live", () => {
    const s = new MvccStore();
    assert.deepEqual(s.leaseGrant(20, 30), { id: 20, ttl: 30, revision: 1 });
    assert.deepEqual(s.leaseGrant(10, 60), { id: 10, ttl: 60, revision: 1 });
    assert.equal(s.currentRevision, 1, "leases do not create revisions");
    assert.deepEqual(s.leaseList(), [
      { id: 10, ttl: 60, remainingTtl: 0 },
      { id: 20, ttl: 30, remainingTtl: 0 },
    ]);
    s.put({ key: b("k2"), value: b(""), lease: 10 });
    s.put({ key: b("k1"), value: b(""), lease: 10 });
    assert.deepEqual(s.leaseTimeToLive(10, true), { id: 10, ttl: 60, remainingTtl: 0, keys: [b("k1"), b("k2")] });
    assert.deepEqual(s.leaseTimeToLive(10), { id: 10, ttl: 60, remainingTtl: 0 });
    assert.equal(s.leaseTimeToLive(99), undefined);
    assert.deepEqual(s.leaseList(true).map((l) => l.keys?.map(str)), [["k1", "k2"], []]);
  });

  it("refuses bad grants in etcd's words", () => {
    const s = new MvccStore();
    s.leaseGrant(1, 10);
    assert.throws(() => s.leaseGrant(1, 10), (e: unknown) => e instanceof LeaseExistsError && e.message === "etcdserver: lease already exists" && e.leaseId === 1);
    assert.throws(() => s.leaseGrant(2, MAX_LEASE_TTL + 1), (e: unknown) => e instanceof LeaseTtlTooLargeError && e.message === "etcdserver: too large lease TTL");
    assert.throws(() => s.leaseGrant(0, 10), LeaseNotFoundError, "id 0 means 'pick one', which the proposer must do");
    assert.throws(() => s.leaseGrant(2 ** 63, 10), InvalidArgumentError);
    assert.throws(() => s.leaseRevoke(3), (e: unknown) => e instanceof LeaseNotFoundError && e.leaseId === 3);
  });

  it("raises short TTLs to the minimum", () => {
    const s = new MvccStore({ minLeaseTtl: 5 });
    assert.equal(s.leaseGrant(1, 2).ttl, 5);
    assert.equal(s.leaseGrant(2, 7).ttl, 7);
  });

  it("moves keys between leases on put and detaches on delete", () => {
    const s = new MvccStore();
    s.leaseGrant(1, 10);
    s.leaseGrant(2, 10);
    s.put({ key: b("k"), value: b("v"), lease: 1 });
    s.put({ key: b("k"), value: b("v"), lease: 2 });
    assert.deepEqual(s.leaseTimeToLive(1, true)?.keys, []);
    assert.deepEqual(s.leaseTimeToLive(2, true)?.keys?.map(str), ["k"]);
    s.put({ key: b("k"), value: b("v") });
    assert.deepEqual(s.leaseTimeToLive(2, true)?.keys, [], "a put without lease detaches");
    s.put({ key: b("k"), value: b("v"), lease: 1 });
    s.deleteRange({ key: b("k") });
    assert.deepEqual(s.leaseTimeToLive(1, true)?.keys, []);
  });

  it("revokes: deletes the lease's keys in one revision, in key order", () => {
    const s = new MvccStore();
    s.leaseGrant(7, 10);
    for (const k of ["c", "a", "b"]) s.put({ key: b(k), value: b(k), lease: 7 });
    s.put({ key: b("other"), value: b("x") });
    const w = s.watch(b("a"), b("\0"), 0, { prevKv: true });
    assert.deepEqual(s.leaseRevoke(7), { revision: 6 });
    assert.deepEqual(evs(w.take()), ["DELETE a@6 (prev a)", "DELETE b@6 (prev b)", "DELETE c@6 (prev c)"]);
    assert.equal(s.leaseTimeToLive(7), undefined);
    assert.deepEqual(s.range({ key: b("a"), rangeEnd: b("\0") }).kvs.map((x) => str(x.key)), ["other"]);
    assert.throws(() => s.put({ key: b("a"), value: b(""), lease: 7 }), LeaseNotFoundError);
    s.leaseGrant(8, 10);
    assert.deepEqual(s.leaseRevoke(8), { revision: 6 }, "a lease without keys revokes without a revision");
  });

  it("checkpoints remaining TTLs, skipping unknown leases", () => {
    const s = new MvccStore();
    s.leaseGrant(1, 100);
    s.leaseGrant(2, 100);
    assert.deepEqual(s.leaseCheckpoint([{ id: 1, remainingTtl: 42 }, { id: 3, remainingTtl: 5 }]), { revision: 1 });
    assert.equal(s.leaseTimeToLive(1)?.remainingTtl, 42);
    assert.equal(s.leaseTimeToLive(2)?.remainingTtl, 0);
    s.leaseCheckpoint([{ id: 1, remainingTtl: 0 }]);
    assert.equal(s.leaseTimeToLive(1)?.remainingTtl, 0, "a renewal resets the checkpoint");
  });
});
