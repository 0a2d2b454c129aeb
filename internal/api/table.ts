/**
 * Server-side printing: the columns and rows kube-apiserver answers with for
 * `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` (what `kubectl get` shows). Every cell
 * of every column is produced, wide ones included; kubectl hides columns of priority > 0 unless
 * asked for `-o wide`. Ages are computed against the `now` given, in kube's short form (5m, 3h12m).
 */
import type { Deployment, ReplicaSet } from "./apps.js";
import type { ContainerStatus, Pod, PodTemplateSpec } from "./core-pod.js";
import type { ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount } from "./core.js";
import type { Lease } from "./coordination.js";
import type { ClusterRoleBinding, RoleBinding } from "./rbac.js";
import type { ObjectMeta, PartialObjectMetadata, Table, TableColumnDefinition, TableRow } from "./meta.js";
import { formatLabelSelector, formatLabels } from "./labels.js";

type Column = TableColumnDefinition;

function column(name: string, type: string, description: string, priority = 0, format = ""): Column {
  return { name, type, format, description, priority };
}

const nameColumn = column("Name", "string", "Name of the object, unique within its namespace.", 0, "name");
const ageColumn = column("Age", "string", "Time since the object was created.");

/**
 * kube's HumanDuration: "<invalid>" for clearly negative, seconds up to two minutes, then
 * minutes (and seconds below ten minutes), hours (and minutes below eight hours), days, years.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age of a timestamp at `now`, or "<unknown>" when there is none. */
function since(timestamp: string | undefined, now: Date): string {
  if (timestamp === undefined || timestamp === "") return "<unknown>";
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return "<unknown>";
  return humanDuration(now.getTime() - t);
}

function orNone(value: string | undefined): string {
  return value === undefined || value === "" ? "<none>" : value;
}

// ---- pods

interface PodCells {
  ready: string;
  status: string;
  restarts: string;
}

/** kube's printPod: the Status column's reason, readiness and restarts. */
function podCells(pod: Pod, now: Date): PodCells {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const containers = spec?.containers ?? [];
  let restarts = 0;
  let lastRestart: number | undefined;
  let ready = 0;
  let reason = status.reason !== undefined && status.reason !== "" ? status.reason : (status.phase ?? "");
  const noteRestart = (cs: ContainerStatus): void => {
    restarts += cs.restartCount;
    const finished = cs.lastState?.terminated?.finishedAt;
    if (finished !== undefined) {
      const t = Date.parse(finished);
      if (!Number.isNaN(t) && (lastRestart === undefined || t > lastRestart)) lastRestart = t;
    }
  };

  const initStatuses = status.initContainerStatuses ?? [];
  const sidecars = new Set((spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name));
  const regularInits = (spec?.initContainers ?? []).filter((c) => c.restartPolicy !== "Always").length;
  let initializing = false;
  initStatuses.forEach((cs, i) => {
    noteRestart(cs);
    if (sidecars.has(cs.name) && cs.started === true) return;
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated !== undefined && terminated.exitCode === 0) return;
    if (terminated !== undefined) {
      if ((terminated.reason ?? "") === "") {
        reason = terminated.signal !== undefined && terminated.signal !== 0 ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason ?? ""}`;
      }
      initializing = true;
    } else if (waiting !== undefined && (waiting.reason ?? "") !== "" && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason ?? ""}`;
      initializing = true;
    } else if (!initializing) {
      reason = `Init:${i}/${regularInits || (spec?.initContainers ?? []).length}`;
      initializing = true;
    }
  });

  if (!initializing) {
    restarts = 0;
    lastRestart = undefined;
    for (const cs of initStatuses) if (sidecars.has(cs.name)) noteRestart(cs);
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      if (cs === undefined) continue;
      noteRestart(cs);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting !== undefined && (waiting.reason ?? "") !== "") reason = waiting.reason ?? reason;
      else if (terminated !== undefined && (terminated.reason ?? "") !== "") reason = terminated.reason ?? reason;
      else if (terminated !== undefined) {
        reason = terminated.signal !== undefined && terminated.signal !== 0 ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      } else if (cs.ready && cs.state?.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }
  for (const cs of initStatuses) if (sidecars.has(cs.name) && cs.ready && cs.state?.running !== undefined) ready++;

  if (pod.metadata?.deletionTimestamp !== undefined) reason = status.reason === "NodeLost" ? "Unknown" : "Terminating";
  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) restartsText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  return { ready: `${ready}/${containers.length + sidecars.size}`, status: reason, restarts: restartsText };
}

function podRow(pod: Pod, now: Date): unknown[] {
  const cells = podCells(pod, now);
  const gates = pod.spec?.readinessGates ?? [];
  let gatesText = "<none>";
  if (gates.length > 0) {
    const trueConditions = new Set((pod.status?.conditions ?? []).filter((c) => c.status === "True").map((c) => c.type));
    gatesText = `${gates.filter((g) => trueConditions.has(g.conditionType)).length}/${gates.length}`;
  }
  return [
    pod.metadata?.name ?? "",
    cells.ready,
    cells.status,
    cells.restarts,
    since(pod.metadata?.creationTimestamp, now),
    orNone(pod.status?.podIP),
    orNone(pod.spec?.nodeName),
    orNone(pod.status?.nominatedNodeName),
    gatesText,
  ];
}

// ---- other kinds

function nodeRow(node: Node, now: Date): unknown[] {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
  const status: string[] = [];
  if (ready !== undefined) status.push(ready.status === "True" ? "Ready" : "NotReady");
  if (status.length === 0) status.push("Unknown");
  if (node.spec?.unschedulable === true) status.push("SchedulingDisabled");
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) roles.add(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role" && v !== "") roles.add(v);
  }
  const address = (type: string): string => orNone(node.status?.addresses?.find((a) => a.type === type)?.address);
  const info = node.status?.nodeInfo;
  const unknown = (v: string | undefined): string => (v === undefined || v === "" ? "<unknown>" : v);
  return [
    node.metadata?.name ?? "",
    status.join(","),
    roles.size === 0 ? "<none>" : [...roles].sort().join(","),
    since(node.metadata?.creationTimestamp, now),
    info?.kubeletVersion ?? "",
    address("InternalIP"),
    address("ExternalIP"),
    unknown(info?.osImage),
    unknown(info?.kernelVersion),
    unknown(info?.containerRuntimeVersion),
  ];
}

function containerColumns(template: PodTemplateSpec | undefined): [string, string] {
  const containers = template?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(","), containers.map((c) => c.image ?? "").join(",")];
}

function deploymentRow(d: Deployment, now: Date): unknown[] {
  const [names, images] = containerColumns(d.spec?.template);
  return [
    d.metadata?.name ?? "",
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
    d.status?.updatedReplicas ?? 0,
    d.status?.availableReplicas ?? 0,
    since(d.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(d.spec?.selector),
  ];
}

function replicaSetRow(rs: ReplicaSet, now: Date): unknown[] {
  const [names, images] = containerColumns(rs.spec?.template);
  return [
    rs.metadata?.name ?? "",
    rs.spec?.replicas ?? 0,
    rs.status?.replicas ?? 0,
    rs.status?.readyReplicas ?? 0,
    since(rs.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(rs.spec?.selector),
  ];
}

function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
    case undefined:
      return external.length > 0 ? external.join(",") : "<none>";
    case "LoadBalancer": {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter((s) => s !== "");
      const all = [...ingress, ...external];
      return all.length > 0 ? all.join(",") : "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
    default:
      return "<unknown>";
  }
}

function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports
    .map((p) => {
      const protocol = p.protocol ?? "TCP";
      return p.nodePort !== undefined && p.nodePort !== 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(",");
}

function serviceRow(svc: Service, now: Date): unknown[] {
  return [
    svc.metadata?.name ?? "",
    svc.spec?.type ?? "ClusterIP",
    orNone(svc.spec?.clusterIP),
    serviceExternalIP(svc),
    servicePorts(svc),
    since(svc.metadata?.creationTimestamp, now),
    formatLabels(svc.spec?.selector),
  ];
}

function endpointsText(ep: Endpoints): string {
  const all: string[] = [];
  for (const subset of ep.subsets ?? []) {
    const ports = subset.ports ?? [];
    for (const address of subset.addresses ?? []) {
      if (ports.length === 0) all.push(address.ip);
      for (const port of ports) all.push(`${address.ip.includes(":") ? `[${address.ip}]` : address.ip}:${port.port}`);
    }
  }
  if (all.length === 0) return "<none>";
  const shown = all.slice(0, 3).join(",");
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown;
}

function eventRow(ev: Event, now: Date): unknown[] {
  let first = since(ev.firstTimestamp, now);
  if ((ev.firstTimestamp ?? "") === "") first = since(ev.eventTime, now);
  let last = (ev.lastTimestamp ?? "") === "" ? first : since(ev.lastTimestamp, now);
  let count = ev.count ?? 0;
  if (ev.series !== undefined) {
    last = since(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const involved = ev.involvedObject;
  const target = (involved.name ?? "") !== "" ? `${(involved.kind ?? "").toLowerCase()}/${involved.name ?? ""}` : (involved.kind ?? "").toLowerCase();
  const source = ev.source?.component ?? ev.reportingComponent ?? "";
  const host = ev.source?.host ?? ev.reportingInstance ?? "";
  return [
    last,
    ev.type ?? "",
    ev.reason ?? "",
    target,
    involved.fieldPath ?? "",
    host === "" ? source : `${source}, ${host}`,
    (ev.message ?? "").trim(),
    first,
    count,
    ev.metadata.name ?? "",
  ];
}

function subjectsOf(binding: RoleBinding | ClusterRoleBinding, kind: string): string {
  return (binding.subjects ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${s.namespace ?? ""}:${s.name}` : s.name))
    .join(", ");
}

function bindingRow(binding: RoleBinding | ClusterRoleBinding, now: Date): unknown[] {
  return [
    binding.metadata?.name ?? "",
    `${binding.roleRef.kind}/${binding.roleRef.name}`,
    since(binding.metadata?.creationTimestamp, now),
    subjectsOf(binding, "User"),
    subjectsOf(binding, "Group"),
    subjectsOf(binding, "ServiceAccount"),
  ];
}

function createdAt(meta: ObjectMeta | undefined): string {
  const t = Date.parse(meta?.creationTimestamp ?? "");
  return Number.isNaN(t) ? "" : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface Printer {
  readonly columns: readonly Column[];
  readonly row: (obj: never, now: Date) => unknown[];
}

const bindingColumns = [
  nameColumn,
  column("Role", "string", "The role granted."),
  ageColumn,
  column("Users", "string", "Users granted the role.", 1),
  column("Groups", "string", "Groups granted the role.", 1),
  column("ServiceAccounts", "string", "Service accounts granted the role.", 1),
];

const roleColumns = [nameColumn, column("Created At", "date", "When the object was created.")];

const printers: Readonly<Record<string, Printer>> = {
  Pod: {
    columns: [
      nameColumn,
      column("Ready", "string", "Ready containers of all containers."),
      column("Status", "string", "Phase of the pod, or the reason it is not running."),
      column("Restarts", "string", "Container restarts, and how long ago the last one was."),
      ageColumn,
      column("IP", "string", "IP address of the pod.", 1),
      column("Node", "string", "Node the pod is bound to.", 1),
      column("Nominated Node", "string", "Node the pod is expected to run on after preemption.", 1),
      column("Readiness Gates", "string", "Readiness gates that are True, of all.", 1),
    ],
    row: podRow,
  },
  Node: {
    columns: [
      nameColumn,
      column("Status", "string", "Readiness of the node, and whether it is cordoned."),
      column("Roles", "string", "Roles of the node, from its node-role.kubernetes.io labels."),
      ageColumn,
      column("Version", "string", "Version of the node agent."),
      column("Internal-IP", "string", "Internal IP address of the node.", 1),
      column("External-IP", "string", "External IP address of the node.", 1),
      column("OS-Image", "string", "Operating system image of the node.", 1),
      column("Kernel-Version", "string", "Kernel version of the node.", 1),
      column("Container-Runtime", "string", "Container runtime of the node.", 1),
    ],
    row: nodeRow,
  },
  Deployment: {
    columns: [
      nameColumn,
      column("Ready", "string", "Ready pods of the desired count."),
      column("Up-to-date", "integer", "Pods running the current template."),
      column("Available", "integer", "Pods available to serve."),
      ageColumn,
      column("Containers", "string", "Names of the template's containers.", 1),
      column("Images", "string", "Images of the template's containers.", 1),
      column("Selector", "string", "Label selector of the pods.", 1),
    ],
    row: deploymentRow,
  },
  ReplicaSet: {
    columns: [
      nameColumn,
      column("Desired", "integer", "Desired number of pods."),
      column("Current", "integer", "Current number of pods."),
      column("Ready", "integer", "Ready pods."),
      ageColumn,
      column("Containers", "string", "Names of the template's containers.", 1),
      column("Images", "string", "Images of the template's containers.", 1),
      column("Selector", "string", "Label selector of the pods.", 1),
    ],
    row: replicaSetRow,
  },
  Service: {
    columns: [
      nameColumn,
      column("Type", "string", "Type of the service."),
      column("Cluster-IP", "string", "Virtual IP of the service."),
      column("External-IP", "string", "Addresses the service is reachable at from outside."),
      column("Port(s)", "string", "Ports of the service, with node ports."),
      ageColumn,
      column("Selector", "string", "Labels of the pods the service routes to.", 1),
    ],
    row: serviceRow,
  },
  Namespace: {
    columns: [nameColumn, column("Status", "string", "Phase of the namespace."), ageColumn],
    row: (ns: Namespace, now: Date) => [ns.metadata?.name ?? "", ns.status?.phase ?? "", since(ns.metadata?.creationTimestamp, now)],
  },
  Event: {
    columns: [
      column("Last Seen", "string", "Time since the event was last seen."),
      column("Type", "string", "Normal or Warning."),
      column("Reason", "string", "Short reason of the event."),
      column("Object", "string", "The object the event is about."),
      column("Subobject", "string", "The part of the object, such as a container.", 1),
      column("Source", "string", "Component that reported the event.", 1),
      column("Message", "string", "Description of the event."),
      column("First Seen", "string", "Time since the event was first seen.", 1),
      column("Count", "integer", "Number of occurrences.", 1),
      column("Name", "string", "Name of the event object.", 1, "name"),
    ],
    row: eventRow,
  },
  Endpoints: {
    columns: [nameColumn, column("Endpoints", "string", "Addresses and ports of the endpoints."), ageColumn],
    row: (ep: Endpoints, now: Date) => [ep.metadata?.name ?? "", endpointsText(ep), since(ep.metadata?.creationTimestamp, now)],
  },
  ConfigMap: {
    columns: [nameColumn, column("Data", "integer", "Number of keys."), ageColumn],
    row: (cm: ConfigMap, now: Date) => [
      cm.metadata?.name ?? "",
      Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length,
      since(cm.metadata?.creationTimestamp, now),
    ],
  },
  Secret: {
    columns: [nameColumn, column("Type", "string", "Type of the secret."), column("Data", "integer", "Number of keys."), ageColumn],
    row: (s: Secret, now: Date) => [s.metadata?.name ?? "", s.type ?? "", Object.keys(s.data ?? {}).length, since(s.metadata?.creationTimestamp, now)],
  },
  ServiceAccount: {
    columns: [nameColumn, column("Secrets", "integer", "Number of secrets listed."), ageColumn],
    row: (sa: ServiceAccount, now: Date) => [sa.metadata?.name ?? "", (sa.secrets ?? []).length, since(sa.metadata?.creationTimestamp, now)],
  },
  Lease: {
    columns: [nameColumn, column("Holder", "string", "Current holder of the lease."), ageColumn],
    row: (l: Lease, now: Date) => [l.metadata?.name ?? "", l.spec?.holderIdentity ?? "", since(l.metadata?.creationTimestamp, now)],
  },
  Role: { columns: roleColumns, row: (r: { metadata?: ObjectMeta }) => [r.metadata?.name ?? "", createdAt(r.metadata)] },
  ClusterRole: { columns: roleColumns, row: (r: { metadata?: ObjectMeta }) => [r.metadata?.name ?? "", createdAt(r.metadata)] },
  RoleBinding: { columns: bindingColumns, row: bindingRow },
  ClusterRoleBinding: { columns: bindingColumns, row: bindingRow },
};

const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  row: (obj: { metadata?: ObjectMeta }, now: Date) => [obj.metadata?.name ?? "", since(obj.metadata?.creationTimestamp, now)],
};

/** The column definitions of a kind's table; Name and Age for kinds without their own. */
export function tableColumns(kind: string): TableColumnDefinition[] {
  return (printers[kind] ?? defaultPrinter).columns.map((c) => ({ ...c }));
}

/** The object's metadata as a PartialObjectMetadata, the row object kube includes by default. */
export function partialObjectMetadata(obj: { metadata?: ObjectMeta }): PartialObjectMetadata {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata ?? {} };
}

/**
 * One row: a cell per column of `tableColumns(kind)`, and the object's metadata as row object
 * (kube's default, includeObject=Metadata).
 */
export function tableRow(kind: string, obj: unknown, now: Date): TableRow {
  const printer = printers[kind] ?? defaultPrinter;
  const typed = (obj ?? {}) as { metadata?: ObjectMeta };
  return { cells: (printer.row as (o: unknown, n: Date) => unknown[])(typed, now), object: partialObjectMetadata(typed) as Record<string, unknown> };
}

/** A whole Table of objects of one kind, with the list's resourceVersion. */
export function buildTable(kind: string, objects: readonly unknown[], now: Date, resourceVersion?: string): Table {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: tableColumns(kind),
    rows: objects.map((o) => tableRow(kind, o, now)),
  };
}
