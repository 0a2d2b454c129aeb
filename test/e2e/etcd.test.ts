/**
 * The API server on a real etcd 3.4 (`raftplane server --datastore-endpoints`): the same
 * kubectl CRUD and watch as on raftplane's own store, with two API server replicas sharing one
 * etcd, and an endpoint list whose first endpoint is down (the store fails over).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { ManagedProcess, ServerCluster, freePorts, sleep, tempDir } from "./cluster.js";
import { kubectlOn, kubectlSkip } from "./kubectl.js";

const etcdBinary = "/usr/bin/etcd";

function etcdSkip(): string | false {
  try {
    accessSync(etcdBinary, constants.X_OK);
    return false;
  } catch {
    if (process.env["CI"] === "true") throw new Error(`${etcdBinary} is missing (apt-get install etcd-server); CI=true: the etcd e2e test must run`);
    return `${etcdBinary} is missing (apt-get install etcd-server): skipping the etcd e2e test`;
  }
}

const skip = kubectlSkip() || etcdSkip();

describe("kubectl against API servers on a real etcd 3.4", { skip }, () => {
  let etcd: ManagedProcess;
  let cluster: ServerCluster;
  let home: string;

  before(async () => {
    const dir = tempDir("raftplane-e2e-etcd-");
    home = join(dir, "home");
    const [client, peer, dead] = (await freePorts(3)) as [number, number, number];
    etcd = new ManagedProcess("etcd", join(dir, "etcd.log"), etcdBinary, [
      "--name", "e1",
      "--data-dir", join(dir, "e1.etcd"),
      "--listen-client-urls", `http://127.0.0.1:${client}`,
      "--advertise-client-urls", `http://127.0.0.1:${client}`,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-cluster", `e1=http://127.0.0.1:${peer}`,
    ]);
    etcd.spawn();
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${client}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch {
        // starting
      }
      if (Date.now() > deadline) throw new Error(`etcd did not start:\n${etcd.logTail()}`);
      await sleep(100);
    }
    // the first endpoint is down: every replica must fail over to etcd
    cluster = await ServerCluster.start({ size: 2, datastoreEndpoints: `http://127.0.0.1:${dead},http://127.0.0.1:${client}` });
  });

  after(async () => {
    await cluster?.destroy();
    await etcd?.signal("SIGKILL");
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) {
      cluster.printLogTails(`test "${t.name}" failed`);
      process.stderr.write(`--- etcd\n${etcd.logTail()}\n`);
    }
  });

  const { run, k } = kubectlOn(() => ({ cluster, home }));

  const doc = (image: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: ${image}}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
`;

  test("create, apply, get and list through either replica", async () => {
    assert.equal((await k("s1", ["create", "namespace", "shop"])).trim(), "namespace/shop created");
    assert.deepEqual((await k("s1", ["-n", "shop", "apply", "-f", "-"], doc("nginx:1.26"))).trim().split("\n"), ["deployment.apps/web created", "configmap/settings created"]);
    assert.equal(await k("s2", ["-n", "shop", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"]), "1 nginx:1.26");
    assert.deepEqual((await k("s2", ["-n", "shop", "apply", "-f", "-"], doc("nginx:1.27"))).trim().split("\n"), ["deployment.apps/web configured", "configmap/settings unchanged"]);
    const all = (await k("s1", ["get", "deploy,cm", "-A", "-o", "name"])).trim().split("\n");
    assert.ok(all.includes("deployment.apps/web") && all.includes("configmap/settings"), all.join("\n"));
  });

  test("update conflicts, patches and scale", async () => {
    await k("s1", ["-n", "shop", "patch", "cm", "settings", "-p", '{"data":{"mode":"safe"}}']);
    await k("s2", ["-n", "shop", "scale", "deploy", "web", "--replicas=4"]);
    assert.equal(await k("s1", ["-n", "shop", "get", "cm", "settings", "-o", "jsonpath={.data.mode}"]), "safe");
    assert.equal(await k("s1", ["-n", "shop", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "4");
    const current = JSON.parse(await k("s2", ["-n", "shop", "get", "cm", "settings", "-o", "json"])) as { metadata: { resourceVersion: string } };
    await k("s1", ["-n", "shop", "label", "cm", "settings", "x=y"]);
    const stale = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop", resourceVersion: current.metadata.resourceVersion }, data: {} });
    const r = await run("s2", ["replace", "-f", "-"], stale);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the object has been modified/);
  });

  test("a watch on one replica sees a change made on the other", async () => {
    const child = spawn("kubectl", ["-n", "shop", "get", "cm", "settings", "-w", "-o", "jsonpath={.data.mode}{\"\\n\"}"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig("s2"), HOME: home },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes("safe") && Date.now() < deadline) await sleep(50);
      await k("s1", ["-n", "shop", "patch", "cm", "settings", "--type", "json", "-p", '[{"op":"replace","path":"/data/mode","value":"turbo"}]']);
      while (!out.includes("turbo") && Date.now() < deadline) await sleep(50);
      assert.deepEqual(out.trim().split("\n"), ["safe", "turbo"]);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("delete and wait; the namespace goes with its content", async () => {
    const waiter = run("s2", ["-n", "shop", "wait", "--for=delete", "deploy/web", "--timeout=20s"]);
    await sleep(300);
    await k("s1", ["-n", "shop", "delete", "deploy", "web"]);
    assert.equal((await waiter).code, 0);
    await k("s1", ["delete", "namespace", "shop"]);
    // kubectl looks the namespace up after a 404, and reports that it is gone
    const gone = await run("s2", ["-n", "shop", "get", "cm", "settings"]);
    assert.match(gone.stderr, /namespaces "shop" not found/);
    const direct = await fetch(`${cluster.replica("s2").apiUrl}/api/v1/namespaces/shop/configmaps/settings`);
    assert.equal(direct.status, 404);
  });
});
