/**
 * kube-apiserver's max-in-flight limits: with every mutating slot taken by requests the store
 * has not answered, the next write is a prompt 429 TooManyRequests with Retry-After, stores
 * nothing, and reads and watches are still served; once the store answers, writes go through.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiServer } from "../../internal/apiserver/index.js";
import { createLogger } from "../../internal/observability/index.js";
import type { BackendTxn } from "../../internal/store/index.js";
import { MemoryBackend, Store } from "../../internal/store/index.js";
import { sleep, until } from "./helpers.js";

/** The in-memory store, whose transactions wait while `held` (a store slower than the load). */
class GatedBackend extends MemoryBackend {
  held = false;
  waiting = 0;
  private readonly gate: (() => void)[] = [];

  override async txn(req: Parameters<MemoryBackend["txn"]>[0]): Promise<BackendTxn> {
    if (this.held) {
      this.waiting++;
      await new Promise<void>((r) => this.gate.push(r));
      this.waiting--;
    }
    return super.txn(req);
  }

  release(): void {
    this.held = false;
    for (const open of this.gate.splice(0)) open();
  }
}

let server: ApiServer;
let backend: GatedBackend;
let base: string;

before(async () => {
  backend = new GatedBackend();
  server = new ApiServer({
    store: new Store(backend),
    logger: createLogger({ component: "apiserver", level: "fatal" }),
    version: "test",
    maxMutatingRequestsInflight: 2,
    maxRequestsInflight: 3,
  });
  base = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  for (;;) {
    const r = await fetch(`${base}/api/v1/namespaces/default`).catch(() => undefined);
    if (r?.ok === true) break;
    await sleep(20);
  }
});

after(async () => {
  backend.release();
  await server.stop();
});

const cm = (name: string): string => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: name } });
const create = (name: string, signal?: AbortSignal): Promise<Response> =>
  fetch(`${base}/api/v1/namespaces/default/configmaps`, { method: "POST", headers: { "content-type": "application/json" }, body: cm(name), ...(signal === undefined ? {} : { signal }) });

test("past --max-mutating-requests-inflight a write is 429 with Retry-After; reads and watches go on", async () => {
  backend.held = true;
  const first = create("one");
  const second = create("two");
  await until(() => backend.waiting === 2, "two creates waiting on the store");

  const started = Date.now();
  // without the limit this one would wait on the store like the others: give up after 3 s
  const refused = await create("three", AbortSignal.timeout(3000));
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "1");
  const status = (await refused.json()) as { kind: string; reason: string; code: number; message: string; details: { retryAfterSeconds: number } };
  assert.deepEqual([status.kind, status.reason, status.code, status.details.retryAfterSeconds], ["Status", "TooManyRequests", 429, 1]);
  assert.equal(status.message, "Too many requests, please try again later.");
  assert.ok(Date.now() - started < 1000, "refused at once, not after the store's deadline");

  // reads have their own limit, and a watch takes no slot at all
  const watch = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5`);
  assert.equal(watch.status, 200);
  const list = await fetch(`${base}/api/v1/namespaces/default/configmaps?resourceVersion=0`);
  assert.equal(list.status, 200);
  await watch.body?.cancel();

  backend.release();
  assert.deepEqual([(await first).status, (await second).status], [201, 201]);
  assert.equal((await create("four")).status, 201, "a slot frees once its request is answered");
  assert.equal((await fetch(`${base}/api/v1/namespaces/default/configmaps/three`)).status, 404, "the refused write stored nothing");

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /apiserver_dropped_requests_total\{request_kind="mutating"\} 1\n/);
  assert.match(metrics, /apiserver_request_total\{[^}]*verb="POST"[^}]*code="429"\} 1\n/);
});
