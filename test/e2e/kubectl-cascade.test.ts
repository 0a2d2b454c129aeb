/**
 * `kubectl delete --cascade=foreground|orphan|background` against a 3-replica `raftplane
 * server` cluster, with a Deployment owning a ReplicaSet owning a Pod by ownerReferences (made
 * by hand: no controllers run yet). Owners, dependents and deletions go through different
 * replicas.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { ServerCluster, sleep, tempDir } from "./cluster.js";
import { describeRun, kubectlOn, kubectlSkip } from "./kubectl.js";

const skip = kubectlSkip();

const deployment = (name: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "busybox:1.36"}]}
`;

const ref = (apiVersion: string, kind: string, name: string, uid: string): string =>
  `[{apiVersion: ${apiVersion}, kind: ${kind}, name: ${name}, uid: ${uid}, controller: true, blockOwnerDeletion: true}]`;

const replicaSet = (name: string, owner: string, ownerUid: string): string => `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  labels: {app: ${owner}}
  ownerReferences: ${ref("apps/v1", "Deployment", owner, ownerUid)}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${owner}}}
  template:
    metadata: {labels: {app: ${owner}}}
    spec: {containers: [{name: app, image: "busybox:1.36"}]}
`;

const pod = (name: string, owner: string, ownerUid: string, finalizers: string): string => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${owner}}
  finalizers: [${finalizers}]
  ownerReferences: ${ref("apps/v1", "ReplicaSet", owner, ownerUid)}
spec: {containers: [{name: app, image: "busybox:1.36"}]}
`;

interface Meta {
  metadata: { name: string; uid: string; deletionTimestamp?: string; finalizers?: string[]; ownerReferences?: { name: string }[] };
}

describe("kubectl delete --cascade against a 3-replica cluster", { skip }, () => {
  let cluster: ServerCluster;
  let home: string;

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

  const get = async (replica: string, what: string): Promise<Meta | undefined> => {
    const r = await run(replica, ["get", what, "-o", "json"]);
    if (r.code !== 0 && /NotFound|not found/.test(r.stderr)) return undefined;
    assert.equal(r.code, 0, describeRun(["get", what], r));
    return JSON.parse(r.stdout) as Meta;
  };

  /** Several objects in one kubectl call, by kind/name; those not found are left out. */
  const getAll = async (replica: string, whats: string[]): Promise<Map<string, Meta>> => {
    const r = await run(replica, ["get", ...whats, "--ignore-not-found", "-o", "json"]);
    assert.equal(r.code, 0, describeRun(["get", ...whats], r));
    const out = new Map<string, Meta>();
    if (r.stdout.trim() === "") return out;
    const parsed = JSON.parse(r.stdout) as Meta & { kind: string; items?: (Meta & { kind: string })[] };
    for (const item of parsed.items ?? [parsed]) out.set(`${item.kind}/${item.metadata.name}`, item);
    return out;
  };

  /** Deployment → ReplicaSet → Pod, created through s1, s2 and s3; the pod with the given finalizers. */
  const family = async (name: string, podFinalizers = ""): Promise<void> => {
    await k("s1", ["apply", "-f", "-"], deployment(name));
    const deployUid = (await get("s2", `deployment/${name}`))?.metadata.uid as string;
    await k("s2", ["apply", "-f", "-"], replicaSet(`${name}-rs`, name, deployUid));
    const rsUid = (await get("s3", `rs/${name}-rs`))?.metadata.uid as string;
    await k("s3", ["apply", "-f", "-"], pod(`${name}-pod`, `${name}-rs`, rsUid, podFinalizers));
    // let every replica's cache see the whole family
    await sleep(100);
  };

  /** Poll (through kubectl) until check holds. */
  const eventually = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
      await sleep(100);
    }
  };

  test("--cascade=foreground: the owners wait with foregroundDeletion while a dependent is held; then pod, replica set and deployment go", async () => {
    await family("fg", "example.com/hold");
    const out = await k("s1", ["delete", "deployment/fg", "--cascade=foreground", "--wait=false"]);
    assert.equal(out.trim(), 'deployment.apps "fg" deleted');
    await eventually("the pod is being deleted", async () => (await get("s2", "pod/fg-pod"))?.metadata.deletionTimestamp !== undefined);
    for (const replica of ["s2", "s3"]) {
      const family = await getAll(replica, ["deployment/fg", "rs/fg-rs", "pod/fg-pod"]);
      const d = family.get("Deployment/fg");
      assert.ok(d?.metadata.deletionTimestamp, "the deployment is being deleted");
      assert.deepEqual(d.metadata.finalizers, ["foregroundDeletion"]);
      const rs = family.get("ReplicaSet/fg-rs");
      assert.ok(rs?.metadata.deletionTimestamp, "the replica set is being deleted");
      assert.deepEqual(rs.metadata.finalizers, ["foregroundDeletion"]);
      assert.deepEqual(family.get("Pod/fg-pod")?.metadata.finalizers, ["example.com/hold"]);
    }
    const waiter = run("s3", ["wait", "--for=delete", "deployment/fg", "rs/fg-rs", "pod/fg-pod", "--timeout=30s"]);
    await sleep(300);
    await k("s2", ["patch", "pod", "fg-pod", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']);
    const waited = await waiter;
    assert.equal(waited.code, 0, describeRun(["wait", "--for=delete"], waited));
    assert.match(waited.stdout, /deployment\.apps\/fg condition met/);
    for (const replica of ["s1", "s2", "s3"]) assert.deepEqual([...(await getAll(replica, ["deployment/fg", "rs/fg-rs", "pod/fg-pod"])).keys()], [], replica);
  });

  test("--cascade=foreground (waiting, as kubectl does by default): once the deployment is gone, so are its dependents", async () => {
    await family("fg2");
    const r = await run("s2", ["delete", "deployment/fg2", "--cascade=foreground"]);
    assert.equal(r.code, 0, describeRun(["delete"], r));
    // no polling: in the foreground the dependents go first
    assert.deepEqual([...(await getAll("s3", ["rs/fg2-rs", "pod/fg2-pod"])).keys()], []);
  });

  test("--cascade=orphan: the replica set stays, without its owner reference; the pod keeps its own", async () => {
    await family("orph");
    const r = await run("s3", ["delete", "deployment/orph", "--cascade=orphan"]);
    assert.equal(r.code, 0, describeRun(["delete"], r));
    assert.equal(r.stdout.trim(), 'deployment.apps "orph" deleted');
    assert.equal(await get("s1", "deployment/orph"), undefined);
    // kubectl waited for the deployment to be gone, which is after the references were removed
    for (const replica of ["s1", "s2"]) {
      const family = await getAll(replica, ["rs/orph-rs", "pod/orph-pod"]);
      const rs = family.get("ReplicaSet/orph-rs");
      assert.ok(rs, `the replica set stays (${replica})`);
      assert.equal(rs.metadata.ownerReferences, undefined);
      assert.equal(rs.metadata.deletionTimestamp, undefined);
      assert.deepEqual(family.get("Pod/orph-pod")?.metadata.ownerReferences?.map((o) => o.name), ["orph-rs"]);
    }
    // later deletions of the orphan cascade as usual
    await sleep(300);
    assert.ok(await get("s3", "rs/orph-rs"), "nothing collects the orphan");
    await k("s1", ["delete", "rs/orph-rs"]);
    const waited = await run("s2", ["wait", "--for=delete", "pod/orph-pod", "--timeout=10s"]);
    assert.equal(waited.code, 0, describeRun(["wait"], waited));
  });

  test("--cascade=background (the default): the deployment goes at once, its dependents after", async () => {
    await family("bg");
    await k("s1", ["delete", "deployment/bg"]);
    const waited = await run("s3", ["wait", "--for=delete", "rs/bg-rs", "pod/bg-pod", "--timeout=10s"]);
    assert.equal(waited.code, 0, describeRun(["wait"], waited));
    for (const replica of ["s1", "s2"]) assert.deepEqual([...(await getAll(replica, ["deployment/bg", "rs/bg-rs", "pod/bg-pod"])).keys()], [], replica);
  });
});
