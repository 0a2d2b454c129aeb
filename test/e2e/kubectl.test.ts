/**
 * The real kubectl against a 3-replica `raftplane server` cluster: client-side and server-side
 * apply, get in every output form with label and field selectors, watch, describe, create,
 * label, annotate, patch (merge, JSON, strategic), scale, delete and wait, discovery and
 * explain; kubectl is pointed at each replica in turn, and one replica is killed half-way.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, afterEach, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ServerCluster, sleep, tempDir } from "./cluster.js";
import { describeRun, kubectlOn, kubectlSkip } from "./kubectl.js";

const skip = kubectlSkip();

const manifest = (image: string, env: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
        env: [${env}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, labels: {app: web}}
data: {greeting: hello}
`;

const ssaManifest = (replicas: number): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: busybox:1.36, command: [sleep, "3600"]}
`;

describe("kubectl against a 3-replica cluster", { skip }, () => {
  let cluster: ServerCluster;
  let home: string;
  /** Replicas still running after the kill test. */
  let survivors: string[] = ["s2", "s3"];

  before(async () => {
    home = tempDir("raftplane-e2e-home-");
    cluster = await ServerCluster.start({ size: 3 });
  });

  after(async () => {
    await cluster?.destroy();
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) cluster.printLogTails(`test "${t.name}" failed`);
  });

  const { run, k } = kubectlOn(() => ({ cluster, home }));

  test("apply -f creates a Deployment, a Service and a ConfigMap", async () => {
    const out = await k("s1", ["apply", "-f", "-"], manifest("nginx:1.26", '{name: A, value: "1"}'));
    assert.deepEqual(out.trim().split("\n"), ["deployment.apps/web created", "service/web created", "configmap/web-config created"]);
  });

  test("every replica serves the same objects", async () => {
    const uids = new Set<string>();
    for (const r of ["s1", "s2", "s3"]) {
      const d = JSON.parse(await k(r, ["get", "deployment", "web", "-o", "json"])) as { metadata: { uid: string }; spec: { template: { spec: { containers: { image: string }[] } } } };
      assert.equal(d.spec.template.spec.containers[0]?.image, "nginx:1.26");
      uids.add(d.metadata.uid);
    }
    assert.equal(uids.size, 1);
  });

  test("apply again after an edit configures only what changed", async () => {
    const out = await k("s2", ["apply", "-f", "-"], manifest("nginx:1.27", '{name: A, value: "1"}, {name: B, value: "2"}'));
    assert.deepEqual(out.trim().split("\n"), ["deployment.apps/web configured", "service/web unchanged", "configmap/web-config unchanged"]);
    const jp = await k("s3", ["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name} {.metadata.generation}"]);
    assert.equal(jp, "nginx:1.27 A B 2");
  });

  test("get -o wide, yaml and json, label and field selectors, -A", async () => {
    const wide = (await k("s1", ["get", "deploy", "-o", "wide"])).trim().split("\n");
    assert.deepEqual(wide[0]?.split(/\s+/), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    assert.match(wide[1] ?? "", /^web\s+0\/2\s+0\s+0\s+\S+\s+web\s+nginx:1\.27\s+app=web$/);
    const svc = parseYaml(await k("s2", ["get", "svc", "web", "-o", "yaml"])) as { spec: { clusterIP: string; type: string; ports: { protocol: string; port: number; targetPort: number }[] } };
    assert.match(svc.spec.clusterIP, /^10\.\d+\.\d+\.\d+$/);
    assert.equal(svc.spec.type, "ClusterIP");
    assert.deepEqual(svc.spec.ports[0], { port: 80, protocol: "TCP", targetPort: 8080 });
    const list = JSON.parse(await k("s3", ["get", "cm,svc", "-l", "app=web", "-o", "json"])) as { items: { kind: string }[] };
    assert.deepEqual(list.items.map((i) => i.kind).sort(), ["ConfigMap", "Service"]);
    assert.equal((await k("s1", ["get", "cm", "-l", "app notin (web),!missing", "-o", "name"])).trim(), "");
    assert.equal((await k("s1", ["get", "cm", "-l", "app in (web, db)", "-o", "name"])).trim(), "configmap/web-config");
    assert.equal((await k("s2", ["get", "ns", "--field-selector", "metadata.name=kube-system", "-o", "name"])).trim(), "namespace/kube-system");
    assert.equal((await k("s2", ["get", "ns", "--field-selector", "status.phase!=Active", "-o", "name"])).trim(), "");
    const all = (await k("s3", ["get", "cm", "-A"])).trim().split("\n");
    assert.deepEqual(all[0]?.split(/\s+/), ["NAMESPACE", "NAME", "DATA", "AGE"]);
    assert.ok(all.some((l) => /^default\s+web-config\s+1\s/.test(l)), all.join("\n"));
    const bad = await run("s1", ["get", "pods", "--field-selector", "spec.colour=red"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: spec\.colour/);
  });

  test("get -w sees a change made through another replica", async () => {
    const child = spawn("kubectl", ["get", "cm", "web-config", "-w", "-o", "jsonpath={.data.greeting}{\"\\n\"}"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig("s3"), HOME: home },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes("hello") && Date.now() < deadline) await sleep(50);
      assert.match(out, /hello/);
      await k("s1", ["patch", "cm", "web-config", "--type", "merge", "-p", '{"data":{"greeting":"changed"}}']);
      while (!out.includes("changed") && Date.now() < deadline) await sleep(50);
      assert.deepEqual(out.trim().split("\n"), ["hello", "changed"]);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("describe shows the deployment and the service", async () => {
    const d = await k("s2", ["describe", "deployment", "web"]);
    assert.match(d, /^Name:\s+web$/m);
    assert.match(d, /^Replicas:\s+2 desired/m);
    assert.match(d, /Image:\s+nginx:1\.27/);
    assert.match(d, /^\s+B:\s+2$/m);
    const s = await k("s3", ["describe", "svc", "web"]);
    assert.match(s, /^TargetPort:\s+8080\/TCP$/m);
  });

  test("create namespace, and objects in it; not in a namespace that does not exist", async () => {
    assert.equal((await k("s1", ["create", "namespace", "team-a"])).trim(), "namespace/team-a created");
    assert.equal((await k("s2", ["-n", "team-a", "create", "configmap", "c1", "--from-literal=a=b"])).trim(), "configmap/c1 created");
    assert.equal(await k("s3", ["-n", "team-a", "get", "cm", "c1", "-o", "jsonpath={.data.a}"]), "b");
    const r = await run("s1", ["-n", "nope", "create", "configmap", "c1", "--from-literal=a=b"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "nope" not found/);
  });

  test("label and annotate", async () => {
    assert.equal((await k("s1", ["label", "deploy", "web", "tier=frontend"])).trim(), "deployment.apps/web labeled");
    assert.equal((await k("s2", ["annotate", "deploy", "web", "owner=team-a"])).trim(), "deployment.apps/web annotated");
    assert.equal((await k("s3", ["get", "deploy", "-l", "tier=frontend", "-o", "name"])).trim(), "deployment.apps/web");
    assert.equal(await k("s3", ["get", "deploy", "web", "-o", "jsonpath={.metadata.annotations.owner}"]), "team-a");
    await k("s1", ["label", "deploy", "web", "tier-"]);
    assert.equal((await k("s2", ["get", "deploy", "-l", "tier", "-o", "name"])).trim(), "");
  });

  test("patch: merge, JSON and strategic", async () => {
    await k("s1", ["patch", "deploy", "web", "--type", "merge", "-p", '{"spec":{"replicas":3}}']);
    await k("s2", ["patch", "deploy", "web", "--type", "json", "-p", '[{"op":"add","path":"/metadata/labels/patched","value":"json"},{"op":"test","path":"/spec/replicas","value":3}]']);
    // strategic: the container is merged by name, its env kept
    await k("s3", ["patch", "deploy", "web", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}']);
    assert.equal(
      await k("s1", ["get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.metadata.labels.patched} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name}"]),
      "3 json nginx:1.28 A B",
    );
    // a failed JSON patch test changes nothing
    const failed = await run("s2", ["patch", "deploy", "web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":9},{"op":"test","path":"/spec/replicas","value":1}]']);
    assert.notEqual(failed.code, 0);
    assert.equal(await k("s3", ["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "3");
  });

  test("scale --replicas goes through the scale subresource", async () => {
    assert.equal((await k("s2", ["scale", "deploy", "web", "--replicas=5"])).trim(), "deployment.apps/web scaled");
    assert.equal(await k("s3", ["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "5");
    assert.equal(await k("s1", ["get", "deploy", "web", "--subresource=scale", "-o", "jsonpath={.kind} {.spec.replicas} {.status.selector}"]), "Scale 5 app=web");
  });

  test("apply --server-side: managed fields, conflicts, --force-conflicts", async () => {
    assert.equal((await k("s1", ["apply", "--server-side", "-f", "-"], ssaManifest(1))).trim(), "deployment.apps/api serverside-applied");
    const managed = JSON.parse(await k("s2", ["get", "deploy", "api", "-o", "jsonpath={.metadata.managedFields}", "--show-managed-fields"])) as { manager: string; operation: string }[];
    assert.deepEqual(managed.map((m) => `${m.manager}/${m.operation}`), ["kubectl/Apply"]);
    await k("s3", ["scale", "deploy", "api", "--replicas=3"]);
    const conflict = await run("s1", ["apply", "--server-side", "-f", "-"], ssaManifest(2));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    assert.equal(await k("s2", ["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"]), "3");
    await k("s1", ["apply", "--server-side", "--force-conflicts", "-f", "-"], ssaManifest(2));
    assert.equal(await k("s2", ["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"]), "2");
    // objects applied client-side move to server-side apply
    const migrated = await run("s3", ["apply", "--server-side", "--force-conflicts", "-f", "-"], manifest("nginx:1.28", '{name: A, value: "1"}, {name: B, value: "2"}'));
    assert.equal(migrated.code, 0, describeRun(["apply", "--server-side"], migrated));
    assert.doesNotMatch(migrated.stderr, /failed/);
  });

  test("api-resources and explain read discovery and OpenAPI", async () => {
    const rows = (await k("s2", ["api-resources", "--no-headers"])).trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.find((r) => r[0] === "deployments"), ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
    const explain = await k("s3", ["explain", "deployment.spec"]);
    assert.match(explain, /FIELD: spec <DeploymentSpec>/);
    assert.match(explain, /^\s+replicas\s+<integer>/m);
  });

  test("the replica holding the KV leader is killed; the others keep serving", async () => {
    const leader = await cluster.leader();
    assert.ok(leader, "a KV leader");
    await cluster.kill(leader.name);
    survivors = cluster.running().map((r) => r.name);
    assert.equal(survivors.length, 2);
    const [a, b] = survivors as [string, string];
    // the survivors elect a leader within an election timeout or two
    await cluster.waitReady();
    const out = await k(a, ["apply", "-f", "-"], manifest("nginx:1.29", '{name: A, value: "1"}, {name: B, value: "2"}'));
    assert.match(out, /deployment\.apps\/web configured/);
    assert.equal(await k(b, ["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]), "nginx:1.29");
    assert.equal((await k(b, ["create", "namespace", "team-b"])).trim(), "namespace/team-b created");
    assert.equal((await k(a, ["get", "ns", "team-b", "-o", "name"])).trim(), "namespace/team-b");
  });

  test("delete -f removes everything; wait --for=delete returns", async () => {
    const waiter = run(survivors[1] as string, ["wait", "--for=delete", "deployment/web", "--timeout=30s"]);
    await sleep(300);
    const out = await k(survivors[0] as string, ["delete", "-f", "-"], manifest("nginx:1.29", ""));
    assert.deepEqual(out.trim().split("\n"), ['deployment.apps "web" deleted', 'service "web" deleted', 'configmap "web-config" deleted']);
    const waited = await waiter;
    assert.equal(waited.code, 0, describeRun(["wait"], waited));
    assert.match(waited.stdout, /deployment\.apps\/web condition met/);
    const gone = await run(survivors[1] as string, ["get", "deploy", "web"]);
    assert.match(gone.stderr, /deployments\.apps "web" not found/);
    await k(survivors[0] as string, ["delete", "namespace", "team-a"]);
    const nsGone = await run(survivors[1] as string, ["get", "ns", "team-a"]);
    assert.match(nsGone.stderr, /namespaces "team-a" not found/);
  });
});
