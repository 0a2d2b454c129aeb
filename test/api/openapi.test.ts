import assert from "node:assert/strict";
import { test } from "node:test";
import { createHash } from "node:crypto";
import {
  openApiV3Document,
  openApiV3DocumentJson,
  openApiV3Paths,
  patchMetaAt,
  resources,
  schemaAt,
} from "../../internal/api/index.js";
import type { OpenApiDocument } from "../../internal/api/index.js";

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const keys = ["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1", "apis/rbac.authorization.k8s.io/v1"];

function documents(): [string, OpenApiDocument][] {
  return keys.map((k) => {
    const doc = openApiV3Document(k);
    assert.ok(doc, k);
    return [k, doc];
  });
}

function walk(value: unknown, visit: (node: J, path: string) => void, path = ""): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
  else if (typeof value === "object" && value !== null) {
    visit(value as J, path);
    for (const [k, v] of Object.entries(value)) walk(v, visit, `${path}/${k}`);
  }
}

test("the /openapi/v3 index lists every group version, with the document's hash in the URL", () => {
  const index = openApiV3Paths();
  assert.deepEqual(Object.keys(index.paths), keys);
  for (const key of keys) {
    const served = openApiV3DocumentJson(key);
    assert.ok(served);
    const hash = createHash("sha512").update(served.json).digest("hex").toUpperCase();
    assert.equal(served.hash, hash);
    assert.equal(index.paths[key]?.serverRelativeURL, `/openapi/v3/${key}?hash=${hash}`);
    assert.deepEqual(JSON.parse(served.json), openApiV3Document(key));
  }
  assert.equal(openApiV3Document("/openapi/v3/apis/apps/v1"), openApiV3Document("apis/apps/v1"));
  assert.equal(openApiV3Document("apis/batch/v1"), undefined);
});

test("documents are OpenAPI 3.0 and every $ref resolves within the document", () => {
  for (const [key, doc] of documents()) {
    assert.equal(doc.openapi, "3.0.0");
    const schemas = doc.components.schemas;
    let refs = 0;
    walk(doc, (node, path) => {
      const ref = node["$ref"];
      if (typeof ref !== "string") return;
      refs++;
      assert.match(ref, /^#\/components\/schemas\//, `${key}${path}`);
      assert.ok(schemas[ref.slice("#/components/schemas/".length)], `${key}${path}: ${ref} does not resolve`);
      assert.deepEqual(Object.keys(node), ["$ref"], `${key}${path}: a $ref stands alone (descriptions go beside an allOf)`);
    });
    assert.ok(refs > 20, key);
    walk(schemas, (node, path) => {
      if (node["allOf"] !== undefined) assert.equal(node["allOf"].length, 1, path);
      if (node["type"] === "array") assert.ok(node["items"], `${path}: arrays have items`);
    });
  }
});

test("every top-level kind carries x-kubernetes-group-version-kind, under kube's component names", () => {
  const docs = Object.fromEntries(documents());
  for (const r of resources()) {
    const doc = docs[r.group === "" ? `api/${r.version}` : `apis/${r.group}/${r.version}`];
    const prefix = r.group === "" ? "io.k8s.api.core.v1" : `io.k8s.api.${r.group.split(".")[0]}.${r.version}`;
    for (const [name, kind] of [[`${prefix}.${r.kind}`, r.kind], [`${prefix}.${r.kind}List`, `${r.kind}List`]]) {
      const schema = doc?.components.schemas[name ?? ""] as J | undefined;
      assert.ok(schema, name);
      assert.deepEqual(schema["x-kubernetes-group-version-kind"], [{ group: r.group, kind, version: r.version }], name);
    }
  }
  const apps = docs["apis/apps/v1"]?.components.schemas as J;
  assert.deepEqual(apps["io.k8s.api.autoscaling.v1.Scale"]["x-kubernetes-group-version-kind"], [{ group: "autoscaling", kind: "Scale", version: "v1" }]);
  assert.deepEqual(apps["io.k8s.apimachinery.pkg.apis.meta.v1.Status"]["x-kubernetes-group-version-kind"], [{ group: "", kind: "Status", version: "v1" }]);
  assert.ok(apps["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
  assert.equal(apps["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["x-kubernetes-group-version-kind"], undefined);
  const core = docs["api/v1"]?.components.schemas as J;
  assert.deepEqual(core["io.k8s.api.core.v1.Binding"]["x-kubernetes-group-version-kind"], [{ group: "", kind: "Binding", version: "v1" }]);
});

test("POST, PUT and PATCH operations take fieldValidation; patches take force and strategic merge bodies", () => {
  let writes = 0;
  for (const [key, doc] of documents()) {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ["post", "put", "patch"]) {
        const op = item[method] as J | undefined;
        if (op === undefined) continue;
        writes++;
        const names = (op["parameters"] as J[]).filter((p) => p["in"] === "query").map((p) => p["name"]);
        for (const name of ["fieldValidation", "dryRun", "fieldManager"]) assert.ok(names.includes(name), `${key} ${method} ${path}: ${name}`);
        if (method === "patch") {
          assert.ok(names.includes("force"), `${key} ${path}`);
          assert.ok(op["requestBody"]["content"]["application/strategic-merge-patch+json"], path);
          assert.ok(op["requestBody"]["content"]["application/apply-patch+yaml"], path);
        }
        assert.ok(op["x-kubernetes-group-version-kind"]["kind"], path);
        assert.equal(typeof op["x-kubernetes-action"], "string");
      }
    }
  }
  assert.ok(writes > 40);
  const core = openApiV3Document("api/v1");
  const pods = core?.paths["/api/v1/namespaces/{namespace}/pods/{name}"] as J;
  assert.equal(pods["patch"]["operationId"], "patchCoreV1NamespacedPod");
  assert.deepEqual(pods["patch"]["x-kubernetes-group-version-kind"], { group: "", kind: "Pod", version: "v1" });
  assert.ok(core?.paths["/api/v1/pods"], "list across namespaces");
  assert.ok((core?.paths["/api/v1/namespaces/{namespace}/pods/{name}/binding"] as J)["post"]);
  assert.ok((core?.paths["/api/v1/namespaces/{namespace}/pods/{name}/log"] as J)["get"]);
  assert.ok((core?.paths["/api/v1/nodes/{name}/status"] as J)["patch"]);
  const scale = openApiV3Document("apis/apps/v1")?.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"] as J;
  assert.deepEqual(scale["put"]["x-kubernetes-group-version-kind"], { group: "autoscaling", kind: "Scale", version: "v1" });
  assert.equal(scale["get"]["operationId"], "readAppsV1NamespacedDeploymentScale");
  const rbac = openApiV3Document("apis/rbac.authorization.k8s.io/v1")?.paths["/apis/rbac.authorization.k8s.io/v1/clusterroles"] as J;
  assert.equal(rbac["get"]["operationId"], "listRbacAuthorizationV1ClusterRole");
});

test("fields carry descriptions, and references with their own description use allOf", () => {
  const schemas = openApiV3Document("apis/apps/v1")?.components.schemas as J;
  const spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"];
  assert.deepEqual(spec["required"], ["selector", "template"]);
  assert.deepEqual(spec["properties"]["template"]["allOf"], [{ $ref: "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec" }]);
  assert.match(spec["properties"]["template"]["description"], /pods/);
  assert.match(spec["properties"]["replicas"]["description"], /Defaults to 1/);
  assert.equal(spec["properties"]["replicas"]["format"], "int32");
  const meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  assert.deepEqual(meta["properties"]["labels"]["additionalProperties"], { type: "string" });
  assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"], "date-time");
  assert.equal(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["x-kubernetes-int-or-string"], true);
  let described = 0;
  let fields = 0;
  walk(schemas, (node) => {
    const properties = node["properties"] as J | undefined;
    if (properties === undefined) return;
    for (const p of Object.values(properties)) {
      fields++;
      if (typeof p["description"] === "string" || p["$ref"] !== undefined) described++;
    }
  });
  assert.ok(described / fields > 0.95, `${described} of ${fields} fields described`);
});

test("list fields publish kube's strategic merge and apply metadata", () => {
  const schemas = openApiV3Document("api/v1")?.components.schemas as J;
  const props = (name: string): J => schemas[`io.k8s.api.core.v1.${name}`]["properties"];
  const meta = (field: J): unknown[] => [
    field["x-kubernetes-patch-strategy"],
    field["x-kubernetes-patch-merge-key"],
    field["x-kubernetes-list-type"],
    field["x-kubernetes-list-map-keys"],
  ];
  assert.deepEqual(meta(props("PodSpec")["containers"]), ["merge", "name", "map", ["name"]]);
  assert.deepEqual(meta(props("PodSpec")["volumes"]), ["merge,retainKeys", "name", "map", ["name"]]);
  assert.deepEqual(meta(props("PodSpec")["tolerations"]), [undefined, undefined, "atomic", undefined]);
  assert.deepEqual(meta(props("Container")["ports"]), ["merge", "containerPort", "map", ["containerPort", "protocol"]]);
  assert.deepEqual(meta(props("Container")["env"]), ["merge", "name", "map", ["name"]]);
  assert.deepEqual(meta(props("Container")["volumeMounts"]), ["merge", "mountPath", "map", ["mountPath"]]);
  assert.deepEqual(meta(props("ServiceSpec")["ports"]), ["merge", "port", "map", ["port", "protocol"]]);
  assert.deepEqual(meta(props("PodStatus")["conditions"]), ["merge", "type", "map", ["type"]]);
  const objectMeta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"];
  assert.deepEqual(meta(objectMeta["finalizers"]), ["merge", undefined, "set", undefined]);
  assert.deepEqual(meta(objectMeta["ownerReferences"]), ["merge", "uid", "map", ["uid"]]);
});

test("patchMetaAt reads the metadata back for the patch code", () => {
  assert.deepEqual(patchMetaAt("Deployment", ["spec", "template", "spec", "containers"]), {
    shape: "list", listType: "map", listMapKeys: ["name"], patchStrategy: "merge", patchMergeKey: "name",
  });
  assert.deepEqual(patchMetaAt("Pod", "spec.containers.ports"), {
    shape: "list", listType: "map", listMapKeys: ["containerPort", "protocol"], patchStrategy: "merge", patchMergeKey: "containerPort",
  });
  assert.deepEqual(patchMetaAt("Pod", ["spec", "containers", "0", "env"])?.patchMergeKey, "name");
  assert.deepEqual(patchMetaAt("Pod", "metadata.finalizers"), { shape: "list", listType: "set", patchStrategy: "merge" });
  assert.deepEqual(patchMetaAt("Pod", "spec.tolerations"), { shape: "list", listType: "atomic" });
  assert.deepEqual(patchMetaAt("Pod", "spec.containers.command"), { shape: "list", listType: "atomic" });
  assert.deepEqual(patchMetaAt("Deployment", "spec.selector"), { shape: "object", mapType: "atomic" });
  assert.deepEqual(patchMetaAt("Pod", ["metadata", "labels"]), { shape: "map" });
  assert.deepEqual(patchMetaAt("Pod", ["spec", "containers", "resources", "limits", "cpu"]), { shape: "scalar" });
  assert.deepEqual(patchMetaAt("Service", "spec.ports"), {
    shape: "list", listType: "map", listMapKeys: ["port", "protocol"], patchStrategy: "merge", patchMergeKey: "port",
  });
  assert.equal(patchMetaAt("Pod", "spec.nope"), undefined);
  assert.equal(schemaAt("Deployment", "spec.template.spec")?.$id, "io.k8s.api.core.v1.PodSpec");
  assert.equal(schemaAt("Pod", [])?.$id, "io.k8s.api.core.v1.Pod");
});
