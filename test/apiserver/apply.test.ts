/** Managed fields and server-side apply: ownership, conflicts, forcing, removal of dropped fields. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsonObject, UpdateContext } from "../../internal/apiserver/index.js";
import { ApplyConflictError, decodeManagedFields, fieldSetOf, fromFieldsV1, recordUpdate, serverSideApply, toFieldsV1 } from "../../internal/apiserver/index.js";

const ctx = (manager: string, subresource = ""): UpdateContext => ({ kind: "Deployment", apiVersion: "apps/v1", manager, subresource, withoutStatus: true, now: "2024-01-01T00:00:00Z" });

const config = (replicas: number, image = "nginx", extraEnv = false): JsonObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image, ...(extraEnv ? { env: [{ name: "A", value: "1" }] } : {}) }] },
    },
  },
});

test("field sets: keyed lists by merge keys, atomic selector, fieldsV1 round trip", () => {
  const set = fieldSetOf("Deployment", config(1, "nginx", true));
  const fields = toFieldsV1(set);
  assert.deepEqual(fields, {
    "f:metadata": { "f:labels": { "f:app": {} } },
    "f:spec": {
      "f:replicas": {},
      "f:selector": {},
      "f:template": {
        "f:metadata": { "f:labels": { "f:app": {} } },
        "f:spec": {
          "f:containers": {
            'k:{"name":"web"}': { ".": {}, "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } }, "f:image": {}, "f:name": {} },
          },
        },
      },
    },
  });
  assert.deepEqual([...fromFieldsV1(fields)].sort(), [...set].sort());
});

test("apply creates ownership; an update takes over the fields it changes", () => {
  const applied = serverSideApply(ctx("kubectl"), undefined, config(1), false).object;
  assert.deepEqual(decodeManagedFields(applied).map((e) => `${e.manager}/${e.operation}`), ["kubectl/Apply"]);
  const scaled = structuredClone(applied);
  (scaled["spec"] as JsonObject)["replicas"] = 3;
  recordUpdate(ctx("kubectl-scale", "scale"), applied, scaled);
  const entries = decodeManagedFields(scaled);
  assert.deepEqual(entries.map((e) => `${e.manager}/${e.operation}/${e.subresource}`), ["kubectl/Apply/", "kubectl-scale/Update/scale"]);
  assert.equal(entries[0]?.set.has("f:spec\u0000f:replicas"), false);
  assert.deepEqual([...(entries[1]?.set ?? [])], ["f:spec\u0000f:replicas"]);
});

test("applying a value another manager owns conflicts, unless forced", () => {
  const applied = serverSideApply(ctx("kubectl"), undefined, config(1), false).object;
  const scaled = structuredClone(applied);
  (scaled["spec"] as JsonObject)["replicas"] = 3;
  recordUpdate(ctx("hpa"), applied, scaled);
  assert.throws(
    () => serverSideApply(ctx("kubectl"), scaled, config(2), false),
    (err: unknown) =>
      err instanceof ApplyConflictError &&
      err.message === 'Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas' &&
      err.causes[0]?.field === ".spec.replicas",
  );
  // the same value is shared, not a conflict
  const same = serverSideApply(ctx("kubectl"), scaled, config(3), false).object;
  assert.equal((same["spec"] as JsonObject)["replicas"], 3);
  const forced = serverSideApply(ctx("kubectl"), scaled, config(2), true).object;
  assert.equal((forced["spec"] as JsonObject)["replicas"], 2);
  assert.deepEqual(decodeManagedFields(forced).map((e) => e.manager), ["kubectl"], "hpa lost its only field");
});

test("fields dropped from the configuration are removed unless another manager owns them", () => {
  const first = serverSideApply(ctx("kubectl"), undefined, config(1, "nginx", true), false).object;
  const second = serverSideApply(ctx("kubectl"), first, config(1, "nginx", false), false).object;
  const container = ((((second["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject)["containers"] as JsonObject[])[0];
  assert.equal(container?.["env"], undefined);
  // another applier owning the env keeps it
  const other = serverSideApply(ctx("other"), first, { ...config(1, "nginx", true) }, false).object;
  const kept = serverSideApply(ctx("kubectl"), other, config(1, "nginx", false), false).object;
  const keptContainer = ((((kept["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject)["containers"] as JsonObject[])[0];
  assert.deepEqual(keptContainer?.["env"], [{ name: "A", value: "1" }]);
});
