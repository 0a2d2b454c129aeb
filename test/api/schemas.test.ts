import assert from "node:assert/strict";
import { test } from "node:test";
import {
  apiGroupList,
  apiResourceList,
  apiVersions,
  applyDefaults,
  findResource,
  findUnknownFields,
  isKnownKind,
  resourceFor,
  resourceForKind,
  resources,
  schemaForKind,
  storageKey,
  storagePrefix,
  stripNulls,
  UnknownKindError,
  validate,
} from "../../internal/api/index.js";
import type { Deployment, Pod } from "../../internal/api/index.js";
import { loadManifest, loadManifests } from "./helpers.js";

const fixtures = ["deployment.yaml", "service.yaml", "configmap.yaml", "pod.yaml", "misc.yaml"];

test("typical manifests have no unknown fields and are valid once defaulted", () => {
  let count = 0;
  for (const file of fixtures) {
    for (const manifest of loadManifests(file)) {
      const label = `${file} ${manifest.kind}/${manifest.metadata?.name ?? ""}`;
      assert.deepEqual(findUnknownFields(manifest.kind, manifest), [], label);
      assert.deepEqual(validate(manifest.kind, applyDefaults(manifest.kind, manifest)), [], label);
      count++;
    }
  }
  assert.equal(count, 12);
});

test("manifests as kubectl create --dry-run=client writes them, with nulls and empty status, pass", () => {
  const generated = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { creationTimestamp: null, labels: { app: "web" }, name: "web", namespace: "default" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      strategy: {},
      template: {
        metadata: { creationTimestamp: null, labels: { app: "web" } },
        spec: { containers: [{ image: "nginx", name: "nginx", resources: {} }] },
      },
    },
    status: {},
  };
  assert.deepEqual(findUnknownFields("Deployment", generated), []);
  const defaulted = applyDefaults("Deployment", generated);
  assert.equal((defaulted.metadata as Record<string, unknown>)["creationTimestamp"], undefined, "nulls are dropped");
  assert.deepEqual(validate("Deployment", defaulted), []);
});

test("the TypeScript types describe the parsed objects", () => {
  const deployment = loadManifest("deployment.yaml") as unknown as Deployment;
  const container = deployment.spec?.template.spec?.containers[0];
  assert.equal(container?.name, "web");
  assert.equal(container?.ports?.[0]?.containerPort, 8080);
  const pod = loadManifest("pod.yaml") as unknown as Pod;
  assert.equal(pod.spec?.volumes?.[1]?.projected?.sources?.[0]?.serviceAccountToken?.audience, "vault");
});

test("stripNulls drops null fields only, and keeps the same object when there are none", () => {
  const clean = { a: 1, b: { c: [1, { d: 2 }] } };
  assert.equal(stripNulls(clean), clean);
  assert.deepEqual(stripNulls({ a: null, b: { c: null, d: [null, { e: null }] } }), { b: { d: [null, {}] } });
});

test("the registry knows every resource of the brief, with kube's names and scopes", () => {
  const expected: [string, string, string, boolean, string[]][] = [
    ["Pod", "v1", "pods", true, ["po"]],
    ["Node", "v1", "nodes", false, ["no"]],
    ["Service", "v1", "services", true, ["svc"]],
    ["Namespace", "v1", "namespaces", false, ["ns"]],
    ["ConfigMap", "v1", "configmaps", true, ["cm"]],
    ["Endpoints", "v1", "endpoints", true, ["ep"]],
    ["Event", "v1", "events", true, ["ev"]],
    ["ServiceAccount", "v1", "serviceaccounts", true, ["sa"]],
    ["Secret", "v1", "secrets", true, []],
    ["Deployment", "apps/v1", "deployments", true, ["deploy"]],
    ["ReplicaSet", "apps/v1", "replicasets", true, ["rs"]],
    ["Lease", "coordination.k8s.io/v1", "leases", true, []],
    ["Role", "rbac.authorization.k8s.io/v1", "roles", true, []],
    ["RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", true, []],
    ["ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", false, []],
    ["ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "clusterrolebindings", false, []],
  ];
  assert.equal(resources().length, expected.length);
  for (const [kind, gv, plural, namespaced, shortNames] of expected) {
    const r = resourceForKind(kind);
    assert.equal(r.groupVersion, gv, kind);
    assert.equal(r.plural, plural, kind);
    assert.equal(r.singular, kind.toLowerCase(), kind);
    assert.equal(r.namespaced, namespaced, kind);
    assert.deepEqual(r.shortNames, shortNames, kind);
    assert.equal(resourceFor(gv, plural), r);
  }
  assert.deepEqual(
    resources().filter((r) => r.categories.includes("all")).map((r) => r.kind).sort(),
    ["Deployment", "Pod", "ReplicaSet", "Service"],
  );
  assert.deepEqual(resourceForKind("Namespace").verbs, ["create", "delete", "get", "list", "patch", "update", "watch"]);
  assert.throws(() => resourceForKind("Ingress"), UnknownKindError);
  assert.ok(isKnownKind("Scale") && isKnownKind("Binding") && !isKnownKind("Ingress"));
  assert.equal(schemaForKind("Scale").$id, "io.k8s.api.autoscaling.v1.Scale");
});

test("subresources: status where kube has it, scale as autoscaling/v1 Scale, pod binding and log", () => {
  const names = (kind: string): string[] => resourceForKind(kind).subresources.map((s) => s.name);
  assert.deepEqual(names("Pod"), ["status", "binding", "log"]);
  assert.deepEqual(names("Deployment"), ["status", "scale"]);
  assert.deepEqual(names("ReplicaSet"), ["status", "scale"]);
  assert.deepEqual(names("ConfigMap"), []);
  const scale = resourceForKind("Deployment").subresources.find((s) => s.name === "scale");
  assert.deepEqual([scale?.group, scale?.version, scale?.kind], ["autoscaling", "v1", "Scale"]);
  assert.ok(resourceForKind("Node").hasStatus && !resourceForKind("Secret").hasStatus);
});

test("findResource resolves what kubectl users type", () => {
  for (const [name, kind] of [
    ["po", "Pod"], ["pods", "Pod"], ["Pod", "Pod"], ["deploy", "Deployment"], ["deployments.apps", "Deployment"],
    ["svc", "Service"], ["ns", "Namespace"], ["cm", "ConfigMap"], ["ep", "Endpoints"], ["ev", "Event"], ["sa", "ServiceAccount"],
    ["rs.apps", "ReplicaSet"], ["no", "Node"], ["clusterrolebindings.rbac.authorization.k8s.io", "ClusterRoleBinding"],
  ] as const) {
    assert.equal(findResource(name)?.kind, kind, name);
  }
  assert.equal(findResource("deploy.batch"), undefined);
  assert.equal(findResource("ingresses"), undefined);
});

test("storage keys: /registry/<plural>/[<namespace>/]<name>, prefixes end in a slash", () => {
  assert.equal(storageKey(resourceForKind("Deployment"), "default", "web"), "/registry/deployments/default/web");
  assert.equal(storageKey(resourceForKind("Node"), undefined, "n1"), "/registry/nodes/n1");
  assert.equal(storageKey(resourceForKind("Namespace"), "", "kube-system"), "/registry/namespaces/kube-system");
  assert.equal(storagePrefix(resourceForKind("Pod"), "a"), "/registry/pods/a/");
  assert.equal(storagePrefix(resourceForKind("Pod")), "/registry/pods/");
  assert.equal(storagePrefix(resourceForKind("ClusterRole"), "ignored"), "/registry/clusterroles/");
  assert.throws(() => storageKey(resourceForKind("Pod"), undefined, "p"), /namespaced/);
});

test("discovery documents list resources, subresources and groups as kube serves them", () => {
  const core = apiResourceList("v1");
  assert.equal(core?.groupVersion, "v1");
  const pods = core?.resources.find((r) => r.name === "pods");
  assert.deepEqual(pods?.shortNames, ["po"]);
  assert.deepEqual(pods?.categories, ["all"]);
  assert.equal(pods?.storageVersionHash, "xPOwRZ+Yhw8=");
  assert.deepEqual(core?.resources.find((r) => r.name === "pods/binding"), {
    name: "pods/binding", singularName: "", namespaced: true, kind: "Binding", verbs: ["create"],
  });
  const apps = apiResourceList("apps/v1");
  const scale = apps?.resources.find((r) => r.name === "deployments/scale");
  assert.deepEqual([scale?.group, scale?.version, scale?.kind], ["autoscaling", "v1", "Scale"]);
  assert.equal(apiResourceList("batch/v1"), undefined);
  assert.deepEqual(apiGroupList().groups.map((g) => g.name), ["apps", "coordination.k8s.io", "rbac.authorization.k8s.io"]);
  assert.deepEqual(apiGroupList().groups[0]?.preferredVersion, { groupVersion: "apps/v1", version: "v1" });
  assert.deepEqual(apiVersions("10.0.0.1:6443").versions, ["v1"]);
});
