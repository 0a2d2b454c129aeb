import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDefaults, fieldErrorString, findUnknownFields, invalidStatus, validate } from "../../internal/api/index.js";
import type { FieldError } from "../../internal/api/index.js";
import { edited, loadManifest, loadManifests } from "./helpers.js";
import type { Manifest } from "./helpers.js";

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const deployment = applyDefaults("Deployment", loadManifest("deployment.yaml")) as J;
const service = applyDefaults("Service", loadManifest("service.yaml")) as J;

function errorsOf(kind: string, obj: unknown, old?: unknown): string[] {
  return validate(kind, obj, old === undefined ? {} : { old }).map(fieldErrorString);
}

function find(errors: FieldError[], field: string): FieldError {
  const e = errors.find((x) => x.field === field);
  assert.ok(e, `no error at ${field}; got ${errors.map(fieldErrorString).join(" | ")}`);
  return e;
}

function manifest(kind: string, name: string): Manifest {
  const m = loadManifests("misc.yaml").find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(m);
  return applyDefaults(kind, m);
}

test("object names: DNS-1123 subdomain for most kinds, with kube's message", () => {
  const bad = edited(deployment, (d) => (d.metadata.name = "Web_1"));
  assert.deepEqual(errorsOf("Deployment", bad), [
    "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
      "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  const long = edited(deployment, (d) => (d.metadata.name = "a".repeat(254)));
  assert.equal(find(validate("Deployment", long), "metadata.name").detail, "must be no more than 253 characters");
  const missing = edited(deployment, (d) => delete d.metadata.name);
  assert.deepEqual(errorsOf("Deployment", missing), ["metadata.name: Required value: name or generateName is required"]);
  const generated = edited(deployment, (d) => {
    delete d.metadata.name;
    d.metadata.generateName = "web-";
  });
  assert.deepEqual(errorsOf("Deployment", generated), ["metadata.name: Required value: name or generateName is required"]);
});

test("names of namespaces are DNS labels, of services DNS-1035 labels; namespaced kinds need a namespace", () => {
  const ns = manifest("Namespace", "tools");
  const dotted = edited(ns, (n: J) => (n.metadata.name = "a.b"));
  assert.deepEqual(errorsOf("Namespace", dotted), ["metadata.name: Invalid value: \"a.b\": must not contain dots"]);
  const numeric = edited(service, (s) => (s.metadata.name = "1web"));
  assert.match(find(validate("Service", numeric), "metadata.name").message, /^Invalid value: "1web": a DNS-1035 label must consist of/);
  const noNamespace = edited(deployment, (d) => delete d.metadata.namespace);
  assert.deepEqual(errorsOf("Deployment", noNamespace), ["metadata.namespace: Required value"]);
  const clusterScoped = edited(ns, (n: J) => (n.metadata.namespace = "default"));
  assert.deepEqual(errorsOf("Namespace", clusterScoped), ["metadata.namespace: Forbidden: not allowed on this type"]);
});

test("label keys and values, annotation keys and their total size", () => {
  const labels = edited(deployment, (d) => {
    d.metadata.labels = { "a/b/c": "x", "example.com/ok": "-bad-", ["k".repeat(64)]: "v" };
  });
  const errors = validate("Deployment", labels);
  assert.deepEqual(
    errors.map((e) => [e.type, e.field, e.badValue]),
    [
      ["FieldValueInvalid", "metadata.labels", "a/b/c"],
      ["FieldValueInvalid", "metadata.labels", "-bad-"],
      ["FieldValueInvalid", "metadata.labels", "k".repeat(64)],
    ],
  );
  assert.match(errors[0]?.detail ?? "", /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  assert.match(errors[1]?.detail ?? "", /^a valid label must be an empty string or consist of alphanumeric characters/);
  assert.equal(errors[2]?.detail, "name part must be no more than 63 characters");

  const big = edited(deployment, (d) => (d.metadata.annotations = { a: "x".repeat(200 * 1024), b: "y".repeat(60 * 1024) }));
  assert.deepEqual(errorsOf("Deployment", big), ["metadata.annotations: Too long: may not be more than 262144 bytes"]);
  const badKey = edited(deployment, (d) => (d.metadata.annotations = { "Example.COM/Key": "ok", "bad key": "x" }));
  assert.deepEqual(validate("Deployment", badKey).map((e) => [e.field, e.badValue]), [["metadata.annotations", "bad key"]]);
});

test("owner references and finalizers", () => {
  const owned = edited(deployment, (d) => {
    d.metadata.ownerReferences = [
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "", controller: true },
    ];
    d.metadata.finalizers = ["example.com/cleanup", "kubernetes", "custom"];
  });
  const errors = validate("Deployment", owned);
  assert.equal(find(errors, "metadata.ownerReferences.uid").detail, "uid must not be empty");
  assert.equal(
    find(errors, "metadata.ownerReferences").detail,
    "Only one reference can have Controller set to true. Found \"true\" in references for ReplicaSet/a and ReplicaSet/b",
  );
  assert.equal(find(errors, "metadata.finalizers[2]").detail, "name is neither a standard finalizer name nor is it fully qualified");
  assert.equal(errors.length, 3);
});

test("containers: names are unique DNS labels across init and app containers; image required", () => {
  const dup = edited(deployment, (d) => {
    const containers = d.spec.template.spec.containers;
    containers.push({ ...containers[0], ports: [] }, { ...containers[0], name: "Bad_Name", ports: [] }, { ...containers[0], name: "migrate", ports: [] });
    d.spec.template.spec.containers[0].image = "";
  });
  assert.deepEqual(errorsOf("Deployment", dup), [
    "spec.template.spec.containers[0].image: Required value",
    "spec.template.spec.containers[1].name: Duplicate value: \"web\"",
    "spec.template.spec.containers[2].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric " +
      "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation " +
      "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    "spec.template.spec.initContainers[0].name: Duplicate value: \"migrate\"",
  ]);
  const probedInit = edited(deployment, (d) => (d.spec.template.spec.initContainers[0].readinessProbe = { exec: { command: ["true"] } }));
  assert.deepEqual(errorsOf("Deployment", probedInit), [
    "spec.template.spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
  ]);
  const none = edited(deployment, (d) => (d.spec.template.spec.containers = []));
  assert.ok(errorsOf("Deployment", none).includes("spec.template.spec.containers: Required value"));
  const noName = edited(deployment, (d) => delete d.spec.template.spec.containers[0].name);
  assert.deepEqual(errorsOf("Deployment", noName), ["spec.template.spec.containers[0].name: Required value"]);
});

test("ports, env, mounts, resources and probes of a container", () => {
  const bad = edited(deployment, (d) => {
    const c = d.spec.template.spec.containers[0];
    c.ports = [
      { containerPort: 0, protocol: "TCP" },
      { containerPort: 70000, name: "http", protocol: "TCP" },
      { containerPort: 80, name: "http", protocol: "HTTP" },
    ];
    c.env.push({ name: "A=B" });
    c.volumeMounts.push({ name: "missing", mountPath: "/var/cache/nginx" });
    c.resources = { requests: { cpu: "2" }, limits: { cpu: "1", memory: "lots" } };
    c.livenessProbe = { periodSeconds: -1, successThreshold: 2, timeoutSeconds: 1, failureThreshold: 3 };
  });
  const p = "spec.template.spec.containers[0]";
  assert.deepEqual(errorsOf("Deployment", bad), [
    `${p}.ports[0].containerPort: Required value`,
    `${p}.ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
    `${p}.ports[2].name: Duplicate value: "http"`,
    `${p}.ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
    `${p}.env[3].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    `${p}.volumeMounts[2].name: Not found: "missing"`,
    `${p}.volumeMounts[2].mountPath: Invalid value: "/var/cache/nginx": must be unique`,
    `${p}.resources.limits[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    `${p}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`,
    `${p}.livenessProbe: Required value: must specify a handler type`,
    `${p}.livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0`,
    `${p}.livenessProbe.successThreshold: Invalid value: 2: must be 1`,
  ]);
});

test("pod spec fields: restart and DNS policies, tolerations, volumes", () => {
  const pod = applyDefaults("Pod", loadManifest("pod.yaml")) as J;
  const bad = edited(pod, (p) => {
    p.spec.restartPolicy = "Sometimes";
    p.spec.tolerations = [{ key: "a", operator: "Exists", value: "x" }, { operator: "Equal", value: "v" }, { key: "b", effect: "NoRun" }];
    p.spec.volumes.push({ name: "host-logs", emptyDir: {}, secret: { secretName: "s" } }, { name: "nothing" });
  });
  assert.deepEqual(errorsOf("Pod", bad), [
    "spec.volumes[2].secret: Forbidden: may not specify more than 1 volume type",
    "spec.volumes[2].name: Duplicate value: \"host-logs\"",
    "spec.volumes[3]: Required value: must specify a volume type",
    "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
    "spec.tolerations[0].operator: Invalid value: {\"key\":\"a\",\"operator\":\"Exists\",\"value\":\"x\"}: value must be empty when `operator` is 'Exists'",
    "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
    "spec.tolerations[2].effect: Unsupported value: \"NoRun\": supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\"",
  ]);
  const undefaulted = loadManifest("pod.yaml");
  assert.ok(errorsOf("Pod", undefaulted).includes("spec.dnsPolicy: Required value"), "validate runs after defaulting");
});

test("deployments: replicas, selector matching the template, restart policy, rollout bounds", () => {
  const bad = edited(deployment, (d) => {
    d.spec.replicas = -1;
    d.spec.selector = { matchLabels: { app: "other" } };
    d.spec.template.spec.restartPolicy = "OnFailure";
    d.spec.strategy.rollingUpdate = { maxSurge: 0, maxUnavailable: "0%" };
    d.spec.progressDeadlineSeconds = 0;
  });
  assert.deepEqual(errorsOf("Deployment", bad), [
    "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}: `selector` does not match template `labels`",
    "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
    "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0",
    "spec.progressDeadlineSeconds: Invalid value: 0: must be greater than minReadySeconds",
  ]);
  const empty = edited(deployment, (d) => (d.spec.selector = {}));
  assert.deepEqual(errorsOf("Deployment", empty), [
    "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
  ]);
  const noSelector = edited(deployment, (d) => delete d.spec.selector);
  assert.deepEqual(errorsOf("Deployment", noSelector), [
    "spec.selector: Required value",
    "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}: `selector` does not match template `labels`",
  ]);
  const badTemplateLabel = edited(deployment, (d) => (d.spec.template.metadata.labels["bad key"] = "x"));
  assert.equal(find(validate("Deployment", badTemplateLabel), "spec.template.labels").badValue, "bad key");
  const rs = manifest("ReplicaSet", "web-7d4b9c");
  const expressions = edited(rs, (r: J) => (r.spec.selector.matchExpressions[0].operator = "Near"));
  assert.ok(errorsOf("ReplicaSet", expressions).includes("spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator"));
});

test("updates: immutable selector, metadata and resourceVersion", () => {
  const stored = edited(deployment, (d) => {
    d.metadata.resourceVersion = "10";
    d.metadata.uid = "u-1";
  });
  assert.deepEqual(validate("Deployment", stored, { old: stored }), []);
  const changed = edited(stored, (d) => {
    d.spec.selector.matchLabels.tier = "frontend";
    d.metadata.uid = "u-2";
    d.metadata.name = "web2";
  });
  assert.deepEqual(errorsOf("Deployment", changed, stored), [
    "metadata.name: Invalid value: \"web2\": field is immutable",
    "metadata.uid: Invalid value: \"u-2\": field is immutable",
    "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"frontend\"}, " +
      "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
  ]);
  const noVersion = edited(stored, (d) => delete d.metadata.resourceVersion);
  assert.deepEqual(errorsOf("Deployment", noVersion, stored), ["metadata.resourceVersion: Invalid value: \"\": must be specified for an update"]);
});

test("pod updates may change images but not the rest of the spec", () => {
  const pod = edited(applyDefaults("Pod", loadManifest("pod.yaml")) as J, (p) => (p.metadata.resourceVersion = "3"));
  const image = edited(pod, (p) => (p.spec.containers[0].image = "busybox:1.37"));
  assert.deepEqual(validate("Pod", image, { old: pod }), []);
  const tolerate = edited(pod, (p) => p.spec.tolerations.push({ key: "x", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }));
  assert.deepEqual(validate("Pod", tolerate, { old: pod }), []);
  const command = edited(pod, (p) => (p.spec.containers[0].command = ["bash"]));
  const errors = validate("Pod", command, { old: pod });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.field, "spec");
  assert.match(errors[0]?.message ?? "", /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,/);
});

test("services: ports, names, types, session affinity, immutable cluster IP", () => {
  const bad = edited(service, (s) => {
    s.spec.type = "ClusterIP";
    s.spec.ports.push({ name: "http", port: 80, protocol: "TCP", targetPort: 0 }, { port: 70000, protocol: "TCP", targetPort: "Not_A_Name" });
    s.spec.sessionAffinity = "Sticky";
  });
  assert.deepEqual(errorsOf("Service", bad), [
    "spec.ports[2].name: Duplicate value: \"http\"",
    "spec.ports[2].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
    "spec.ports[3].name: Required value",
    "spec.ports[3].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
    "spec.ports[3].targetPort: Invalid value: \"Not_A_Name\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    "spec.ports[2]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, " +
      "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
  ]);
  const noPorts = edited(service, (s) => delete s.spec.ports);
  assert.deepEqual(errorsOf("Service", noPorts), ["spec.ports: Required value"]);
  const allocated = edited(service, (s) => {
    s.metadata.resourceVersion = "7";
    s.spec.clusterIP = "10.96.0.12";
    s.spec.clusterIPs = ["10.96.0.12"];
  });
  const moved = edited(allocated, (s) => {
    s.spec.clusterIP = "10.96.0.13";
    s.spec.clusterIPs = ["10.96.0.13"];
  });
  assert.deepEqual(errorsOf("Service", moved, allocated), ["spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.13\"}: may not change once set"]);
  assert.deepEqual(errorsOf("Service", allocated, allocated), []);
});

test("config maps, secrets, RBAC, leases and bindings", () => {
  const cm = applyDefaults("ConfigMap", loadManifest("configmap.yaml")) as J;
  const badKey = edited(cm, (c) => (c.data["bad key"] = "x"));
  assert.deepEqual(validate("ConfigMap", badKey).map((e) => [e.field, e.badValue]), [["data[bad key]", "bad key"]]);
  const frozen = edited(cm, (c) => {
    c.immutable = true;
    c.metadata.resourceVersion = "1";
  });
  const thawed = edited(frozen, (c) => (c.data.LOG_LEVEL = "debug"));
  assert.deepEqual(errorsOf("ConfigMap", thawed, frozen), ["data: Forbidden: field is immutable when `immutable` is set"]);

  const tls = edited(manifest("Secret", "db"), (s: J) => (s.type = "kubernetes.io/tls"));
  assert.deepEqual(errorsOf("Secret", tls), ["data[tls.crt]: Required value", "data[tls.key]: Required value"]);

  const role = edited(manifest("Role", "pod-reader"), (r: J) => r.rules.push({ nonResourceURLs: ["/healthz"], verbs: [] }, { verbs: ["get"] }));
  assert.deepEqual(errorsOf("Role", role), [
    "rules[1].verbs: Required value: verbs must contain at least one value",
    "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
    "rules[2].apiGroups: Required value: resource rules must supply at least one api group",
    "rules[2].resources: Required value: resource rules must supply at least one resource",
  ]);
  const binding = edited(manifest("RoleBinding", "read-pods"), (b: J) => (b.metadata.resourceVersion = "4"));
  const rebound = edited(binding, (b: J) => {
    b.roleRef.name = "pod-writer";
    b.subjects.push({ kind: "Robot", name: "r2" });
  });
  assert.deepEqual(errorsOf("RoleBinding", rebound, binding), [
    "subjects[2].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
    "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"pod-writer\"}: cannot change roleRef",
  ]);
  const lease = edited(manifest("Lease", "kube-scheduler"), (l: J) => (l.spec.leaseDurationSeconds = 0));
  assert.deepEqual(errorsOf("Lease", lease), ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]);
  assert.deepEqual(errorsOf("Binding", { metadata: { name: "p", namespace: "d" }, target: { kind: "Pod" } }), [
    "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
    "target.name: Required value",
  ]);
  assert.deepEqual(errorsOf("Scale", { metadata: { name: "web", namespace: "default" }, spec: { replicas: -2 } }), [
    "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
  ]);
});

test("type mismatches become FieldValueTypeInvalid errors at the field's path, before other rules", () => {
  const bad = edited(deployment, (d) => {
    d.spec.replicas = "three";
    d.spec.template.spec.containers[0].ports[0].containerPort = "80";
    d.spec.template.spec.volumes = { name: "x" };
    d.metadata.labels = { ok: 1 };
    d.metadata.name = "Not_Checked";
  });
  const errors = validate("Deployment", bad);
  assert.deepEqual(
    errors.map((e) => [e.type, e.field]),
    [
      ["FieldValueTypeInvalid", "metadata.labels[ok]"],
      ["FieldValueTypeInvalid", "spec.replicas"],
      ["FieldValueTypeInvalid", "spec.template.spec.containers[0].ports[0].containerPort"],
      ["FieldValueTypeInvalid", "spec.template.spec.volumes"],
    ],
  );
  assert.equal(errors[1]?.message, "Invalid value: \"three\": spec.replicas in body must be of type integer: \"string\"");
  assert.equal(errors[3]?.detail, "spec.template.spec.volumes in body must be of type array: \"object\"");
  const intOrString = edited(deployment, (d) => (d.spec.strategy.rollingUpdate.maxSurge = true));
  assert.equal(validate("Deployment", intOrString)[0]?.detail, "spec.strategy.rollingUpdate.maxSurge in body must be of type integer or string: \"boolean\"");
});

test("unknown fields are found with kube's paths, in document order; free-form content is not checked", () => {
  const obj = edited(loadManifest("deployment.yaml") as J, (d) => {
    d.spec.replicaz = 3;
    d.metadata.labelz = {};
    d.spec.template.spec.containers[0].imagePullPolcy = "Always";
    d.spec.template.spec.containers[0].ports[1].hostPorts = [1];
    d.spec.template.spec.volumes[1].emptyDir.medium2 = "Memory";
    d.spec.template.spec.affinity.podAntiAffinity.extra = true;
    d.status = { readyReplicas: 1, ready: 1 };
    d.metadata.managedFields = [{ manager: "kubectl", fieldsV1: { "f:spec": { "f:anything": {} } } }];
  });
  assert.deepEqual(findUnknownFields("Deployment", obj), [
    "metadata.labelz",
    "spec.replicaz",
    "spec.template.spec.affinity.podAntiAffinity.extra",
    "spec.template.spec.containers[0].ports[1].hostPorts",
    "spec.template.spec.containers[0].imagePullPolcy",
    "spec.template.spec.volumes[1].emptyDir.medium2",
    "status.ready",
  ].sort((a, b) => order(obj, a) - order(obj, b)));
  assert.deepEqual(findUnknownFields("ConfigMap", { data: { any: "key" }, spec: {} }), ["spec"]);
});

/** Position of an unknown field in a depth-first walk of the object (document order). */
function order(obj: unknown, path: string): number {
  const paths: string[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${prefix}[${i}]`));
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        const p = prefix === "" ? k : `${prefix}.${k}`;
        paths.push(p);
        walk(v, p);
      }
    }
  };
  walk(obj, "");
  return paths.indexOf(path);
}

test("invalidStatus is the 422 kube-apiserver answers with", () => {
  const errors = validate("Deployment", edited(deployment, (d) => (d.spec.replicas = -1)));
  assert.deepEqual(invalidStatus("apps", "Deployment", "web", errors), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    reason: "Invalid",
    details: {
      name: "web",
      group: "apps",
      kind: "Deployment",
      causes: [{ reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas" }],
    },
    code: 422,
  });
  const two = [...errors, ...errors.map((e) => ({ ...e, field: "spec.minReadySeconds" }))];
  assert.match(invalidStatus("", "Pod", "p", two).message ?? "", /^Pod "p" is invalid: \[spec\.replicas: .*, spec\.minReadySeconds: .*\]$/);
});
