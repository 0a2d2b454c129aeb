/**
 * The watch cache over the in-memory store (internal/mvcc, the same state machine the members
 * replicate): initial state and live events, filter transitions, ring expiry (410), slow
 * watchers closed, one encoding per event shared by all watchers, the node index, bookmarks
 * and freshness waits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resourceForKind, storageKey } from "../../internal/api/index.js";
import { ApiError, WatchCache, jsonEventEncoder } from "../../internal/apiserver/index.js";
import type { WatchCacheOptions, WatchFilter } from "../../internal/apiserver/index.js";
import { MemoryBackend, Store } from "../../internal/store/index.js";
import { RecordingSink, until } from "./helpers.js";

const configMaps = resourceForKind("ConfigMap");
const pods = resourceForKind("Pod");
const encoder = new TextEncoder();
const all: WatchFilter = { labels: [], fields: [] };

interface Fixture {
  store: Store;
  backend: MemoryBackend;
  cache: WatchCache;
  put(name: string, labels?: Record<string, string>, namespace?: string): Promise<number>;
  remove(name: string, namespace?: string): Promise<number>;
}

async function fixture(options: WatchCacheOptions = {}, resource = configMaps): Promise<Fixture> {
  const backend = new MemoryBackend();
  const store = new Store(backend);
  const put = async (name: string, labels: Record<string, string> = {}, namespace = "default", extra: Record<string, unknown> = {}): Promise<number> => {
    const key = storageKey(resource, namespace, name);
    const value = encoder.encode(JSON.stringify({ apiVersion: resource.groupVersion, kind: resource.kind, metadata: { name, namespace, labels }, ...extra }));
    const current = await store.get(key);
    const r = current.object === undefined ? await store.create(key, value) : await store.update(key, value, current.object.modRevision, current.object.createRevision);
    assert.ok(r.ok);
    return r.object.modRevision;
  };
  const remove = async (name: string, namespace = "default"): Promise<number> => {
    const key = storageKey(resource, namespace, name);
    const current = await store.get(key);
    const r = await store.delete(key, current.object?.modRevision ?? 0);
    assert.ok(r.ok);
    return r.revision;
  };
  await put("before");
  const cache = new WatchCache(resource, store, options);
  cache.start();
  await cache.waitReady(2000);
  return { store, backend, cache, put, remove };
}

test("a watch from now gets the current state as ADDED, then live events with their resourceVersions", async () => {
  const f = await fixture();
  const sink = new RecordingSink();
  f.cache.watch({ fromRv: undefined, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  await f.put("a");
  const rv = await f.put("a", { changed: "yes" });
  const deletedAt = await f.remove("before");
  await until(() => sink.raw.length === 4, "four events");
  assert.deepEqual(sink.summary, ["ADDED before", "ADDED a", "MODIFIED a", "DELETED before"]);
  assert.equal(sink.frames[2]?.object.metadata?.resourceVersion, String(rv));
  assert.equal(sink.frames[3]?.object.metadata?.resourceVersion, String(deletedAt));
  const list = f.cache.list(all);
  assert.deepEqual(list.items.map((o) => o.name), ["a"]);
  assert.equal(list.resourceVersion, deletedAt);
  f.cache.stop();
});

test("objects entering and leaving a watcher's filter are ADDED and DELETED to it", async () => {
  const f = await fixture();
  const sink = new RecordingSink();
  const filter: WatchFilter = { namespace: "default", labels: [{ key: "app", operator: "=", values: ["web"] }], fields: [] };
  f.cache.watch({ fromRv: f.cache.resourceVersion, filter, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  await f.put("x", { app: "db" });
  await f.put("x", { app: "web" });
  await f.put("x", { app: "web", v: "2" });
  await f.put("x", { app: "db" });
  await f.put("y", { app: "web" }, "other");
  await until(() => f.cache.resourceVersion >= 6, "all events");
  assert.deepEqual(sink.summary, ["ADDED x", "MODIFIED x", "DELETED x"]);
  f.cache.stop();
});

test("a watch from a resourceVersion the ring no longer holds is 410 Expired; a newer one replays", async () => {
  const f = await fixture({ capacity: 4 });
  const start = f.cache.resourceVersion;
  const revisions: number[] = [];
  for (let i = 0; i < 10; i++) revisions.push(await f.put(`c${i}`));
  await until(() => f.cache.resourceVersion === revisions[9], "the cache to catch up");
  assert.throws(
    () => f.cache.watch({ fromRv: start, filter: all, encoder: jsonEventEncoder(configMaps), sink: new RecordingSink(), allowBookmarks: false, initialEventsEndBookmark: false }),
    (err: unknown) => err instanceof ApiError && err.code === 410 && err.status.reason === "Expired" && /too old resource version/.test(err.message),
  );
  const sink = new RecordingSink();
  f.cache.watch({ fromRv: revisions[6], filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  await until(() => sink.raw.length === 3, "the replay");
  assert.deepEqual(sink.summary, ["ADDED c7", "ADDED c8", "ADDED c9"]);
  f.cache.stop();
});

test("a watcher whose client stops reading is closed with a 410 ERROR; the others are not held back", async () => {
  const f = await fixture({ maxPendingFrames: 5 });
  const slow = new RecordingSink(true);
  const fast = new RecordingSink();
  for (const sink of [slow, fast]) {
    f.cache.watch({ fromRv: f.cache.resourceVersion, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  }
  // one event per turn, so that each reaches the watchers' flush on its own
  for (let i = 0; i < 20; i++) {
    await f.put(`c${i}`);
    await new Promise((r) => setImmediate(r));
  }
  await until(() => fast.raw.length === 20, "the fast watcher's events");
  assert.equal(slow.ended, true);
  const last = slow.frames[slow.frames.length - 1];
  assert.equal(last?.type, "ERROR");
  assert.equal(last?.object.code, 410);
  assert.match(last?.object.message ?? "", /read too slowly/);
  assert.equal(slow.writes, 2, "one write accepted before it blocked, then the error");
  assert.ok(slow.raw.length < 20, "the slow watcher did not get every event");
  assert.equal(f.cache.stats.slowWatchersClosed, 1);
  assert.equal(f.cache.watcherCount, 1);
  f.cache.stop();
});

test("each event is encoded once and the same bytes go to every watcher", async () => {
  const f = await fixture();
  const sinks = Array.from({ length: 25 }, () => new RecordingSink());
  for (const sink of sinks) {
    f.cache.watch({ fromRv: f.cache.resourceVersion, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  }
  const before = f.cache.stats.encodings;
  for (let i = 0; i < 10; i++) await f.put(`c${i}`);
  await until(() => sinks.every((s) => s.raw.length === 10), "every watcher's events");
  assert.equal(f.cache.stats.encodings - before, 10);
  for (let i = 0; i < 10; i++) {
    const first = sinks[0]?.raw[i];
    assert.ok(first !== undefined && sinks.every((s) => s.raw[i] === first), `event ${i} is one shared buffer`);
  }
  f.cache.stop();
});

test("events queued in one turn go to a watcher in one write; many watchers are flushed over several turns", async () => {
  const f = await fixture();
  const sinks = Array.from({ length: 600 }, () => new RecordingSink());
  for (const sink of sinks) {
    f.cache.watch({ fromRv: f.cache.resourceVersion, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: false, initialEventsEndBookmark: false });
  }
  // the in-memory store answers within one turn: five writes, then the flush turns
  for (let i = 0; i < 5; i++) await f.put(`c${i}`);
  const flushedPerTurn: number[] = [];
  while (flushedPerTurn.at(-1) !== sinks.length) {
    await new Promise((r) => setImmediate(r));
    flushedPerTurn.push(sinks.filter((s) => s.writes > 0).length);
    assert.ok(flushedPerTurn.length < 100, "every watcher is flushed eventually");
  }
  assert.ok(flushedPerTurn.some((n) => n > 0 && n < sinks.length), `the flush yielded between watchers: ${flushedPerTurn.join(",")}`);
  for (const s of sinks) assert.deepEqual([s.writes, s.summary], [1, ["ADDED c0", "ADDED c1", "ADDED c2", "ADDED c3", "ADDED c4"]]);
  f.cache.stop();
});

test("pod watches on spec.nodeName reach only their node's pods; a pod moving between nodes leaves and enters", async () => {
  const f = await fixture({}, pods);
  const putPod = async (name: string, node: string): Promise<void> => {
    const key = storageKey(pods, "default", name);
    const value = encoder.encode(JSON.stringify({ metadata: { name, namespace: "default" }, spec: node === "" ? {} : { nodeName: node } }));
    const cur = await f.store.get(key);
    const r = cur.object === undefined ? await f.store.create(key, value) : await f.store.update(key, value, cur.object.modRevision, cur.object.createRevision);
    assert.ok(r.ok);
  };
  const watch = (node: string): RecordingSink => {
    const sink = new RecordingSink();
    f.cache.watch({ fromRv: f.cache.resourceVersion, filter: { labels: [], fields: [{ field: "spec.nodeName", operator: "=", value: node }] }, encoder: jsonEventEncoder(pods), sink, allowBookmarks: false, initialEventsEndBookmark: false });
    return sink;
  };
  const n1 = watch("n1");
  const n2 = watch("n2");
  const unscheduled = watch("");
  await putPod("p1", "n1");
  await putPod("p2", "n2");
  await putPod("p3", "");
  await putPod("p3", "n1");
  await until(() => n1.raw.length === 2 && unscheduled.raw.length === 2, "the pod events");
  assert.deepEqual(n1.summary, ["ADDED p1", "ADDED p3"]);
  assert.deepEqual(n2.summary, ["ADDED p2"]);
  assert.deepEqual(unscheduled.summary, ["ADDED p3", "DELETED p3"]);
  f.cache.stop();
});

test("waitFresh follows the store's revision through progress reports; bookmarks carry it", async () => {
  const f = await fixture({ freshnessTimeoutMs: 300 });
  const sink = new RecordingSink();
  f.cache.watch({ fromRv: f.cache.resourceVersion, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: true, initialEventsEndBookmark: false });
  // a write under another resource moves the store's revision, not this cache's events
  const other = await f.store.create("/registry/secrets/default/s", encoder.encode("{}"));
  assert.ok(other.ok);
  await f.cache.waitFresh(other.object.modRevision);
  assert.equal(f.cache.resourceVersion, other.object.modRevision);
  f.cache.bookmarkTick();
  await until(() => sink.raw.length === 1, "the bookmark");
  assert.deepEqual(sink.frames.map((fr) => `${fr.type} ${fr.object.metadata?.resourceVersion ?? ""}`), [`BOOKMARK ${other.object.modRevision}`]);
  await assert.rejects(
    f.cache.waitFresh(other.object.modRevision + 100),
    (err: unknown) => err instanceof ApiError && err.code === 504 && /Too large resource version/.test(err.message),
  );
  f.cache.stop();
});

test("the initial state of a sendInitialEvents watch ends with a marked bookmark", async () => {
  const f = await fixture();
  await f.put("a");
  await until(() => f.cache.list(all).items.length === 2, "the cache");
  const sink = new RecordingSink();
  f.cache.watch({ fromRv: undefined, filter: all, encoder: jsonEventEncoder(configMaps), sink, allowBookmarks: true, initialEventsEndBookmark: true });
  await until(() => sink.raw.length === 3, "the initial state");
  assert.deepEqual(sink.summary, ["ADDED a", "ADDED before", "BOOKMARK"]);
  assert.equal(sink.frames[2]?.object.metadata?.annotations?.["k8s.io/initial-events-end"], "true");
  f.cache.stop();
});

test("the cache lists a large resource page by page at one revision", async () => {
  const backend = new MemoryBackend();
  const store = new Store(backend);
  for (let i = 0; i < 2500; i++) await store.create(storageKey(configMaps, "big", `c${String(i).padStart(4, "0")}`), encoder.encode(JSON.stringify({ metadata: { name: `c${i}`, namespace: "big" } })));
  const cache = new WatchCache(configMaps, store);
  cache.start();
  await cache.waitReady(5000);
  assert.equal(cache.list(all).items.length, 2500);
  assert.equal(cache.resourceVersion, backend.mvcc.currentRevision);
  cache.stop();
});
