/**
 * The API server in process, over the in-memory store, through HTTP: pagination, lists from the
 * cache, watch streams (410 ERROR event, bookmarks), 503 when the store is down, dry runs,
 * finalizers and graceful deletion, foreground deletion of dependents, server-side apply
 * creating, tables, and kubectl's protobuf bodies.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiServer } from "../../internal/apiserver/index.js";
import { createLogger } from "../../internal/observability/index.js";
import { MemoryBackend, Store } from "../../internal/store/index.js";
import { sleep, until } from "./helpers.js";

let server: ApiServer;
let backend: MemoryBackend;
let base: string;

before(async () => {
  backend = new MemoryBackend();
  server = new ApiServer({ store: new Store(backend), logger: createLogger({ component: "apiserver", level: "fatal" }), version: "test", watchCacheCapacity: 8 });
  const port = await server.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
  await until(() => true, "start");
  for (;;) {
    const r = await fetch(`${base}/api/v1/namespaces/default`);
    if (r.ok) break;
    await sleep(20);
  }
});

after(async () => {
  await server.stop();
});

interface Obj {
  kind?: string;
  metadata: { name: string; resourceVersion?: string; uid?: string; deletionTimestamp?: string; continue?: string; remainingItemCount?: number; finalizers?: string[] };
  items?: Obj[];
  data?: Record<string, string>;
  reason?: string;
  code?: number;
  spec?: Record<string, unknown>;
  columnDefinitions?: { name: string }[];
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Obj; headers: Headers }> {
  const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: (await res.json()) as Obj, headers: res.headers };
}

const cm = (name: string, extra: Record<string, unknown> = {}): unknown => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...extra }, data: { k: name } });

test("lists page with limit and continue, at one resourceVersion, with the remaining count", async () => {
  await call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "paging" } });
  for (const n of ["a", "b", "c", "d", "e"]) assert.equal((await call("POST", "/api/v1/namespaces/paging/configmaps", cm(n))).status, 201);
  const first = await call("GET", "/api/v1/namespaces/paging/configmaps?limit=2");
  assert.deepEqual(first.body.items?.map((i) => i.metadata.name), ["a", "b"]);
  assert.equal(first.body.metadata.remainingItemCount, 3);
  await call("POST", "/api/v1/namespaces/paging/configmaps", cm("f"));
  const second = await call("GET", `/api/v1/namespaces/paging/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue ?? "")}`);
  assert.deepEqual(second.body.items?.map((i) => i.metadata.name), ["c", "d"]);
  assert.equal(second.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
  const third = await call("GET", `/api/v1/namespaces/paging/configmaps?limit=2&continue=${encodeURIComponent(second.body.metadata.continue ?? "")}`);
  assert.deepEqual(third.body.items?.map((i) => i.metadata.name), ["e"], "f came after the list's resourceVersion");
  assert.equal(third.body.metadata.continue, undefined);
  const cached = await call("GET", "/api/v1/namespaces/paging/configmaps?resourceVersion=0&labelSelector=");
  assert.deepEqual(cached.body.items?.map((i) => i.metadata.name), ["a", "b", "c", "d", "e", "f"]);
  const filtered = await call("GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dpaging,metadata.name!%3Da&limit=2");
  assert.deepEqual(filtered.body.items?.map((i) => i.metadata.name), ["b", "c"]);
});

/** Read a watch stream's events until `count` arrived or the stream ended. */
async function watch(path: string, count: number, action?: () => Promise<void>): Promise<{ type: string; object: Obj }[]> {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const events: { type: string; object: Obj }[] = [];
  let buffered = "";
  const pending = action?.();
  try {
    while (events.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += new TextDecoder().decode(value);
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buffered.slice(0, nl)) as { type: string; object: Obj });
        buffered = buffered.slice(nl + 1);
      }
    }
  } finally {
    controller.abort();
    await pending;
  }
  return events;
}

test("watch: from a resourceVersion, with a name, and 410 for one the cache no longer holds", async () => {
  const created = await call("POST", "/api/v1/namespaces/default/configmaps", cm("w1"));
  const rv = created.body.metadata.resourceVersion as string;
  const events = await watch(`/api/v1/namespaces/default/configmaps/w1?watch=true&resourceVersion=${rv}`, 2, async () => {
    await call("PATCH", "/api/v1/namespaces/default/configmaps/w1", { data: { k: "v2" } }, { "content-type": "application/merge-patch+json" });
    await call("POST", "/api/v1/namespaces/default/configmaps", cm("other"));
    await call("DELETE", "/api/v1/namespaces/default/configmaps/w1");
  });
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.data?.["k"] ?? ""}`), ["MODIFIED w1 v2", "DELETED w1 v2"]);
  for (let i = 0; i < 12; i++) await call("POST", "/api/v1/namespaces/default/configmaps", cm(`burst${i}`));
  const expired = await watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, 1);
  assert.equal(expired[0]?.type, "ERROR");
  assert.equal(expired[0]?.object.code, 410);
  assert.equal(expired[0]?.object.reason, "Expired");
});

test("watch: initial events end with a bookmark when asked", async () => {
  const events = await watch("/api/v1/namespaces/paging/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan", 7);
  assert.deepEqual(events.map((e) => e.type), ["ADDED", "ADDED", "ADDED", "ADDED", "ADDED", "ADDED", "BOOKMARK"]);
  assert.equal((events[6]?.object.metadata as { annotations?: Record<string, string> }).annotations?.["k8s.io/initial-events-end"], "true");
});

test("a store that does not answer is 503 ServiceUnavailable, promptly, and /readyz says so", async () => {
  backend.unavailable = true;
  try {
    const started = Date.now();
    const get = await call("GET", "/api/v1/namespaces/default/configmaps/w1");
    assert.equal(get.status, 503);
    assert.equal(get.body.reason, "ServiceUnavailable");
    assert.equal(get.headers.get("retry-after"), "1");
    assert.equal((await call("POST", "/api/v1/namespaces/default/configmaps", cm("down"))).status, 503);
    assert.ok(Date.now() - started < 2000);
    await sleep(1100);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 500);
    assert.match(await ready.text(), /etcd failed/);
  } finally {
    backend.unavailable = false;
  }
  await sleep(1100);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

test("dryRun=All validates and answers without storing", async () => {
  const r = await call("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", cm("dry"));
  assert.equal(r.status, 201);
  assert.equal(r.body.metadata.name, "dry");
  assert.equal((await call("GET", "/api/v1/namespaces/default/configmaps/dry")).status, 404);
});

test("finalizers hold a deletion until they are removed; preconditions are checked", async () => {
  const created = await call("POST", "/api/v1/namespaces/default/configmaps", cm("held", { finalizers: ["example.com/hold"] }));
  const wrongUid = await call("DELETE", "/api/v1/namespaces/default/configmaps/held", { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: "nope" } });
  assert.equal(wrongUid.status, 409);
  const deleting = await call("DELETE", "/api/v1/namespaces/default/configmaps/held", { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: created.body.metadata.uid } });
  assert.equal(deleting.status, 202);
  assert.ok(deleting.body.metadata.deletionTimestamp);
  assert.equal((await call("GET", "/api/v1/namespaces/default/configmaps/held")).status, 200);
  const released = await call("PATCH", "/api/v1/namespaces/default/configmaps/held", [{ op: "remove", path: "/metadata/finalizers" }], { "content-type": "application/json-patch+json" });
  assert.equal(released.status, 200);
  assert.equal((await call("GET", "/api/v1/namespaces/default/configmaps/held")).status, 404);
});

test("foreground deletion deletes the dependents first; background deletion after", async () => {
  const owner = await call("POST", "/api/v1/namespaces/default/configmaps", cm("owner"));
  const ref = { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.body.metadata.uid, blockOwnerDeletion: true };
  await call("POST", "/api/v1/namespaces/default/configmaps", cm("dependent", { ownerReferences: [ref] }));
  await until(() => true, "");
  await sleep(50);
  const r = await call("DELETE", "/api/v1/namespaces/default/configmaps/owner?propagationPolicy=Foreground");
  assert.equal(r.status, 202);
  assert.deepEqual(r.body.metadata.finalizers, ["foregroundDeletion"]);
  const deadline = Date.now() + 5000;
  while ((await call("GET", "/api/v1/namespaces/default/configmaps/owner")).status !== 404) {
    assert.ok(Date.now() < deadline, "the owner goes once its dependent is gone");
    await sleep(50);
  }
  assert.equal((await call("GET", "/api/v1/namespaces/default/configmaps/dependent")).status, 404);
});

test("server-side apply creates, then updates; tables for kubectl get", async () => {
  const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n";
  const created = await call("PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=tester", doc, { "content-type": "application/apply-patch+yaml" });
  assert.equal(created.status, 201);
  const updated = await call("PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=tester", doc.replace("'1'", "'2'"), { "content-type": "application/apply-patch+yaml" });
  assert.equal(updated.status, 200);
  assert.deepEqual(updated.body.data, { a: "2" });
  const table = await call("GET", "/api/v1/namespaces/default/configmaps/applied", undefined, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
  assert.equal(table.body.kind, "Table");
  assert.deepEqual(table.body.columnDefinitions?.map((c) => c.name), ["Name", "Data", "Age"]);
});

// Bodies kubectl 1.32 sent for `create namespace team-x`, `create deployment web --image=nginx:1.27
// --replicas=3 --port=8080`, `create secret generic creds --from-literal=user=admin` and
// `create service clusterip api --tcp=80:http`, captured from the wire.
const kubectlBodies = {
  namespace: "6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d7812001a0022002a0032003800420012001a020a001a002200",
  deployment:
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412be010a1f0a0377656212001a0022002a003200380042005a0a0a036170701203776562128c010803120c0a0a0a0361707012037765621a720a1c0a0012001a0022002a003200380042005a0a0a036170701203776562125212340a056e67696e78120a6e67696e783a312e32372a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
  secret: "6b3873000a0c0a027631120653656372657412280a150a05637265647312001a0022002a00320038004200120d0a0475736572120561646d696e1a001a002200",
  service:
    "6b3873000a0d0a027631120753657276696365126c0a1f0a0361706912001a0022002a003200380042005a0a0a03617070120361706912450a1e0a0738302d6874747012035443501850220a080110001a04687474702800120a0a0361707012036170691a002209436c757374657249503a00420052005a00600068001a020a001a002200",
};

test("kubectl's protobuf bodies are decoded like their JSON", async () => {
  const post = (path: string, hex: string): Promise<{ status: number; body: Obj }> =>
    call("POST", path, Buffer.from(hex, "hex"), { "content-type": "application/vnd.kubernetes.protobuf", accept: "application/vnd.kubernetes.protobuf,application/json" });
  const ns = await post("/api/v1/namespaces", kubectlBodies.namespace);
  assert.equal(ns.status, 201);
  assert.equal(ns.body.metadata.name, "team-x");
  const deploy = await post("/apis/apps/v1/namespaces/default/deployments", kubectlBodies.deployment);
  assert.equal(deploy.status, 201, JSON.stringify(deploy.body));
  const spec = deploy.body.spec as { replicas: number; template: { spec: { containers: { name: string; image: string; ports: { containerPort: number }[] }[] } } };
  assert.equal(spec.replicas, 3);
  assert.deepEqual(
    spec.template.spec.containers.map((c) => [c.name, c.image, c.ports[0]?.containerPort]),
    [["nginx", "nginx:1.27", 8080]],
  );
  const secret = await post("/api/v1/namespaces/default/secrets", kubectlBodies.secret);
  assert.deepEqual((secret.body as unknown as { data: Record<string, string> }).data, { user: Buffer.from("admin").toString("base64") });
  const svc = await post("/api/v1/namespaces/default/services", kubectlBodies.service);
  const ports = (svc.body.spec as { ports: { name: string; port: number; targetPort: unknown; protocol: string }[] }).ports;
  assert.deepEqual(ports, [{ name: "80-http", port: 80, targetPort: "http", protocol: "TCP" }]);
  const broken = await call("POST", "/api/v1/namespaces", Buffer.from("6b387300ffff", "hex"), { "content-type": "application/vnd.kubernetes.protobuf" });
  assert.equal(broken.status, 400);
});

test("/metrics counts requests under kube-apiserver's names", async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^apiserver_request_total\{verb="LIST",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"\} \d+$/m);
  assert.match(text, /^apiserver_request_duration_seconds_bucket\{le="0\.005",verb="POST"/m);
});

const pod = (name: string): unknown => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }] } });

test("pods/binding assigns a node once; a bound pod is deleted gracefully", async () => {
  assert.equal((await call("POST", "/api/v1/namespaces/default/pods", pod("bound"))).status, 201);
  const bind = await call("POST", "/api/v1/namespaces/default/pods/bound/binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { apiVersion: "v1", kind: "Node", name: "n1" } });
  assert.equal(bind.status, 201);
  const got = await call("GET", "/api/v1/namespaces/default/pods/bound");
  assert.equal((got.body.spec as { nodeName?: string }).nodeName, "n1");
  const again = await call("POST", "/api/v1/namespaces/default/pods/bound/binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { kind: "Node", name: "n2" } });
  assert.equal(again.status, 409);
  const graceful = await call("DELETE", "/api/v1/namespaces/default/pods/bound");
  assert.equal(graceful.status, 202);
  assert.equal((graceful.body.metadata as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds, 30);
  assert.equal((await call("GET", "/api/v1/namespaces/default/pods/bound")).status, 200);
  // its node agent reports status during the grace period: an update, not the end of the pod
  const status = await call("PATCH", "/api/v1/namespaces/default/pods/bound/status", { status: { phase: "Running" } }, { "content-type": "application/merge-patch+json" });
  assert.equal(status.status, 200);
  const terminating = await call("GET", "/api/v1/namespaces/default/pods/bound");
  assert.equal(terminating.status, 200, "a pod in its grace period survives a status update");
  assert.equal((terminating.body as { status?: { phase?: string } }).status?.phase, "Running");
  assert.ok(terminating.body.metadata.deletionTimestamp !== undefined);
  // a forced deletion (grace 0) of a terminating pod removes it at once
  assert.equal((await call("DELETE", "/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=0")).status, 200);
  assert.equal((await call("GET", "/api/v1/namespaces/default/pods/bound")).status, 404);
  // an unscheduled pod goes at once
  await call("POST", "/api/v1/namespaces/default/pods", pod("loose"));
  assert.equal((await call("DELETE", "/api/v1/namespaces/default/pods/loose")).status, 200);
  assert.equal((await call("GET", "/api/v1/namespaces/default/pods/loose")).status, 404);
});

test("the status subresource writes status only; the main resource keeps status", async () => {
  const created = await call("POST", "/apis/apps/v1/namespaces/default/deployments", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "st" },
    spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } } },
  });
  assert.equal(created.status, 201);
  const patched = await call("PATCH", "/apis/apps/v1/namespaces/default/deployments/st/status", { status: { replicas: 7 }, spec: { replicas: 9 } }, { "content-type": "application/merge-patch+json" });
  assert.equal(patched.status, 200);
  assert.equal((patched.body as unknown as { status: { replicas: number } }).status.replicas, 7);
  assert.equal(patched.body.spec?.["replicas"], 1, "spec is not written through status");
  const main = await call("PATCH", "/apis/apps/v1/namespaces/default/deployments/st", { status: { replicas: 0 }, spec: { replicas: 2 } }, { "content-type": "application/merge-patch+json" });
  assert.equal((main.body as unknown as { status: { replicas: number } }).status.replicas, 7, "status is not written through the main resource");
  assert.equal(main.body.spec?.["replicas"], 2);
  assert.equal((main.body.metadata as { generation?: number }).generation, 2);
});

test("a watch with timeoutSeconds ends by itself", async () => {
  const started = Date.now();
  const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=0`);
  const text = await res.text();
  assert.ok(Date.now() - started >= 900 && Date.now() - started < 5000, `ended after ${Date.now() - started} ms`);
  assert.match(text, /"type":"ADDED"/);
});
