/**
 * The store over a real KV member in this process (MemberBackend): the member's own request
 * path, its WAL on disk and its watch hub, with the store's errors as over gRPC.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseKvConfig } from "../../internal/cli/index.js";
import type { KvMember } from "../../internal/kv/index.js";
import { startKvMember } from "../../internal/kv/index.js";
import { MemberBackend } from "../../internal/server/member-backend.js";
import type { StoreEvent } from "../../internal/store/index.js";
import { RequestTooLargeError, RevisionCompactedError, Store, StoreRequestError, StoreUnavailableError } from "../../internal/store/index.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

let dir: string;
let member: KvMember;
let backend: MemberBackend;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "raftplane-member-backend-"));
  const config = parseKvConfig(
    [
      "--name", "solo",
      "--data-dir", join(dir, "solo.etcd"),
      "--listen-client-urls", "http://127.0.0.1:0",
      "--advertise-client-urls", "http://127.0.0.1:0",
      "--listen-peer-urls", "http://127.0.0.1:0",
      "--initial-advertise-peer-urls", "http://127.0.0.1:0",
      "--initial-cluster", "solo=http://127.0.0.1:0",
      "--max-request-bytes", "65536",
      "--log-level", "error",
    ],
    {},
  );
  member = await startKvMember(config);
  backend = new MemberBackend(member, { requestTimeoutMs: 3000 });
  store = new Store(backend);
  // a single member elects itself; the first write waits for that
  for (let i = 0; ; i++) {
    try {
      await store.currentRevision();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(async () => {
  await store.close();
  await member.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("create, update and delete are compare-and-swap through the member's raft log", async () => {
  const created = await store.create("/registry/configmaps/default/a", bytes("1"));
  assert.ok(created.ok);
  assert.equal((await store.create("/registry/configmaps/default/a", bytes("2"))).ok, false);
  const updated = await store.update("/registry/configmaps/default/a", bytes("2"), created.object.modRevision, created.object.createRevision);
  assert.ok(updated.ok);
  const stale = await store.update("/registry/configmaps/default/a", bytes("3"), created.object.modRevision, created.object.createRevision);
  assert.equal(stale.ok, false);
  assert.equal(text((await store.get("/registry/configmaps/default/a")).object?.value), "2");
  // the write is the member's: its state machine holds it at the store's revision
  assert.equal(member.sm.store.currentRevision, updated.object.modRevision);
  const list = await store.list("/registry/configmaps/", { limit: 10 });
  assert.deepEqual(list.objects.map((o) => o.key), ["/registry/configmaps/default/a"]);
});

test("a watch sees the member's writes with previous values", async () => {
  const events: StoreEvent[] = [];
  const start = (await store.currentRevision()) + 1;
  const w = store.watch("/registry/pods/", start, { onEvents: (e) => events.push(...e), onProgress: () => {}, onError: (err) => assert.fail(err) });
  const c = await store.create("/registry/pods/default/p", bytes("x"));
  assert.ok(c.ok);
  const d = await store.delete("/registry/pods/default/p", c.object.modRevision);
  assert.ok(d.ok);
  for (let i = 0; events.length < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 10));
  w.close();
  const summary = events.map((e) => (e.type === "put" ? ["put", e.object.key, text(e.object.value)] : ["delete", e.key, text(e.prev?.value)]));
  assert.deepEqual(summary, [["put", "/registry/pods/default/p", "x"], ["delete", "/registry/pods/default/p", "x"]]);
});

test("errors read as they do over gRPC: compacted, too large, refused", async () => {
  const old = await store.currentRevision();
  await store.create("/registry/configmaps/default/b", bytes("b"));
  await backend.compact(old + 1);
  await assert.rejects(store.list("/registry/configmaps/", { revision: old }), RevisionCompactedError);
  // --max-request-bytes 65536: etcd's "request is too large"
  await assert.rejects(store.create("/registry/configmaps/default/big", new Uint8Array(70_000)), RequestTooLargeError);
  // an empty key is refused by the member's validation (etcd's "key is not provided")
  await assert.rejects(backend.range({ key: new Uint8Array(0) }), (err: unknown) => err instanceof StoreRequestError && /key is not provided/.test(err.message));
});

test("a closed backend answers StoreUnavailableError", async () => {
  const closed = new MemberBackend(member);
  await closed.close();
  await assert.rejects(closed.range({ key: bytes("/registry/") }), StoreUnavailableError);
});
