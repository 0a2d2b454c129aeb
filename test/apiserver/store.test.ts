/** The store over the in-memory backend (internal/mvcc) and over gRPC to endpoints that are down. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoreEvent } from "../../internal/store/index.js";
import { GrpcBackend, MemoryBackend, RevisionCompactedError, Store, StoreUnavailableError, compactRevisionKey } from "../../internal/store/index.js";
import { until } from "./helpers.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

test("create, update and delete are compare-and-swap on mod_revision", async () => {
  const store = new Store(new MemoryBackend());
  const created = await store.create("/registry/configmaps/default/a", bytes("1"));
  assert.ok(created.ok);
  const again = await store.create("/registry/configmaps/default/a", bytes("2"));
  assert.equal(again.ok, false);
  assert.equal(!again.ok && text(again.current?.value), "1");
  const updated = await store.update("/registry/configmaps/default/a", bytes("2"), created.object.modRevision, created.object.createRevision);
  assert.ok(updated.ok);
  assert.equal(updated.object.createRevision, created.object.createRevision);
  const stale = await store.update("/registry/configmaps/default/a", bytes("3"), created.object.modRevision, created.object.createRevision);
  assert.equal(stale.ok, false);
  assert.equal(!stale.ok && stale.current?.modRevision, updated.object.modRevision);
  const staleDelete = await store.delete("/registry/configmaps/default/a", created.object.modRevision);
  assert.equal(staleDelete.ok, false);
  const deleted = await store.delete("/registry/configmaps/default/a", updated.object.modRevision);
  assert.ok(deleted.ok);
  assert.equal(text(deleted.deleted.value), "2");
  assert.equal((await store.get("/registry/configmaps/default/a")).object, undefined);
});

test("lists read a prefix in key order at a revision, page by page", async () => {
  const backend = new MemoryBackend();
  const store = new Store(backend);
  for (const name of ["c", "a", "b", "d"]) await store.create(`/registry/configmaps/ns/${name}`, bytes(name));
  await store.create("/registry/configmaps/nsx/z", bytes("z"));
  const first = await store.list("/registry/configmaps/ns/", { limit: 2 });
  assert.deepEqual(first.objects.map((o) => o.key), ["/registry/configmaps/ns/a", "/registry/configmaps/ns/b"]);
  assert.equal(first.more, true);
  assert.equal(first.count, 4);
  await store.create("/registry/configmaps/ns/e", bytes("e"));
  const second = await store.list("/registry/configmaps/ns/", { limit: 10, startKey: "/registry/configmaps/ns/b\u0000", revision: first.revision });
  assert.deepEqual(second.objects.map((o) => text(o.value)), ["c", "d"], "the later write is not in the old revision");
  await backend.compact(first.revision + 1);
  await assert.rejects(store.list("/registry/configmaps/ns/", { revision: first.revision }), RevisionCompactedError);
});

test("a watch delivers puts and deletes with previous values, and reports a compacted start", async () => {
  const backend = new MemoryBackend();
  const store = new Store(backend);
  const start = (await store.create("/registry/pods/ns/p", bytes("v1"))) as { ok: true; object: { modRevision: number } };
  const events: StoreEvent[] = [];
  const w = store.watch("/registry/pods/", start.object.modRevision, { onEvents: (e) => events.push(...e), onProgress: () => undefined, onError: () => undefined });
  const cur = await store.get("/registry/pods/ns/p");
  await store.update("/registry/pods/ns/p", bytes("v2"), cur.object?.modRevision ?? 0, cur.object?.createRevision ?? 0);
  const again = await store.get("/registry/pods/ns/p");
  await store.delete("/registry/pods/ns/p", again.object?.modRevision ?? 0);
  await until(() => events.length === 3, "three events");
  assert.deepEqual(events.map((e) => (e.type === "put" ? `put ${text(e.object.value)}` : `delete ${text(e.prev?.value)}`)), ["put v1", "put v2", "delete v2"]);
  w.close();
  await backend.compact(again.revision);
  let failure: Error | undefined;
  store.watch("/registry/pods/", start.object.modRevision, { onEvents: () => undefined, onProgress: () => undefined, onError: (err) => (failure = err) });
  await until(() => failure !== undefined, "the compaction error");
  assert.ok(failure instanceof RevisionCompactedError);
});

test("endpoints that are down fail fast with StoreUnavailableError, within the request deadline", async () => {
  const store = new Store(new GrpcBackend(["http://127.0.0.1:1", "http://127.0.0.1:2"], { requestTimeoutMs: 400, attemptTimeoutMs: 200 }));
  const started = Date.now();
  await assert.rejects(store.get("/registry/x"), (err: unknown) => err instanceof StoreUnavailableError && /127\.0\.0\.1:1/.test(err.message) && /127\.0\.0\.1:2/.test(err.message));
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  await store.close();
});

test("replicas take turns compacting, each to the revision seen one interval earlier", async () => {
  const backend = new MemoryBackend();
  const store = new Store(backend);
  const compacted: number[] = [];
  const a = store.compactor({ intervalMs: 60_000, onCompacted: (r) => compacted.push(r) });
  const b = store.compactor({ intervalMs: 60_000, onCompacted: (r) => compacted.push(r) });
  await store.create("/registry/configmaps/ns/x", bytes("1"));
  await a.tick(); // first turn: remembers the revision, compacts nothing
  const seen = (await store.get(compactRevisionKey)).revision;
  await b.tick(); // a took this turn: b only learns where the key is
  for (let i = 0; i < 5; i++) await store.create(`/registry/configmaps/ns/y${i}`, bytes("1"));
  await a.tick(); // nobody moved the key since: a compacts to what it saw a turn ago
  assert.deepEqual(compacted, [seen]);
  assert.equal(backend.mvcc.compactRevision, seen);
  await b.tick(); // b's view is stale again: no second compaction in the same turn
  assert.deepEqual(compacted, [seen]);
});
