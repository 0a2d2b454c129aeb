/**
 * Defaults as kube-apiserver applies them when it decodes a request (the SetDefaults_* functions
 * of the v1 API groups): `applyDefaults(kind, obj)` returns a defaulted copy, null fields
 * dropped as kube's decoder drops them. Ill-typed parts are left alone for validation to report.
 *
 * Create-time and update-time rules of kube's registry strategies (status reset, generation,
 * the namespace finalizer) are in strategy.ts; the pod fields set by admission plugins
 * (service account, priority, default tolerations) in `applyPodAdmissionDefaults`.
 */
import { stripNulls } from "./schema-check.js";

type J = Record<string, unknown>;

function isObject(value: unknown): value is J {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object at `obj[key]`, created when absent; undefined if something else is there. */
function child(obj: J, key: string): J | undefined {
  if (obj[key] === undefined) obj[key] = {};
  const value = obj[key];
  return isObject(value) ? value : undefined;
}

function existing(obj: J, key: string): J | undefined {
  const value = obj[key];
  return isObject(value) ? value : undefined;
}

function items(obj: J | undefined, key: string): J[] {
  const value = obj?.[key];
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function setDefault(obj: J, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === "") obj[key] = value;
}

/** The tag of an image reference: "" when it has a digest but no tag, "latest" when neither. */
function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at < 0 ? image : image.slice(0, at);
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  if (colon >= 0) return name.slice(colon + 1);
  return at >= 0 ? "" : "latest";
}

function defaultHttpGet(action: J | undefined): void {
  if (action === undefined) return;
  setDefault(action, "path", "/");
  setDefault(action, "scheme", "HTTP");
}

function defaultProbe(probe: J | undefined): void {
  if (probe === undefined) return;
  setDefault(probe, "timeoutSeconds", 1);
  setDefault(probe, "periodSeconds", 10);
  setDefault(probe, "successThreshold", 1);
  setDefault(probe, "failureThreshold", 3);
  defaultHttpGet(existing(probe, "httpGet"));
}

function defaultFieldRef(holder: J | undefined): void {
  const ref = holder === undefined ? undefined : existing(holder, "fieldRef");
  if (ref !== undefined) setDefault(ref, "apiVersion", "v1");
}

function defaultContainer(container: J, hostNetwork: boolean): void {
  if (container["imagePullPolicy"] === undefined || container["imagePullPolicy"] === "") {
    const image = typeof container["image"] === "string" ? container["image"] : "";
    container["imagePullPolicy"] = imageTag(image) === "latest" ? "Always" : "IfNotPresent";
  }
  setDefault(container, "terminationMessagePath", "/dev/termination-log");
  setDefault(container, "terminationMessagePolicy", "File");
  child(container, "resources");
  for (const port of items(container, "ports")) {
    setDefault(port, "protocol", "TCP");
    if (hostNetwork && port["hostPort"] === undefined) port["hostPort"] = port["containerPort"];
  }
  for (const env of items(container, "env")) defaultFieldRef(existing(env, "valueFrom"));
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) defaultProbe(existing(container, probe));
  const lifecycle = existing(container, "lifecycle");
  if (lifecycle !== undefined) {
    for (const hook of ["postStart", "preStop"]) {
      const handler = existing(lifecycle, hook);
      if (handler !== undefined) defaultHttpGet(existing(handler, "httpGet"));
    }
  }
}

const volumeSources = ["configMap", "secret", "emptyDir", "hostPath", "persistentVolumeClaim", "projected", "downwardAPI"];

function defaultVolume(volume: J): void {
  if (!volumeSources.some((k) => volume[k] !== undefined) && !Object.keys(volume).some((k) => k !== "name")) {
    volume["emptyDir"] = {};
  }
  for (const source of ["secret", "configMap", "downwardAPI", "projected"]) {
    const s = existing(volume, source);
    if (s !== undefined) setDefault(s, "defaultMode", 420);
  }
  const hostPath = existing(volume, "hostPath");
  if (hostPath !== undefined && hostPath["type"] === undefined) hostPath["type"] = "";
  for (const item of items(existing(volume, "downwardAPI"), "items")) defaultFieldRef(item);
  for (const source of items(existing(volume, "projected"), "sources")) {
    const token = existing(source, "serviceAccountToken");
    if (token !== undefined) setDefault(token, "expirationSeconds", 3600);
    for (const item of items(existing(source, "downwardAPI"), "items")) defaultFieldRef(item);
  }
}

/** SetDefaults_PodSpec and what it reaches: for pods and pod templates alike. */
function defaultPodSpec(spec: J): void {
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "restartPolicy", "Always");
  if (spec["terminationGracePeriodSeconds"] === undefined) spec["terminationGracePeriodSeconds"] = 30;
  child(spec, "securityContext");
  setDefault(spec, "schedulerName", "default-scheduler");
  const hostNetwork = spec["hostNetwork"] === true;
  for (const c of [...items(spec, "initContainers"), ...items(spec, "containers")]) defaultContainer(c, hostNetwork);
  for (const v of items(spec, "volumes")) defaultVolume(v);
}

/** SetDefaults_Pod: pod-only defaults on top of the spec's. */
function defaultPod(pod: J): void {
  const spec = child(pod, "spec");
  if (spec === undefined) return;
  defaultPodSpec(spec);
  if (spec["enableServiceLinks"] === undefined) spec["enableServiceLinks"] = true;
  for (const c of [...items(spec, "initContainers"), ...items(spec, "containers")]) {
    const resources = existing(c, "resources");
    const limits = resources === undefined ? undefined : existing(resources, "limits");
    if (resources === undefined || limits === undefined) continue;
    const requests = child(resources, "requests");
    if (requests === undefined) continue;
    for (const [name, quantity] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = quantity;
  }
}

function defaultTemplate(spec: J): void {
  const template = existing(spec, "template");
  const podSpec = template === undefined ? undefined : existing(template, "spec");
  if (podSpec !== undefined) defaultPodSpec(podSpec);
}

function defaultDeployment(deployment: J): void {
  const spec = child(deployment, "spec");
  if (spec === undefined) return;
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
  const strategy = child(spec, "strategy");
  if (strategy !== undefined) {
    setDefault(strategy, "type", "RollingUpdate");
    if (strategy["type"] === "RollingUpdate") {
      const rollingUpdate = child(strategy, "rollingUpdate");
      if (rollingUpdate !== undefined) {
        if (rollingUpdate["maxUnavailable"] === undefined) rollingUpdate["maxUnavailable"] = "25%";
        if (rollingUpdate["maxSurge"] === undefined) rollingUpdate["maxSurge"] = "25%";
      }
    }
  }
  if (spec["revisionHistoryLimit"] === undefined) spec["revisionHistoryLimit"] = 10;
  if (spec["progressDeadlineSeconds"] === undefined) spec["progressDeadlineSeconds"] = 600;
  defaultTemplate(spec);
}

function defaultReplicaSet(replicaSet: J): void {
  const spec = child(replicaSet, "spec");
  if (spec === undefined) return;
  if (spec["replicas"] === undefined) spec["replicas"] = 1;
  defaultTemplate(spec);
}

function defaultService(service: J): void {
  const spec = child(service, "spec");
  if (spec === undefined) return;
  setDefault(spec, "sessionAffinity", "None");
  setDefault(spec, "type", "ClusterIP");
  const type = spec["type"];
  for (const port of items(spec, "ports")) {
    setDefault(port, "protocol", "TCP");
    if (port["targetPort"] === undefined || port["targetPort"] === 0 || port["targetPort"] === "") port["targetPort"] = port["port"];
  }
  if (type === "NodePort" || type === "LoadBalancer") setDefault(spec, "externalTrafficPolicy", "Cluster");
  if (type === "ClusterIP" || type === "NodePort" || type === "LoadBalancer") setDefault(spec, "internalTrafficPolicy", "Cluster");
  if (type === "LoadBalancer" && spec["allocateLoadBalancerNodePorts"] === undefined) spec["allocateLoadBalancerNodePorts"] = true;
  if (spec["sessionAffinity"] === "ClientIP") {
    const config = child(spec, "sessionAffinityConfig");
    const clientIP = config === undefined ? undefined : child(config, "clientIP");
    if (clientIP !== undefined) setDefault(clientIP, "timeoutSeconds", 10800);
  }
  if (type !== "ExternalName") {
    setDefault(spec, "ipFamilyPolicy", "SingleStack");
    if (spec["ipFamilies"] === undefined) {
      const ip = typeof spec["clusterIP"] === "string" ? spec["clusterIP"] : "";
      spec["ipFamilies"] = [ip.includes(":") ? "IPv6" : "IPv4"];
    }
  }
}

function defaultNamespace(namespace: J): void {
  const metadata = child(namespace, "metadata");
  if (metadata !== undefined && typeof metadata["name"] === "string" && metadata["name"] !== "") {
    const labels = child(metadata, "labels");
    if (labels !== undefined) labels["kubernetes.io/metadata.name"] = metadata["name"];
  }
  const status = child(namespace, "status");
  if (status !== undefined) setDefault(status, "phase", "Active");
}

function defaultNode(node: J): void {
  const status = existing(node, "status");
  if (status !== undefined && isObject(status["capacity"]) && status["allocatable"] === undefined) {
    status["allocatable"] = { ...status["capacity"] };
  }
}

function defaultEndpoints(endpoints: J): void {
  for (const subset of items(endpoints, "subsets")) for (const port of items(subset, "ports")) setDefault(port, "protocol", "TCP");
}

function defaultBinding(binding: J): void {
  const roleRef = existing(binding, "roleRef");
  if (roleRef !== undefined) setDefault(roleRef, "apiGroup", "rbac.authorization.k8s.io");
  for (const subject of items(binding, "subjects")) {
    if ((subject["kind"] === "User" || subject["kind"] === "Group") && (subject["apiGroup"] === undefined || subject["apiGroup"] === "")) {
      subject["apiGroup"] = "rbac.authorization.k8s.io";
    }
  }
}

const defaulters: Readonly<Record<string, (obj: J) => void>> = {
  Pod: defaultPod,
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  Service: defaultService,
  Namespace: defaultNamespace,
  Node: defaultNode,
  Endpoints: defaultEndpoints,
  Secret: (secret) => setDefault(secret, "type", "Opaque"),
  RoleBinding: defaultBinding,
  ClusterRoleBinding: defaultBinding,
};

/**
 * A copy of `obj` with kube-apiserver's defaults for `kind` applied. Kinds without defaults
 * (ConfigMap, Event, Lease, roles...) come back copied and unchanged. Non-objects come back as
 * they are.
 */
export function applyDefaults<T>(kind: string, obj: T): T {
  if (!isObject(obj)) return obj;
  const copy = structuredClone(stripNulls(obj)) as J;
  defaulters[kind]?.(copy);
  return copy as T;
}

/**
 * What kube's admission plugins add to a new pod, for a server that runs none of them: the
 * default service account (ServiceAccount), priority 0 and its preemption policy (Priority),
 * and five-minute tolerations of not-ready and unreachable nodes (DefaultTolerationSeconds).
 * The service account token volume is not added. Returns a copy.
 */
export function applyPodAdmissionDefaults<T>(pod: T): T {
  if (!isObject(pod)) return pod;
  const copy = structuredClone(pod) as J;
  const spec = child(copy, "spec");
  if (spec === undefined) return copy as T;
  setDefault(spec, "serviceAccountName", "default");
  setDefault(spec, "serviceAccount", spec["serviceAccountName"]);
  if (spec["priority"] === undefined) spec["priority"] = 0;
  setDefault(spec, "preemptionPolicy", "PreemptLowerPriority");
  const tolerations = Array.isArray(spec["tolerations"]) ? (spec["tolerations"] as unknown[]) : [];
  for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
    const tolerated = tolerations.some(
      (t) => isObject(t) && (t["key"] === key || (t["key"] === undefined && t["operator"] === "Exists")) && (t["effect"] === undefined || t["effect"] === "" || t["effect"] === "NoExecute"),
    );
    if (!tolerated) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
  }
  spec["tolerations"] = tolerations;
  return copy as T;
}
