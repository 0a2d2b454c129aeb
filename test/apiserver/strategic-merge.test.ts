/**
 * Strategic merge patch on the real kinds' metadata (internal/api patchMetaAt): list merges by
 * key, primitive sets, $patch, $setElementOrder, $retainKeys, $deleteFromPrimitiveList, and the
 * patches kubectl apply computes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { patchMetaAt } from "../../internal/api/index.js";
import { PatchError, applyStrategicMergePatch } from "../../internal/apiserver/index.js";

const smp = (kind: string, original: unknown, patch: unknown): unknown => applyStrategicMergePatch(original, patch, (path) => patchMetaAt(kind, path));

const pod = (containers: unknown[], extra: Record<string, unknown> = {}): unknown => ({ metadata: { name: "p" }, spec: { containers, ...extra } });

test("containers merge by name: fields of the matched one merge, others stay, new ones are appended", () => {
  const original = pod([
    { name: "a", image: "a:1", args: ["x"] },
    { name: "b", image: "b:1" },
  ]);
  const out = smp("Pod", original, { spec: { containers: [{ name: "b", image: "b:2" }, { name: "c", image: "c:1" }] } });
  assert.deepEqual(out, pod([
    { name: "a", image: "a:1", args: ["x"] },
    { name: "b", image: "b:2" },
    { name: "c", image: "c:1" },
  ]));
});

test("a list without a merge strategy is replaced; null deletes a map key", () => {
  const original = { metadata: { name: "p", labels: { a: "1", b: "2" } }, spec: { containers: [{ name: "a", image: "i", args: ["x", "y"] }] } };
  const out = smp("Pod", original, { metadata: { labels: { a: null, c: "3" } }, spec: { containers: [{ name: "a", args: ["z"] }] } });
  assert.deepEqual(out, { metadata: { name: "p", labels: { b: "2", c: "3" } }, spec: { containers: [{ name: "a", image: "i", args: ["z"] }] } });
});

test("$patch: delete removes an item; $patch: replace replaces the list or a map", () => {
  const original = pod([{ name: "a", image: "a" }, { name: "b", image: "b" }]);
  assert.deepEqual(smp("Pod", original, { spec: { containers: [{ name: "a", $patch: "delete" }] } }), pod([{ name: "b", image: "b" }]));
  assert.deepEqual(smp("Pod", original, { spec: { containers: [{ $patch: "replace" }, { name: "c", image: "c" }] } }), pod([{ name: "c", image: "c" }]));
  const withSelector = { metadata: { name: "p" }, spec: { nodeSelector: { zone: "a", disk: "ssd" }, containers: [] } };
  assert.deepEqual(smp("Pod", withSelector, { spec: { nodeSelector: { $patch: "replace", zone: "b" } } }), { metadata: { name: "p" }, spec: { nodeSelector: { zone: "b" }, containers: [] } });
  assert.deepEqual(smp("Pod", withSelector, { spec: { nodeSelector: { $patch: "delete" } } }), { metadata: { name: "p" }, spec: { nodeSelector: {}, containers: [] } });
});

test("$setElementOrder orders the merged list: its order, then the live order for server-only items", () => {
  const original = pod([{ name: "a" }, { name: "b" }, { name: "c" }]);
  assert.deepEqual(
    smp("Pod", original, { spec: { "$setElementOrder/containers": [{ name: "c" }, { name: "a" }, { name: "b" }] } }),
    pod([{ name: "c" }, { name: "a" }, { name: "b" }]),
  );
  assert.deepEqual(
    smp("Pod", original, { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "new" }, { name: "c" }], containers: [{ name: "new", image: "n" }] } }),
    pod([{ name: "a" }, { name: "new", image: "n" }, { name: "b" }, { name: "c" }]),
  );
});

test("primitive lists with the merge strategy: union, and $deleteFromPrimitiveList", () => {
  const original = { metadata: { name: "n", finalizers: ["a", "b"] } };
  // kube's order: patch items in patch order, server-only items placed by their live positions
  assert.deepEqual(smp("ConfigMap", original, { metadata: { finalizers: ["c", "a"] } }), { metadata: { name: "n", finalizers: ["c", "a", "b"] } });
  // (mergeSortedSlice: an item the live list does not have goes before the server-only ones)
  assert.deepEqual(smp("ConfigMap", original, { metadata: { finalizers: ["c"] } }), { metadata: { name: "n", finalizers: ["c", "a", "b"] } });
  assert.deepEqual(smp("ConfigMap", original, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }), { metadata: { name: "n", finalizers: ["b"] } });
});

test("$retainKeys clears what it does not list (a Deployment's strategy)", () => {
  const original = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } };
  assert.deepEqual(smp("Deployment", original, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }), { spec: { strategy: { type: "Recreate" } } });
  assert.throws(
    () => smp("Deployment", original, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: { maxSurge: 2 } } } }),
    (err: unknown) => err instanceof PatchError && err.reason === "BadRequest",
  );
});

test("ports merge by containerPort, service ports by port", () => {
  const original = pod([{ name: "a", ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }] }]);
  assert.deepEqual(smp("Pod", original, { spec: { containers: [{ name: "a", ports: [{ containerPort: 443, name: "https" }] }] } }), pod([{ name: "a", ports: [{ containerPort: 80, name: "http" }, { containerPort: 443, name: "https" }] }]));
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }] } };
  assert.deepEqual(smp("Service", svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }), { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443, targetPort: 8443 }] } });
});

test("the patch kubectl apply sends for a changed Deployment", () => {
  const stored = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            { name: "web", image: "nginx:1.26", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }] },
            { name: "side", image: "busybox" },
          ],
        },
      },
    },
  };
  const patch = {
    spec: {
      template: {
        spec: {
          "$setElementOrder/containers": [{ name: "web" }],
          containers: [
            { "$setElementOrder/env": [{ name: "A" }, { name: "B" }], env: [{ name: "B", value: "2" }], image: "nginx:1.27", name: "web" },
            { $patch: "delete", name: "side" },
          ],
        },
      },
    },
  };
  const out = smp("Deployment", stored, patch) as typeof stored;
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] },
  ]);
});

test("malformed patches are BadRequest", () => {
  const bad = (patch: unknown): void =>
    assert.throws(() => smp("Pod", pod([{ name: "a" }]), patch), (err: unknown) => err instanceof PatchError && err.reason === "BadRequest");
  bad([{ op: "add" }]);
  bad({ spec: { containers: [{ image: "no-name" }] } });
  bad({ spec: { containers: [{ $patch: "delete" }] } });
  bad({ spec: { containers: [{ name: "a", $patch: "frobnicate" }] } });
  bad({ spec: { "$setElementOrder/containers": [{ name: "a" }], containers: [{ name: "b" }] } });
});
