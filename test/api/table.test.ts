import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults, buildTable, humanDuration, tableColumns, tableRow } from "../../internal/api/index.js";
import { loadManifest } from "./helpers.js";

const now = new Date("2024-05-01T12:00:00Z");
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

function names(kind: string): [string, number][] {
  return tableColumns(kind).map((c) => [c.name, c.priority]);
}

test("humanDuration uses kube's buckets", () => {
  const cases: [number, string][] = [
    [-5, "<invalid>"], [-1, "0s"], [0, "0s"], [59, "59s"], [119, "119s"], [120, "2m"], [125, "2m5s"], [600, "10m"], [10799, "179m"],
    [3 * 3600, "3h"], [3 * 3600 + 60 * 12, "3h12m"], [8 * 3600 + 59, "8h"], [47 * 3600, "47h"], [48 * 3600, "2d"], [50 * 3600, "2d2h"],
    [8 * 86400, "8d"], [700 * 86400, "700d"], [800 * 86400, "2y70d"], [3000 * 86400, "8y"],
  ];
  for (const [s, text] of cases) assert.equal(humanDuration(s * 1000), text, String(s));
});

test("column definitions per kind, wide columns at priority 1", () => {
  assert.deepEqual(names("Pod"), [["Name", 0], ["Ready", 0], ["Status", 0], ["Restarts", 0], ["Age", 0], ["IP", 1], ["Node", 1], ["Nominated Node", 1], ["Readiness Gates", 1]]);
  assert.deepEqual(names("Deployment"), [["Name", 0], ["Ready", 0], ["Up-to-date", 0], ["Available", 0], ["Age", 0], ["Containers", 1], ["Images", 1], ["Selector", 1]]);
  assert.deepEqual(names("Service"), [["Name", 0], ["Type", 0], ["Cluster-IP", 0], ["External-IP", 0], ["Port(s)", 0], ["Age", 0], ["Selector", 1]]);
  assert.deepEqual(names("Namespace"), [["Name", 0], ["Status", 0], ["Age", 0]]);
  assert.deepEqual(names("Event").filter(([, p]) => p === 0).map(([n]) => n), ["Last Seen", "Type", "Reason", "Object", "Message"]);
  assert.deepEqual(names("Node").slice(0, 5).map(([n]) => n), ["Name", "Status", "Roles", "Age", "Version"]);
  assert.deepEqual(names("Scale"), [["Name", 0], ["Age", 0]]);
  const [name] = tableColumns("Pod");
  assert.equal(name?.format, "name");
  assert.equal(tableColumns("ReplicaSet")[1]?.type, "integer");
});

test("pod rows: readiness, status reasons, restarts with the last one's age", () => {
  const pod = {
    metadata: { name: "web-1", namespace: "default", creationTimestamp: ago(3600 * 5 + 60 * 3) },
    spec: { nodeName: "node-1", containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] },
    status: {
      phase: "Running",
      podIP: "10.244.1.7",
      containerStatuses: [
        { name: "a", ready: true, restartCount: 0, image: "x", imageID: "", state: { running: { startedAt: ago(100) } } },
        {
          name: "b", ready: false, restartCount: 4, image: "y", imageID: "",
          state: { waiting: { reason: "CrashLoopBackOff" } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(90) } },
        },
      ],
    },
  };
  const row = tableRow("Pod", pod, now);
  assert.deepEqual(row.cells, ["web-1", "1/2", "CrashLoopBackOff", "4 (90s ago)", "5h3m", "10.244.1.7", "node-1", "<none>", "<none>"]);
  assert.deepEqual(row.object, { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: pod.metadata });

  const pending = tableRow("Pod", applyDefaults("Pod", loadManifest("pod.yaml")), now).cells;
  assert.deepEqual(pending, ["debug", "0/2", "", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]);
  const terminating = tableRow("Pod", { ...pod, metadata: { ...pod.metadata, deletionTimestamp: ago(1) } }, now).cells;
  assert.equal(terminating[2], "Terminating");
  const init = tableRow("Pod", {
    metadata: { name: "p" },
    spec: { initContainers: [{ name: "i1", image: "x" }, { name: "i2", image: "x" }], containers: [{ name: "c", image: "x" }] },
    status: {
      phase: "Pending",
      initContainerStatuses: [
        { name: "i1", ready: false, restartCount: 0, image: "x", imageID: "", state: { terminated: { exitCode: 0 } } },
        { name: "i2", ready: false, restartCount: 0, image: "x", imageID: "", state: { running: {} } },
      ],
    },
  }, now).cells;
  assert.equal(init[2], "Init:1/2");
  const done = tableRow("Pod", {
    metadata: { name: "job" },
    spec: { containers: [{ name: "c", image: "x" }] },
    status: { phase: "Succeeded", containerStatuses: [{ name: "c", ready: false, restartCount: 0, image: "x", imageID: "", state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
  }, now).cells;
  assert.deepEqual(done.slice(1, 3), ["0/1", "Completed"]);
});

test("deployment, replica set, service, node, namespace, event and config map rows", () => {
  const deployment = { ...loadManifest("deployment.yaml"), status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  (deployment.metadata as Record<string, unknown>)["creationTimestamp"] = ago(86400 * 3);
  assert.deepEqual(tableRow("Deployment", deployment, now).cells, ["web", "2/3", 3, 2, "3d", "web", "nginx:1.27.2", "app=web"]);

  const rs = { metadata: { name: "web-7d4b9c" }, spec: { replicas: 2, selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] }, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } }, status: { replicas: 2, readyReplicas: 1 } };
  assert.deepEqual(tableRow("ReplicaSet", rs, now).cells, ["web-7d4b9c", 2, 2, 1, "<unknown>", "web", "nginx", "app in (api,web)"]);

  const svc = { ...applyDefaults("Service", loadManifest("service.yaml")) };
  (svc.spec as Record<string, unknown>)["clusterIP"] = "10.96.0.12";
  assert.deepEqual(tableRow("Service", svc, now).cells, ["web", "NodePort", "10.96.0.12", "<none>", "80:30080/TCP,9090/TCP", "<unknown>", "app=web"]);
  const lb = { metadata: { name: "lb" }, spec: { type: "LoadBalancer", clusterIP: "10.96.0.2", ports: [{ port: 443, protocol: "TCP", nodePort: 31443 }] } };
  assert.equal(tableRow("Service", lb, now).cells[3], "<pending>");

  const node = {
    metadata: { name: "node-1", creationTimestamp: ago(600), labels: { "node-role.kubernetes.io/control-plane": "" } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "node-1" }],
      nodeInfo: { kubeletVersion: "v1.32.0-raftplane", osImage: "Debian GNU/Linux 12 (bookworm)", kernelVersion: "6.1.0", containerRuntimeVersion: "process://0.1.0" },
    },
  };
  assert.deepEqual(tableRow("Node", node, now).cells, [
    "node-1", "Ready,SchedulingDisabled", "control-plane", "10m", "v1.32.0-raftplane", "192.168.1.10", "<none>",
    "Debian GNU/Linux 12 (bookworm)", "6.1.0", "process://0.1.0",
  ]);
  assert.equal(tableRow("Node", { metadata: { name: "n" }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } }, now).cells[1], "NotReady");

  assert.deepEqual(tableRow("Namespace", { metadata: { name: "tools", creationTimestamp: ago(30) }, status: { phase: "Active" } }, now).cells, ["tools", "Active", "30s"]);

  const event = {
    metadata: { name: "web-1.17c", namespace: "default" },
    involvedObject: { kind: "Pod", name: "web-1", namespace: "default", fieldPath: "spec.containers{b}" },
    reason: "BackOff", message: "Back-off restarting failed container b  ", type: "Warning",
    firstTimestamp: ago(600), lastTimestamp: ago(20), count: 12, source: { component: "kubelet", host: "node-1" },
  };
  assert.deepEqual(tableRow("Event", event, now).cells, [
    "20s", "Warning", "BackOff", "pod/web-1", "spec.containers{b}", "kubelet, node-1", "Back-off restarting failed container b", "10m", 12, "web-1.17c",
  ]);
  assert.deepEqual(tableRow("ConfigMap", loadManifest("configmap.yaml"), now).cells, ["web-config", 3, "<unknown>"]);
  assert.deepEqual(tableRow("Lease", { metadata: { name: "l", creationTimestamp: ago(5) }, spec: { holderIdentity: "r1" } }, now).cells, ["l", "r1", "5s"]);
  assert.deepEqual(tableRow("ClusterRole", { metadata: { name: "view", creationTimestamp: "2024-04-01T00:00:00Z" } }, now).cells, ["view", "2024-04-01T00:00:00Z"]);
});

test("buildTable wraps rows in a meta.k8s.io/v1 Table", () => {
  const table = buildTable("Namespace", [{ metadata: { name: "a" } }, { metadata: { name: "b" } }], now, "42");
  assert.equal(table.kind, "Table");
  assert.equal(table.apiVersion, "meta.k8s.io/v1");
  assert.deepEqual(table.metadata, { resourceVersion: "42" });
  assert.deepEqual(table.rows.map((r) => r.cells[0]), ["a", "b"]);
  assert.equal(table.columnDefinitions.length, 3);
});
