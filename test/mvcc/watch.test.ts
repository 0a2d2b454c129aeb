import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, MvccStore, WatchFilter, prefixEnd } from "../../internal/mvcc/index.js";
import type { Watcher, WatchResponse } from "../../internal/mvcc/index.js";
import { b, evs } from "./helpers.js";

/** Takes until nothing is pending, as a consumer loop does. */
function drain(w: Watcher): WatchResponse[] {
  const out: WatchResponse[] = [];
  while (w.pending) out.push(...w.take());
  return out;
}

describe("watch", () => {
  it("delivers live events for one key, one response per revision", () => {
    const s = new MvccStore();
    const w = s.watch(b("foo"), undefined, 0);
    assert.equal(w.pending, false);
    s.put({ key: b("foo"), value: b("bar") });
    s.put({ key: b("fooo"), value: b("x") });
    s.put({ key: b("foo"), value: b("baz") });
    s.deleteRange({ key: b("foo") });
    const got = w.take();
    assert.deepEqual(got.map((r) => [r.watchId, r.revision, r.events.length, r.canceled, r.progressNotify]), [
      [w.id, 2, 1, false, false],
      [w.id, 4, 1, false, false],
      [w.id, 5, 1, false, false],
    ]);
    assert.deepEqual(evs(got), ["PUT foo=bar@2", "PUT foo=baz@4", "DELETE foo@5"]);
    const del = got[2]?.events[0] ?? assert.fail();
    assert.deepEqual([del.kv.createRevision, del.kv.version, del.kv.value.length, del.kv.lease], [0, 0, 0, 0], "a delete event carries only key and revision");
  });

  it("watches prefixes and everything from a key on", () => {
    const s = new MvccStore();
    const prefix = s.watch(b("/pods/"), prefixEnd(b("/pods/")), 0);
    const from = s.watch(b("/pods/b"), b("\0"), 0);
    for (const k of ["/pods/a", "/pods/b", "/podsx", "/svc/a", "/pods/c"]) s.put({ key: b(k), value: b("1") });
    assert.deepEqual(evs(prefix.take()), ["PUT /pods/a=1@2", "PUT /pods/b=1@3", "PUT /pods/c=1@6"]);
    assert.deepEqual(evs(from.take()), ["PUT /pods/b=1@3", "PUT /podsx=1@4", "PUT /svc/a=1@5", "PUT /pods/c=1@6"]);
  });

  it("delivers a transaction's events together, in operation order, computed once", () => {
    const s = new MvccStore();
    const a = s.watch(b("k"), b("l"), 0);
    const c = s.watch(b("\0"), b("\0"), 0);
    const exact = s.watch(b("k2"), undefined, 0);
    s.txn({
      success: [
        { requestPut: { key: b("k3"), value: b("3") } },
        { requestPut: { key: b("k1"), value: b("1") } },
        { requestPut: { key: b("k2"), value: b("2") } },
      ],
    });
    const ra = a.take();
    const rc = c.take();
    assert.equal(ra.length, 1);
    assert.deepEqual(evs(ra), ["PUT k3=3@2", "PUT k1=1@2", "PUT k2=2@2"]);
    assert.equal(ra[0]?.events, rc[0]?.events, "watchers wanting all of a revision share one array");
    assert.equal(exact.take()[0]?.events[0], ra[0]?.events[2], "and the same event objects");
  });

  it("replays history from a past revision, then continues live", () => {
    const s = new MvccStore();
    s.put({ key: b("a"), value: b("1") });
    s.put({ key: b("b"), value: b("1") });
    s.put({ key: b("a"), value: b("2") });
    const w = s.watch(b("a"), undefined, 3, { prevKv: true });
    assert.equal(w.pending, true);
    s.deleteRange({ key: b("a") });
    const history = w.take();
    assert.deepEqual(history.map((r) => r.revision), [5]);
    assert.deepEqual(evs(history), ["PUT a=2@4 (prev 1)", "DELETE a@5 (prev 2)"]);
    assert.equal(w.pending, false);
    s.put({ key: b("a"), value: b("3") });
    assert.deepEqual(evs(w.take()), ["PUT a=3@6"], "a create has no prevKv");
  });

  it("filters puts or deletes and leaves out prevKv unless asked", () => {
    const s = new MvccStore();
    const noPut = s.watch(b("k"), undefined, 0, { filters: [WatchFilter.NOPUT] });
    const noDelete = s.watch(b("k"), undefined, 0, { filters: [WatchFilter.NODELETE], prevKv: true });
    const plain = s.watch(b("k"), undefined, 0);
    s.put({ key: b("k"), value: b("1") });
    s.put({ key: b("k"), value: b("2") });
    s.deleteRange({ key: b("k") });
    assert.deepEqual(evs(noPut.take()), ["DELETE k@4"]);
    assert.deepEqual(evs(noDelete.take()), ["PUT k=1@2", "PUT k=2@3 (prev 1)"]);
    assert.deepEqual(evs(plain.take()), ["PUT k=1@2", "PUT k=2@3", "DELETE k@4"]);
  });

  it("starts at a future revision", () => {
    const s = new MvccStore();
    const w = s.watch(b("k"), undefined, 4);
    for (const v of ["1", "2", "3", "4"]) s.put({ key: b("k"), value: b(v) });
    assert.deepEqual(evs(w.take()), ["PUT k=3@4", "PUT k=4@5"]);
  });

  it("cancels a watch that needs compacted history, and serves compact+1", () => {
    const s = new MvccStore();
    for (const v of ["1", "2", "3", "4"]) s.put({ key: b("k"), value: b(v) });
    s.compact(3);
    const old = s.watch(b("k"), undefined, 3);
    assert.equal(old.canceled, true);
    assert.deepEqual(old.take(), [
      { watchId: old.id, revision: 5, events: [], compactRevision: 3, canceled: true, progressNotify: false },
    ]);
    assert.deepEqual(old.take(), []);
    const ok = s.watch(b("k"), undefined, 4, { prevKv: true });
    assert.deepEqual(evs(drain(ok)), ["PUT k=3@4 (prev 2)", "PUT k=4@5 (prev 3)"]);
    assert.throws(() => s.watch(b("k"), undefined, -1), InvalidArgumentError);
  });

  it("lets a slow consumer fall behind without blocking writes, then catches it up gap-free", () => {
    const slow: Watcher[] = [];
    const s = new MvccStore({ watch: { maxQueuedEvents: 3, onSlowWatcher: (w) => slow.push(w) } });
    let readyCalls = 0;
    const w = s.watch(b("k"), b("l"), 0, { onReady: () => readyCalls++ });
    const fast = s.watch(b("k"), b("l"), 0);
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      s.put({ key: b(`k${i % 4}`), value: b(String(i)) });
      expected.push(`PUT k${i % 4}=${i}@${i + 2}`);
      assert.equal(fast.take().length, 1);
    }
    assert.equal(readyCalls, 1, "told once, when it became pending");
    assert.deepEqual(slow, [w]);
    assert.equal(w.fellBehind, 1);
    assert.deepEqual(s.watchHub.stats(), { watchers: 2, synced: 1, unsynced: 1, fellBehind: 1, queuedEvents: 3 });
    const batches: WatchResponse[][] = [];
    while (w.pending) batches.push(w.take());
    assert.deepEqual(evs(batches.flat()), expected);
    assert.ok(batches.every((batch) => batch.reduce((n, r) => n + r.events.length, 0) <= 3), "catch-up is paced by maxQueuedEvents");
    const revs = batches.flat().map((r) => r.revision);
    assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
    assert.equal(s.watchHub.stats().synced, 2, "back on live fan-out");
    s.put({ key: b("k9"), value: b("x") });
    assert.deepEqual(evs(w.take()), ["PUT k9=x@12"]);
  });

  it("delivers one large revision whole", () => {
    const s = new MvccStore({ watch: { maxQueuedEvents: 2 } });
    const w = s.watch(b("\0"), b("\0"), 0);
    s.txn({ success: ["a", "b", "c", "d", "e"].map((k) => ({ requestPut: { key: b(k), value: b("") } })) });
    const got = w.take();
    assert.deepEqual(got.map((r) => r.events.length), [5]);
    assert.equal(w.fellBehind, 0);
  });

  it("cancels a slow watcher whose next revision gets compacted, after what it already holds", () => {
    const s = new MvccStore({ watch: { maxQueuedEvents: 1 } });
    const w = s.watch(b("k"), undefined, 0);
    let ready = 0;
    const other = s.watch(b("k"), undefined, 0, { onReady: () => ready++ });
    for (const v of ["1", "2", "3"]) s.put({ key: b("k"), value: b(v) });
    s.compact(3);
    const got = w.take();
    assert.deepEqual(evs(got), ["PUT k=1@2"]);
    assert.deepEqual(got.map((r) => [r.canceled, r.compactRevision]), [[false, 0], [true, 3]]);
    assert.equal(w.canceled, true);
    assert.equal(ready, 1);
    const otherGot = other.take();
    assert.deepEqual(evs(otherGot), ["PUT k=1@2"]);
    assert.deepEqual(otherGot.map((r) => r.compactRevision), [0, 3]);
  });

  it("answers progress requests and periodic progress for idle watchers", () => {
    const s = new MvccStore();
    s.put({ key: b("x"), value: b("1") });
    const w = s.watch(b("k"), undefined, 0, { progressNotify: true });
    const quiet = s.watch(b("k"), undefined, 0);
    const behind = s.watch(b("k"), undefined, 1);
    assert.equal(s.watchHub.requestProgress(w), true);
    assert.equal(s.watchHub.requestProgress(w), true);
    assert.deepEqual(w.take(), [{ watchId: w.id, revision: 2, events: [], compactRevision: 0, canceled: false, progressNotify: true }], "coalesced");
    assert.equal(s.watchHub.requestProgress(behind), false, "a watcher catching up gets events instead");
    s.put({ key: b("y"), value: b("1") });
    s.watchHub.notifyProgress();
    assert.deepEqual(w.take().map((r) => [r.revision, r.progressNotify]), [[3, true]]);
    assert.deepEqual(quiet.take(), [], "only watchers that asked for progress_notify");
    s.put({ key: b("k"), value: b("1") });
    w.take();
    s.watchHub.notifyProgress();
    assert.deepEqual(w.take(), [], "not idle: it had events since the last round");
    s.watchHub.notifyProgress();
    assert.deepEqual(w.take().map((r) => r.revision), [4]);
  });

  it("stops on cancel", () => {
    const s = new MvccStore();
    const w = s.watch(b("k"), undefined, 0);
    s.put({ key: b("k"), value: b("1") });
    w.cancel();
    s.put({ key: b("k"), value: b("2") });
    assert.deepEqual(w.take(), []);
    assert.equal(w.pending, false);
    assert.equal(s.watchHub.get(w.id), undefined);
    assert.equal(s.watchHub.stats().watchers, 0);
  });

  it("carries on across a restore from a replica ahead", () => {
    const leader = new MvccStore();
    const follower = new MvccStore();
    const put = (k: string, v: string): void => {
      leader.put({ key: b(k), value: b(v) });
    };
    put("k", "1");
    follower.restore(leader.snapshot());
    let ready = 0;
    const w = follower.watch(b("k"), undefined, 0, { onReady: () => ready++ });
    put("k", "2");
    put("j", "1");
    put("k", "3");
    follower.restore(leader.snapshot());
    assert.equal(ready, 1);
    assert.deepEqual(evs(drain(w)), ["PUT k=2@3", "PUT k=3@5"]);
    leader.compact(5);
    leader.put({ key: b("k"), value: b("4") });
    const stale = follower.watch(b("k"), undefined, 4);
    follower.restore(leader.snapshot());
    assert.deepEqual(drain(stale).map((r) => [r.canceled, r.compactRevision]), [[true, 5]]);
    assert.deepEqual(evs(drain(w)), ["PUT k=4@6"]);
  });

  it("keeps a caught-up watcher live across a restore to the same revision", () => {
    const s = new MvccStore();
    s.put({ key: b("k"), value: b("1") });
    let ready = 0;
    const w = s.watch(b("k"), undefined, 0, { onReady: () => ready++ });
    s.restore(s.snapshot());
    assert.equal(w.pending, false);
    s.put({ key: b("k"), value: b("2") });
    assert.equal(ready, 1, "a write still wakes the consumer");
    assert.deepEqual(evs(w.take()), ["PUT k=2@3"]);
  });
});
