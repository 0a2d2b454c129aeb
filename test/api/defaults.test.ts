import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyDefaults,
  applyPodAdmissionDefaults,
  podQOSClass,
  prepareForCreate,
  prepareForUpdate,
  validate,
} from "../../internal/api/index.js";
import type { Pod } from "../../internal/api/index.js";
import { edited, loadManifest } from "./helpers.js";

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const defaultedContainer = {
  name: "nginx",
  image: "nginx",
  imagePullPolicy: "Always",
  resources: {},
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
};

const defaultedPodSpec = {
  dnsPolicy: "ClusterFirst",
  restartPolicy: "Always",
  schedulerName: "default-scheduler",
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

test("a minimal pod gets what kube-apiserver adds (kubectl run nginx --image=nginx)", () => {
  const minimal = { apiVersion: "v1", kind: "Pod", metadata: { name: "nginx", namespace: "default", labels: { run: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } };
  const defaulted = applyDefaults("Pod", minimal);
  assert.deepEqual(defaulted, {
    ...minimal,
    spec: { containers: [defaultedContainer], ...defaultedPodSpec, enableServiceLinks: true },
  });
  assert.deepEqual(minimal.spec.containers[0], { name: "nginx", image: "nginx" }, "the input is not changed");

  const created = prepareForCreate("Pod", applyPodAdmissionDefaults(defaulted));
  assert.deepEqual(created, {
    ...minimal,
    spec: {
      containers: [defaultedContainer],
      ...defaultedPodSpec,
      enableServiceLinks: true,
      serviceAccountName: "default",
      serviceAccount: "default",
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
    },
    status: { phase: "Pending", qosClass: "BestEffort" },
  });
  assert.deepEqual(validate("Pod", created), []);
});

test("a minimal deployment gets what kube-apiserver adds (kubectl create deployment web --image=nginx)", () => {
  const minimal = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } },
    },
  };
  const created = prepareForCreate("Deployment", applyDefaults("Deployment", minimal));
  assert.deepEqual(created, {
    ...minimal,
    metadata: { ...minimal.metadata, generation: 1 },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [defaultedContainer], ...defaultedPodSpec } },
    },
    status: {},
  });
  assert.deepEqual(validate("Deployment", created), []);
  const recreate = applyDefaults("Deployment", edited(minimal, (d: J) => (d.spec.strategy = { type: "Recreate" }))) as J;
  assert.deepEqual(recreate.spec.strategy, { type: "Recreate" });
  assert.equal((applyDefaults("ReplicaSet", { spec: {} }) as J).spec.replicas, 1);
});

test("imagePullPolicy follows the tag: Always for latest or none, IfNotPresent otherwise", () => {
  const policy = (image: string): string => (applyDefaults("Pod", { spec: { containers: [{ name: "c", image }] } }) as J).spec.containers[0].imagePullPolicy;
  assert.equal(policy("nginx"), "Always");
  assert.equal(policy("nginx:latest"), "Always");
  assert.equal(policy("nginx:1.27"), "IfNotPresent");
  assert.equal(policy("registry.local:5000/team/app"), "Always");
  assert.equal(policy("registry.local:5000/team/app:v2"), "IfNotPresent");
  assert.equal(policy("app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "IfNotPresent");
  assert.equal(policy("app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "Always");
  const explicit = applyDefaults("Pod", { spec: { containers: [{ name: "c", image: "x", imagePullPolicy: "Never" }] } }) as J;
  assert.equal(explicit.spec.containers[0].imagePullPolicy, "Never");
});

test("container details: ports, probes, env field refs, volumes, requests from limits", () => {
  const pod = applyDefaults("Pod", {
    spec: {
      containers: [
        {
          name: "c",
          image: "x:1",
          ports: [{ containerPort: 80 }],
          env: [{ name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
          readinessProbe: { httpGet: { port: 80 } },
          resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } },
        },
      ],
      volumes: [
        { name: "a" },
        { name: "b", secret: { secretName: "s" } },
        { name: "c", hostPath: { path: "/tmp" } },
        { name: "d", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } },
      ],
    },
  }) as J;
  const c = pod.spec.containers[0];
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: "TCP" }]);
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, "v1");
  assert.deepEqual(c.resources.requests, { cpu: "500m", memory: "1Gi" });
  assert.deepEqual(pod.spec.volumes, [
    { name: "a", emptyDir: {} },
    { name: "b", secret: { secretName: "s", defaultMode: 420 } },
    { name: "c", hostPath: { path: "/tmp", type: "" } },
    { name: "d", projected: { sources: [{ serviceAccountToken: { path: "t", expirationSeconds: 3600 } }], defaultMode: 420 } },
  ]);
  assert.equal(podQOSClass(pod as Pod), "Burstable");
  const template = (applyDefaults("Deployment", { spec: { template: { spec: { containers: [{ name: "c", image: "x", resources: { limits: { cpu: "1" } } }] } } } }) as J).spec.template.spec;
  assert.equal(template.enableServiceLinks, undefined, "templates do not get pod-only defaults");
  assert.equal(template.containers[0].resources.requests, undefined);
});

test("services: type, affinity, protocols, target ports, traffic policies, IP families", () => {
  const svc = applyDefaults("Service", loadManifest("service.yaml")) as J;
  assert.deepEqual(svc.spec, {
    type: "NodePort",
    selector: { app: "web" },
    ports: [
      { name: "http", port: 80, targetPort: "http", nodePort: 30080, protocol: "TCP" },
      { name: "metrics", port: 9090, protocol: "TCP", targetPort: 9090 },
    ],
    sessionAffinity: "None",
    externalTrafficPolicy: "Cluster",
    internalTrafficPolicy: "Cluster",
    ipFamilyPolicy: "SingleStack",
    ipFamilies: ["IPv4"],
  });
  const clientIP = applyDefaults("Service", { spec: { sessionAffinity: "ClientIP", clusterIP: "fd00::10", ports: [{ port: 53, protocol: "UDP" }] } }) as J;
  assert.deepEqual(clientIP.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.deepEqual(clientIP.spec.ipFamilies, ["IPv6"]);
  assert.deepEqual(clientIP.spec.ports, [{ port: 53, protocol: "UDP", targetPort: 53 }]);
  const external = applyDefaults("Service", { spec: { type: "ExternalName", externalName: "db.example.com" } }) as J;
  assert.deepEqual(external.spec, { type: "ExternalName", externalName: "db.example.com", sessionAffinity: "None" });
  const lb = applyDefaults("Service", { spec: { type: "LoadBalancer", ports: [{ port: 443 }] } }) as J;
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(prepareForCreate("Service", lb).status, { loadBalancer: {} });
});

test("namespaces, secrets, nodes, RBAC bindings", () => {
  const ns = prepareForCreate("Namespace", applyDefaults("Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "tools" } }));
  assert.deepEqual(ns, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "tools", labels: { "kubernetes.io/metadata.name": "tools" } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  });
  assert.equal((applyDefaults("Secret", { data: {} }) as J).type, "Opaque");
  assert.equal((applyDefaults("Secret", { type: "kubernetes.io/tls" }) as J).type, "kubernetes.io/tls");
  assert.deepEqual((applyDefaults("Node", { status: { capacity: { cpu: "4", pods: "110" } } }) as J).status.allocatable, { cpu: "4", pods: "110" });
  const binding = applyDefaults("RoleBinding", {
    roleRef: { kind: "Role", name: "r" },
    subjects: [{ kind: "User", name: "jane" }, { kind: "ServiceAccount", name: "sa", namespace: "d" }],
  }) as J;
  assert.equal(binding.roleRef.apiGroup, "rbac.authorization.k8s.io");
  assert.deepEqual(binding.subjects, [{ kind: "User", name: "jane", apiGroup: "rbac.authorization.k8s.io" }, { kind: "ServiceAccount", name: "sa", namespace: "d" }]);
  assert.equal(applyDefaults("ConfigMap", "not an object"), "not an object");
});

test("QoS classes: Guaranteed, Burstable, BestEffort", () => {
  const pod = (resources: J): Pod => applyDefaults("Pod", { spec: { containers: [{ name: "c", image: "x", resources }] } });
  assert.equal(podQOSClass(pod({})), "BestEffort");
  assert.equal(podQOSClass(pod({ limits: { cpu: "1", memory: "1Gi" } })), "Guaranteed");
  assert.equal(podQOSClass(pod({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1000m" } })), "Guaranteed");
  assert.equal(podQOSClass(pod({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } })), "Burstable");
  assert.equal(podQOSClass(pod({ requests: { memory: "64Mi" } })), "Burstable");
});

test("updates keep the status of status-subresource kinds; status writes keep everything else; generation moves with the spec", () => {
  const stored = { metadata: { name: "web", resourceVersion: "5", generation: 3 }, spec: { replicas: 2 }, status: { replicas: 2 } };
  const scaled = prepareForUpdate("Deployment", { metadata: { name: "web", resourceVersion: "5" }, spec: { replicas: 4 }, status: { replicas: 9 } }, stored) as J;
  assert.deepEqual(scaled, { metadata: { name: "web", resourceVersion: "5", generation: 4 }, spec: { replicas: 4 }, status: { replicas: 2 } });
  const relabelled = prepareForUpdate("Deployment", edited(stored, (d: J) => (d.metadata.labels = { a: "b" })), stored) as J;
  assert.equal(relabelled.metadata.generation, 3);
  const status = prepareForUpdate("Deployment", { metadata: { name: "web", resourceVersion: "5", labels: { x: "y" } }, spec: { replicas: 7 }, status: { replicas: 4 } }, stored, "status");
  assert.deepEqual(status, { metadata: { name: "web", resourceVersion: "5", generation: 3 }, spec: { replicas: 2 }, status: { replicas: 4 } });
  const cm = prepareForUpdate("ConfigMap", { data: { a: "1" }, status: "kept" }, { data: {} }) as J;
  assert.equal(cm.status, "kept", "kinds without a status subresource keep what they are sent");
});
