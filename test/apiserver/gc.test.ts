/**
 * The garbage collector's work the API server does until a controller manager exists, in
 * process over the in-memory store: orphan propagation (owner references removed, then the
 * owner), foreground propagation (the owner waits for its blocking dependents, also when one is
 * held by a finalizer, through a chain of owners), dependents with another owner, and background
 * collection after an owner's last finalizer is removed.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiServer } from "../../internal/apiserver/index.js";
import { createLogger } from "../../internal/observability/index.js";
import { MemoryBackend, Store } from "../../internal/store/index.js";
import { sleep } from "./helpers.js";

let server: ApiServer;
let base: string;

before(async () => {
  server = new ApiServer({ store: new Store(new MemoryBackend()), logger: createLogger({ component: "apiserver", level: "fatal" }), version: "test" });
  const port = await server.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
  for (;;) {
    const r = await fetch(`${base}/api/v1/namespaces/default`).catch(() => undefined);
    if (r?.ok) break;
    await sleep(20);
  }
});

after(async () => {
  await server.stop();
});

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

interface Obj {
  metadata: { name: string; uid: string; deletionTimestamp?: string; finalizers?: string[]; ownerReferences?: OwnerRef[] };
}

const path = (name: string): string => `/api/v1/namespaces/default/configmaps/${name}`;

async function call(method: string, p: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: Obj }> {
  const res = await fetch(`${base}${p}`, { method, headers: { "content-type": contentType }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Obj };
}

/** A config map, owned by `owners` (blocking their deletion unless said otherwise), with finalizers. */
async function create(name: string, owners: readonly Obj[] = [], finalizers: readonly string[] = [], block = true): Promise<Obj> {
  const ownerReferences = owners.map((o) => ({ apiVersion: "v1", kind: "ConfigMap", name: o.metadata.name, uid: o.metadata.uid, blockOwnerDeletion: block }));
  const metadata = { name, ...(ownerReferences.length > 0 ? { ownerReferences } : {}), ...(finalizers.length > 0 ? { finalizers } : {}) };
  const r = await call("POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function get(name: string): Promise<Obj | undefined> {
  const r = await call("GET", path(name));
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200);
  return r.body;
}

async function release(name: string): Promise<void> {
  const r = await call("PATCH", path(name), [{ op: "remove", path: "/metadata/finalizers" }], "application/json-patch+json");
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** Poll until check() holds, or fail with what it last saw. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** The caches follow the store: let them see what was just written before deleting. */
const settle = (): Promise<void> => sleep(50);

test("orphan: the references to the owner are removed from its dependents, then the owner goes", async () => {
  const owner = await create("o-owner");
  const other = await create("o-other");
  await create("o-only", [owner]);
  await create("o-shared", [owner, other]);
  await settle();
  const r = await call("DELETE", `${path("o-owner")}?propagationPolicy=Orphan`);
  assert.equal(r.status, 202);
  assert.deepEqual(r.body.metadata.finalizers, ["orphan"]);
  await eventually("the owner is gone", async () => (await get("o-owner")) === undefined);
  const only = await get("o-only");
  assert.ok(only, "the dependent stays");
  assert.equal(only.metadata.ownerReferences, undefined);
  assert.equal(only.metadata.deletionTimestamp, undefined);
  assert.deepEqual((await get("o-shared"))?.metadata.ownerReferences?.map((o) => o.name), ["o-other"]);
  // orphanDependents=true (deprecated) means the same
  const owner2 = await create("o-owner2");
  await create("o-dep2", [owner2]);
  await settle();
  assert.equal((await call("DELETE", `${path("o-owner2")}?orphanDependents=true`)).status, 202);
  await eventually("the second owner is gone", async () => (await get("o-owner2")) === undefined);
  assert.equal((await get("o-dep2"))?.metadata.ownerReferences, undefined);
});

test("foreground: the owner waits, with its finalizer, for a blocking dependent held by a finalizer, through a chain", async () => {
  const owner = await create("f-owner");
  const middle = await create("f-middle", [owner]);
  await create("f-leaf", [middle], ["example.com/hold"]);
  // a dependent that does not block its owner's deletion is deleted, not waited for
  await create("f-loose", [owner], ["example.com/hold"], false);
  await settle();
  const r = await call("DELETE", `${path("f-owner")}?propagationPolicy=Foreground`);
  assert.equal(r.status, 202);
  assert.ok(r.body.metadata.deletionTimestamp);
  assert.deepEqual(r.body.metadata.finalizers, ["foregroundDeletion"]);
  await eventually("the middle is deleted in the foreground", async () => (await get("f-middle"))?.metadata.finalizers?.includes("foregroundDeletion") === true);
  await eventually("the leaf is being deleted", async () => (await get("f-leaf"))?.metadata.deletionTimestamp !== undefined);
  await eventually("the loose dependent is being deleted", async () => (await get("f-loose"))?.metadata.deletionTimestamp !== undefined);
  // longer than a wait round: the owner and the middle still wait for the leaf
  await sleep(2500);
  assert.deepEqual((await get("f-owner"))?.metadata.finalizers, ["foregroundDeletion"]);
  assert.deepEqual((await get("f-middle"))?.metadata.finalizers, ["foregroundDeletion"]);
  await release("f-leaf");
  await eventually("the leaf, the middle and the owner are gone", async () => (await get("f-owner")) === undefined);
  assert.equal(await get("f-middle"), undefined);
  assert.equal(await get("f-leaf"), undefined);
  // the loose dependent is still held by its own finalizer
  assert.ok((await get("f-loose"))?.metadata.deletionTimestamp);
  await release("f-loose");
  await eventually("the loose dependent is gone", async () => (await get("f-loose")) === undefined);
});

test("background: a dependent with another owner loses only the reference; it goes with its last owner", async () => {
  const a = await create("b-a");
  const b = await create("b-b");
  await create("b-dep", [a, b]);
  await settle();
  assert.equal((await call("DELETE", path("b-a"))).status, 200);
  await eventually("the reference to the deleted owner is removed", async () => (await get("b-dep"))?.metadata.ownerReferences?.length === 1);
  assert.equal((await get("b-dep"))?.metadata.ownerReferences?.[0]?.name, "b-b");
  assert.equal((await call("DELETE", path("b-b"))).status, 200);
  await eventually("the dependent is gone", async () => (await get("b-dep")) === undefined);
});

test("background: an owner held by a finalizer takes its dependents along when the finalizer is removed", async () => {
  const owner = await create("h-owner", [], ["example.com/hold"]);
  await create("h-dep", [owner]);
  await settle();
  assert.equal((await call("DELETE", path("h-owner"))).status, 202);
  await sleep(200);
  assert.ok(await get("h-dep"), "the dependent stays while its owner exists");
  await release("h-owner");
  await eventually("the dependent is gone", async () => (await get("h-dep")) === undefined);
});

test("an unsupported propagation policy is refused", async () => {
  await create("p-owner");
  const r = await call("DELETE", `${path("p-owner")}?propagationPolicy=Sideways`);
  assert.equal(r.status, 422);
  assert.ok(await get("p-owner"));
});
