/**
 * pods/log in process, over the in-memory store, with a small HTTP server playing the node
 * agent (kubelet) on 127.0.0.1: kube's errors (unknown pod, container, node; no node; invalid
 * options), the node agent's address and port from the Node, the options passed on, its error
 * answers passed on, streaming with follow (and the upstream closed when the client goes), an
 * unreachable or silent agent answered promptly.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { ApiServer } from "../../internal/apiserver/index.js";
import { createLogger } from "../../internal/observability/index.js";
import { MemoryBackend, Store } from "../../internal/store/index.js";
import { sleep, until } from "./helpers.js";

let server: ApiServer;
let base: string;
let kubelet: Server;
let kubeletPort: number;
/** Requests the fake kubelet received (path and query). */
const seen: string[] = [];
/** Responses of the fake kubelet still open, by path. */
const open = new Map<string, ServerResponse>();
let closed: string[] = [];

/** The fake kubelet: answers by container name. */
function kubeletHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "";
  seen.push(url);
  const container = new URL(url, "http://x").pathname.split("/")[4];
  res.on("close", () => closed.push(container ?? ""));
  switch (container) {
    case "waiting":
      res.writeHead(400, { "content-type": "text/plain" });
      res.end('container "waiting" in pod "multi" is waiting to start: ContainerCreating\n');
      return;
    case "broken":
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("boom");
      return;
    case "silent":
      // accepts, never answers
      open.set(container, res);
      return;
    case "follow":
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("one\n");
      open.set(container, res);
      return;
    default:
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("line 1\nline 2\n");
  }
}

before(async () => {
  kubelet = createServer(kubeletHandler);
  await new Promise<void>((resolve) => kubelet.listen(0, "127.0.0.1", resolve));
  kubeletPort = (kubelet.address() as AddressInfo).port;
  server = new ApiServer({
    store: new Store(new MemoryBackend()),
    logger: createLogger({ component: "apiserver", level: "fatal" }),
    version: "test",
    kubeletTimeoutMs: 400,
  });
  const port = await server.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
  for (;;) {
    const r = await fetch(`${base}/api/v1/namespaces/default`).catch(() => undefined);
    if (r?.ok) break;
    await sleep(20);
  }
  // a port nothing listens on
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  // Hostname comes first in the list but InternalIP is preferred: 127.0.0.2 has no kubelet
  await post("/api/v1/nodes", node("n1", [{ type: "Hostname", address: "127.0.0.2" }, { type: "InternalIP", address: "127.0.0.1" }], kubeletPort));
  await post("/api/v1/nodes", node("dead", [{ type: "InternalIP", address: "127.0.0.1" }], deadPort));
  await post("/api/v1/nodes", node("nowhere", [], kubeletPort));
  await post("/api/v1/namespaces/default/pods", pod("single", "n1", ["app"]));
  await post("/api/v1/namespaces/default/pods", pod("multi", "n1", ["app", "waiting", "broken", "silent", "follow"], ["setup"]));
  await post("/api/v1/namespaces/default/pods", pod("pending", "", ["app"]));
  await post("/api/v1/namespaces/default/pods", pod("lost", "no-such-node", ["app"]));
  await post("/api/v1/namespaces/default/pods", pod("unreachable", "dead", ["app"]));
  await post("/api/v1/namespaces/default/pods", pod("homeless", "nowhere", ["app"]));
});

after(async () => {
  for (const res of open.values()) res.destroy();
  await server.stop();
  kubelet.closeAllConnections();
  await new Promise<void>((resolve) => kubelet.close(() => resolve()));
});

function node(name: string, addresses: { type: string; address: string }[], port: number): unknown {
  return { apiVersion: "v1", kind: "Node", metadata: { name }, status: { addresses, daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
}

function pod(name: string, nodeName: string, containers: string[], initContainers: string[] = []): unknown {
  const c = (n: string): unknown => ({ name: n, image: "busybox:1.36" });
  const spec: Record<string, unknown> = { containers: containers.map(c) };
  if (initContainers.length > 0) spec["initContainers"] = initContainers.map(c);
  if (nodeName !== "") spec["nodeName"] = nodeName;
  return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec };
}

async function post(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(r.status, 201, await r.text());
}

interface Status {
  kind: string;
  code: number;
  reason?: string;
  message: string;
}

async function log(podName: string, query = ""): Promise<{ status: number; text: string; contentType: string | null }> {
  const r = await fetch(`${base}/api/v1/namespaces/default/pods/${podName}/log${query}`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, text: await r.text(), contentType: r.headers.get("content-type") };
}

async function failure(podName: string, query = ""): Promise<Status> {
  const r = await log(podName, query);
  assert.ok(r.status >= 400, `${podName}${query}: ${r.status} ${r.text}`);
  const s = JSON.parse(r.text) as Status;
  assert.equal(s.kind, "Status");
  assert.equal(s.code, r.status);
  return s;
}

test("a pod's only container: the node agent's log, through the InternalIP and port of the node", async () => {
  seen.length = 0;
  const r = await log("single");
  assert.equal(r.status, 200);
  assert.equal(r.text, "line 1\nline 2\n");
  assert.equal(r.contentType, "text/plain");
  assert.deepEqual(seen, ["/containerLogs/default/single/app"]);
});

test("the options kubectl sends reach the node agent, in Go's order", async () => {
  seen.length = 0;
  const r = await log("multi", "?container=app&tailLines=2&timestamps=true&sinceSeconds=5&limitBytes=100&previous=true&insecureSkipTLSVerifyBackend=true");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(seen, ["/containerLogs/default/multi/app?limitBytes=100&previous=true&sinceSeconds=5&tailLines=2&timestamps=true"]);
  seen.length = 0;
  assert.equal((await log("multi", "?container=setup&sinceTime=2024-05-01T10:00:00.5Z")).status, 200);
  assert.deepEqual(seen, ["/containerLogs/default/multi/setup?sinceTime=2024-05-01T10%3A00%3A00Z"]);
});

test("kube's errors: unknown pod, container to choose, unknown container, unknown node, no address", async () => {
  assert.deepEqual(await failure("nope"), {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'pods "nope" not found', reason: "NotFound", details: { name: "nope", kind: "pods" }, code: 404,
  });
  const choose = await failure("multi");
  assert.deepEqual([choose.code, choose.reason], [400, "BadRequest"]);
  assert.equal(choose.message, "a container name must be specified for pod multi, choose one of: [app waiting broken silent follow] or one of the init containers: [setup]");
  assert.equal((await failure("multi", "?container=nope")).message, "container nope is not valid for pod multi");
  // no node yet: an empty log, as kube answers, not an error
  const pending = await log("pending");
  assert.deepEqual([pending.status, pending.text], [200, ""]);
  const lost = await failure("lost");
  assert.deepEqual([lost.code, lost.reason, lost.message], [404, "NotFound", 'nodes "no-such-node" not found']);
  const homeless = await failure("homeless");
  assert.deepEqual([homeless.code, homeless.message], [500, "no preferred addresses found; known addresses: []"]);
});

test("invalid options: 422 PodLogOptions, or 400 for what does not parse", async () => {
  const tail = await failure("single", "?tailLines=-1");
  assert.deepEqual([tail.code, tail.reason], [422, "Invalid"]);
  assert.equal(tail.message, 'PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  assert.match((await failure("single", "?limitBytes=0")).message, /limitBytes: Invalid value: 0: must be greater than 0/);
  assert.match((await failure("single", "?sinceSeconds=0")).message, /sinceSeconds: Invalid value: 0: must be greater than 0/);
  assert.match((await failure("single", "?sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z")).message, /at most one of `sinceTime` or `sinceSeconds` may be specified/);
  const bad = await failure("single", "?tailLines=ten");
  assert.deepEqual([bad.code, bad.reason], [400, "BadRequest"]);
});

test("the node agent's own errors are passed on as kube does", async () => {
  const waiting = await failure("multi", "?container=waiting");
  assert.deepEqual([waiting.code, waiting.reason, waiting.message], [400, "BadRequest", 'container "waiting" in pod "multi" is waiting to start: ContainerCreating']);
  const broken = await failure("multi", "?container=broken");
  assert.deepEqual([broken.code, broken.reason, broken.message], [500, "InternalError", "Internal error occurred: boom"]);
});

test("follow streams as the node agent writes; the upstream request ends when the client goes", async () => {
  closed = [];
  const controller = new AbortController();
  const res = await fetch(`${base}/api/v1/namespaces/default/pods/multi/log?container=follow&follow=true`, { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("one\n")) text += decoder.decode((await reader.read()).value);
  assert.equal(text, "one\n");
  open.get("follow")?.write("two\n");
  while (!text.includes("two\n")) text += decoder.decode((await reader.read()).value);
  assert.equal(text, "one\ntwo\n");
  controller.abort();
  await until(() => closed.includes("follow"), "the node agent's response to be closed", 3000);
  open.delete("follow");
});

test("an unreachable node agent is a prompt 500 in Go's words", async () => {
  const started = Date.now();
  const s = await failure("unreachable");
  assert.equal(s.code, 500);
  assert.match(s.message, /^Get "http:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/unreachable\/app": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
  assert.ok(Date.now() - started < 2000);
});

test("a node agent that does not answer: 500 after the timeout, unless following", async () => {
  const started = Date.now();
  const s = await failure("multi", "?container=silent");
  assert.equal(s.code, 500);
  assert.match(s.message, /^Get "http:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/multi\/silent": net\/http: timeout awaiting response headers$/);
  assert.ok(Date.now() - started < 2000);
  open.get("silent")?.destroy();
  // a follower may wait for its first line as long as it likes
  const controller = new AbortController();
  let settled = false;
  const pending = fetch(`${base}/api/v1/namespaces/default/pods/multi/log?container=silent&follow=true`, { signal: controller.signal }).then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(1000);
  assert.equal(settled, false);
  controller.abort();
  await pending;
  open.get("silent")?.destroy();
});
