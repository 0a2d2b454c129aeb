/**
 * Bad input to a 3-replica cluster, through kubectl and raw HTTP: malformed JSON and YAML,
 * unknown fields under Strict, invalid names and labels, bodies over 3 MiB, patches of the
 * wrong type, unknown resources and methods, stale updates. Each gets kube's Status (reason
 * and code), nothing is stored, and the cluster keeps serving.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { ServerCluster, tempDir } from "./cluster.js";
import type { KubectlResult } from "./kubectl.js";
import { describeRun, kubectl, kubectlSkip } from "./kubectl.js";

const skip = kubectlSkip();

interface StatusBody {
  kind?: string;
  status?: string;
  reason?: string;
  code?: number;
  message?: string;
  details?: { causes?: { field?: string; reason?: string }[] };
}

describe("bad input gets kube's Status and changes nothing", { skip }, () => {
  let cluster: ServerCluster;
  let home: string;
  let api: string;

  before(async () => {
    home = tempDir("raftplane-e2e-home-");
    cluster = await ServerCluster.start({ size: 3 });
    api = cluster.replica("s2").apiUrl;
  });

  after(async () => {
    await cluster?.destroy();
  });

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) cluster.printLogTails(`test "${t.name}" failed`);
  });

  const run = (args: string[], input?: string, replica = "s1"): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: cluster.kubeconfig(replica), home, ...(input === undefined ? {} : { input }) });

  const request = async (method: string, path: string, body?: string | Buffer, contentType = "application/json"): Promise<{ code: number; body: StatusBody; headers: Headers }> => {
    const res = await fetch(`${api}${path}`, { method, ...(body === undefined ? {} : { body, headers: { "content-type": contentType } }) });
    const text = await res.text();
    return { code: res.status, body: (text.startsWith("{") ? JSON.parse(text) : { message: text }) as StatusBody, headers: res.headers };
  };

  const assertStatus = (r: { code: number; body: StatusBody }, code: number, reason: string, message?: RegExp): void => {
    assert.equal(r.code, code, JSON.stringify(r.body));
    assert.equal(r.body.kind, "Status");
    assert.equal(r.body.status, "Failure");
    assert.equal(r.body.code, code);
    assert.equal(r.body.reason, reason);
    if (message !== undefined) assert.match(r.body.message ?? "", message);
  };

  const assertAbsent = async (path: string): Promise<void> => {
    const r = await request("GET", path);
    assertStatus(r, 404, "NotFound");
  };

  test("malformed JSON and YAML bodies are 400 BadRequest", async () => {
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", '{"kind":"ConfigMap",'), 400, "BadRequest", /json parse error/);
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", "kind: [unclosed", "application/yaml"), 400, "BadRequest", /yaml parse error/);
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", "[1,2]"), 400, "BadRequest");
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}'), 400, "BadRequest", /kind in the data \(Secret\)/);
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", "x", "text/plain"), 415, "UnsupportedMediaType");
    const r = await run(["apply", "-f", "-"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n");
    assert.notEqual(r.code, 0);
    await assertAbsent("/api/v1/namespaces/default/configmaps/broken");
  });

  test("unknown fields: Strict refuses, Warn warns and drops, Ignore drops", async () => {
    const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndata: {a: b}\ndatta: {c: d}\n";
    const r = await run(["apply", "-f", "-"], doc);
    assert.notEqual(r.code, 0, describeRun(["apply"], r));
    assert.match(r.stderr, /strict decoding error: unknown field "datta"/);
    await assertAbsent("/api/v1/namespaces/default/configmaps/typo");
    const body = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "warned" }, data: { a: "b" }, datta: { c: "d" } });
    const strict = await request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body);
    assertStatus(strict, 400, "BadRequest", /unknown field "datta"/);
    const warned = await request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn", body);
    assert.equal(warned.code, 201);
    assert.equal(warned.headers.get("warning"), '299 - "unknown field \\"datta\\""');
    assert.equal((warned.body as Record<string, unknown>)["datta"], undefined);
    const ignored = await request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Ignore", body.replace("warned", "ignored"));
    assert.equal(ignored.code, 201);
    assert.equal(ignored.headers.get("warning"), null);
  });

  test("invalid names and labels are 422 Invalid with field causes", async () => {
    const r = await run(["create", "configmap", "Bad_Name"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name"/);
    const labelled = await request(
      "POST",
      "/apis/apps/v1/namespaces/default/deployments",
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "badlabel", labels: { "bad key!": "v" } },
        spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } } },
      }),
    );
    assertStatus(labelled, 422, "Invalid", /^Deployment\.apps "badlabel" is invalid: metadata\.labels: Invalid value: "bad key!"/);
    assert.deepEqual(labelled.body.details?.causes?.map((c) => c.field), ["metadata.labels"]);
    await assertAbsent("/apis/apps/v1/namespaces/default/deployments/badlabel");
    const replicas = await run(["apply", "-f", "-"], "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: neg}\nspec: {replicas: -1, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n");
    assert.match(replicas.stderr, /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    await assertAbsent("/apis/apps/v1/namespaces/default/deployments/neg");
  });

  test("bodies over 3 MiB are 413 RequestEntityTooLarge", async () => {
    const big = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big" }, data: { a: "x".repeat(3 * 1024 * 1024 + 10) } });
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", big), 413, "RequestEntityTooLarge", /limit is 3145728/);
    await assertAbsent("/api/v1/namespaces/default/configmaps/big");
    // under the limit but over a ConfigMap's 1 MiB: validation says so
    const large = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "large" }, data: { a: "x".repeat(1024 * 1024 + 10) } });
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps", large), 422, "Invalid");
  });

  test("patches of the wrong type or shape", async () => {
    assert.equal((await run(["create", "configmap", "target", "--from-literal=a=b"])).code, 0);
    const path = "/api/v1/namespaces/default/configmaps/target";
    assertStatus(await request("PATCH", path, '{"data":{"a":"c"}}', "application/json-patch+json"), 400, "BadRequest", /cannot unmarshal object/);
    assertStatus(await request("PATCH", path, "[]", "application/merge-patch+json"), 400, "BadRequest");
    assertStatus(await request("PATCH", path, '[{"op":"add"}]', "application/json-patch+json"), 400, "BadRequest");
    assertStatus(await request("PATCH", path, '[{"op":"remove","path":"/data/missing"}]', "application/json-patch+json"), 422, "Invalid");
    assertStatus(await request("PATCH", path, '{"data":{"a":"c"}}', "application/json"), 415, "UnsupportedMediaType");
    assertStatus(await request("PATCH", path, '{"data":{"a":"c"}}', "application/apply-patch+yaml"), 400, "BadRequest", /fieldManager/);
    assertStatus(await request("PATCH", path, '{"metadata":{"finalizers":[{"$patch":"delete"}]}}', "application/strategic-merge-patch+json"), 400, "BadRequest");
    const r = await run(["patch", "cm", "target", "--type", "json", "-p", '{"data":{}}']);
    assert.notEqual(r.code, 0);
    const got = await request("GET", path);
    assert.deepEqual((got.body as { data?: unknown }).data, { a: "b" });
  });

  test("unknown resources, paths and methods", async () => {
    const r = await run(["get", "foos"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /doesn't have a resource type "foos"/);
    assertStatus(await request("GET", "/api/v1/namespaces/default/foos"), 404, "NotFound");
    assertStatus(await request("GET", "/apis/nope.example.com/v1/things"), 404, "NotFound");
    assertStatus(await request("GET", "/api/v1/configmaps/x"), 404, "NotFound");
    assertStatus(await request("PUT", "/api/v1/namespaces/default/configmaps", "{}"), 405, "MethodNotAllowed");
    assertStatus(await request("POST", "/api/v1/namespaces/default/configmaps/target", "{}"), 405, "MethodNotAllowed");
    assertStatus(await request("DELETE", "/api/v1/namespaces"), 405, "MethodNotAllowed");
    const notAcceptable = await fetch(`${api}/api/v1/namespaces`, { headers: { accept: "application/vnd.kubernetes.protobuf" } });
    assert.equal(notAcceptable.status, 406);
  });

  test("stale updates conflict, duplicates already exist", async () => {
    const path = "/api/v1/namespaces/default/configmaps/target";
    const current = (await request("GET", path)).body as { metadata: { resourceVersion: string } };
    const stale = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "target", resourceVersion: current.metadata.resourceVersion }, data: { a: "1" } };
    const first = await request("PUT", path, JSON.stringify(stale));
    assert.equal(first.code, 200);
    assertStatus(await request("PUT", path, JSON.stringify({ ...stale, data: { a: "2" } })), 409, "Conflict", /the object has been modified/);
    const dup = await run(["create", "configmap", "target"]);
    assert.match(dup.stderr, /configmaps "target" already exists/);
    assertStatus(await request("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=1&resourceVersionMatch=Sideways"), 400, "BadRequest");
    assertStatus(await request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20("), 400, "BadRequest");
  });

  test("the cluster still serves, on every replica", async () => {
    for (const r of ["s1", "s2", "s3"]) {
      const out = await run(["get", "cm", "target", "-o", "jsonpath={.data.a}"], undefined, r);
      assert.equal(out.stdout, "1", describeRun(["get"], out));
      assert.equal((await fetch(`${cluster.replica(r).apiUrl}/readyz`)).status, 200);
    }
  });

  test("with quorum lost, the last replica answers 503 within the store deadline, never hangs", async () => {
    await cluster.kill("s1");
    await cluster.kill("s3");
    for (const [method, path, body] of [
      ["GET", "/api/v1/namespaces/default/configmaps/target", undefined],
      ["POST", "/api/v1/namespaces/default/configmaps", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lost" } })],
    ] as const) {
      const started = Date.now();
      const r = await request(method, path, body);
      const took = Date.now() - started;
      assertStatus(r, 503, "ServiceUnavailable");
      assert.equal(r.headers.get("retry-after"), "1");
      assert.ok(took < 8000, `${method} took ${took} ms (store deadline 3 s)`);
    }
    const cached = await request("GET", "/api/v1/namespaces/default/configmaps?resourceVersion=0");
    assert.equal(cached.code, 200, "lists at resourceVersion 0 are served from the watch cache");
    assert.equal((await fetch(`${api}/readyz`)).status, 500);
  });
});
