/**
 * Validation of the core/v1 kinds other than Pod (Namespace, Node, Service, Endpoints,
 * ConfigMap, Secret, Event, ServiceAccount, Binding) and of coordination.k8s.io Lease.
 */
import { GoValue, duplicate, forbidden, invalid, notSupported, required, tooLong, tooMany } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import type { Binding, ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount, ServicePort } from "./core.js";
import type { Lease } from "./coordination.js";
import { goIntOrString, goStringSlice } from "./labels.js";
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidIp,
  isValidPortName,
  isValidPortNum,
  nameIsDns1035Label,
  nameIsDnsLabel,
  nameIsDnsSubdomain,
} from "./names.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "./quantity.js";
import {
  IS_NEGATIVE_ERROR,
  deepEqual,
  immutable,
  nonNegative,
  oneOf,
  validateFinalizerName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "./validate-meta.js";

/** Largest total size of a ConfigMap's or Secret's data, in bytes. */
const MAX_SECRET_SIZE = 1024 * 1024;

const portProtocols = ["SCTP", "TCP", "UDP"];

function metaFor<T extends { metadata?: Parameters<typeof validateObjectMeta>[0] }>(
  obj: T,
  old: T | undefined,
  namespaced: boolean,
  nameFn: Parameters<typeof validateObjectMeta>[2],
): FieldError[] {
  return old === undefined ? validateObjectMeta(obj.metadata, namespaced, nameFn) : validateObjectMetaUpdate(obj.metadata, old.metadata);
}

// ---- Namespace

export function validateNamespace(ns: Namespace, old?: Namespace): FieldError[] {
  const errors = metaFor(ns, old, false, nameIsDnsLabel);
  (ns.spec?.finalizers ?? []).forEach((f) => errors.push(...validateFinalizerName(f, "spec.finalizers")));
  if (ns.status?.phase !== undefined) errors.push(...oneOf(ns.status.phase, ["Active", "Terminating"], "status.phase", true));
  return errors;
}

// ---- Node

function validateQuantities(map: Readonly<Record<string, string | number>> | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(map ?? {})) {
    const n = parseQuantity(v);
    if (n === undefined) errors.push(invalid(`${field}[${k}]`, v, QUANTITY_FORMAT_ERROR));
    else if (n < 0) errors.push(invalid(`${field}[${k}]`, v, IS_NEGATIVE_ERROR));
  }
  return errors;
}

function isCidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^[0-9]+$/.test(bits) || isValidIp(ip).length > 0) return false;
  return Number(bits) <= (ip.includes(":") ? 128 : 32);
}

export function validateNode(node: Node, old?: Node): FieldError[] {
  const errors = metaFor(node, old, false, nameIsDnsSubdomain);
  const spec = node.spec ?? {};
  const cidrs = spec.podCIDRs ?? (spec.podCIDR === undefined || spec.podCIDR === "" ? [] : [spec.podCIDR]);
  cidrs.forEach((cidr, i) => {
    if (!isCidr(cidr)) errors.push(invalid(`spec.podCIDRs[${i}]`, cidr, "must be a valid CIDR"));
  });
  if (cidrs.length > 2) errors.push(invalid("spec.podCIDRs", new GoValue(goStringSlice(cidrs)), "may specify no more than one CIDR for each IP family"));
  const seen = new Set<string>();
  (spec.taints ?? []).forEach((taint, i) => {
    const p = `spec.taints[${i}]`;
    if (taint.key === "") errors.push(required(`${p}.key`));
    else errors.push(...isQualifiedName(taint.key).map((m) => invalid(`${p}.key`, taint.key, m)));
    errors.push(...isLabelValue(taint.value ?? "").map((m) => invalid(`${p}.value`, taint.value ?? "", m)));
    errors.push(...oneOf(taint.effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"], `${p}.effect`));
    const key = `${taint.key}:${taint.effect}`;
    if (seen.has(key)) errors.push(invalid(`${p}.effect`, taint.effect, "taints must be unique by key and effect pair"));
    seen.add(key);
  });
  errors.push(...validateQuantities(node.status?.capacity, "status.capacity"));
  errors.push(...validateQuantities(node.status?.allocatable, "status.allocatable"));
  if (old !== undefined) {
    const oldCidrs = old.spec?.podCIDRs ?? [];
    if (oldCidrs.length > 0 && !deepEqual(spec.podCIDRs ?? [], oldCidrs)) {
      errors.push(forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"));
    }
    const oldProvider = old.spec?.providerID ?? "";
    if (oldProvider !== "" && (spec.providerID ?? "") !== oldProvider) {
      errors.push(forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"));
    }
  }
  return errors;
}

// ---- Service

function goServicePortKey(port: ServicePort): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(port.protocol ?? "")}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:${goIntOrString(undefined)}, NodePort:0}`;
}

function clusterIPsOf(service: Service): string[] {
  const spec = service.spec ?? {};
  if (spec.clusterIPs !== undefined && spec.clusterIPs.length > 0) return spec.clusterIPs;
  return spec.clusterIP === undefined || spec.clusterIP === "" ? [] : [spec.clusterIP];
}

function validateServicePort(port: ServicePort, requireName: boolean, names: Set<string>, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const name = port.name ?? "";
  if (requireName && name === "") errors.push(required(`${field}.name`));
  else if (name !== "") {
    errors.push(...isDns1123Label(name).map((m) => invalid(`${field}.name`, name, m)));
    if (names.has(name)) errors.push(duplicate(`${field}.name`, name));
    else names.add(name);
  }
  errors.push(...isValidPortNum(port.port).map((m) => invalid(`${field}.port`, port.port, m)));
  errors.push(...oneOf(port.protocol, portProtocols, `${field}.protocol`));
  const target = port.targetPort;
  if (typeof target === "number") errors.push(...isValidPortNum(target).map((m) => invalid(`${field}.targetPort`, target, m)));
  else if (typeof target === "string") errors.push(...isValidPortName(target).map((m) => invalid(`${field}.targetPort`, target, m)));
  if (port.nodePort !== undefined && port.nodePort !== 0) {
    errors.push(...isValidPortNum(port.nodePort).map((m) => invalid(`${field}.nodePort`, port.nodePort, m)));
  }
  return errors;
}

function validateClusterIPs(service: Service): FieldError[] {
  const errors: FieldError[] = [];
  const spec = service.spec ?? {};
  const ips = spec.clusterIPs ?? [];
  if ((spec.clusterIP ?? "") !== "" && ips.length > 0 && ips[0] !== spec.clusterIP) {
    errors.push(invalid("spec.clusterIPs", new GoValue(goStringSlice(ips)), "first value must match `clusterIP`"));
  }
  if (spec.type === "ExternalName") return errors;
  const all = clusterIPsOf(service);
  all.forEach((ip, i) => {
    if (ip === "None") {
      if (all.length > 1) errors.push(invalid(`spec.clusterIPs[${i}]`, ip, "must not contain 'None' with other addresses"));
      return;
    }
    errors.push(...isValidIp(ip).map((m) => invalid(`spec.clusterIPs[${i}]`, ip, m)));
  });
  if (all.length > 2) errors.push(invalid("spec.clusterIPs", new GoValue(goStringSlice(all)), "may only hold up to 2 values"));
  if (spec.ipFamilyPolicy !== undefined) errors.push(...oneOf(spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"], "spec.ipFamilyPolicy"));
  const families = spec.ipFamilies ?? [];
  const seen = new Set<string>();
  families.forEach((family, i) => {
    if (family !== "IPv4" && family !== "IPv6") errors.push(notSupported(`spec.ipFamilies[${i}]`, family, ["IPv4", "IPv6"]));
    if (seen.has(family)) errors.push(duplicate(`spec.ipFamilies[${i}]`, family));
    seen.add(family);
  });
  if (families.length > 2) errors.push(tooMany("spec.ipFamilies", families.length, 2));
  if (spec.ipFamilyPolicy === "SingleStack" && all.length > 1) {
    errors.push(invalid("spec.clusterIPs", new GoValue(goStringSlice(all)), "must have at most 1 value when ipFamilyPolicy is 'SingleStack'"));
  }
  return errors;
}

function validateUpgradeDowngradeClusterIPs(service: Service, old: Service): FieldError[] {
  if (service.spec?.type === "ExternalName" || old.spec?.type === "ExternalName") return [];
  const now = clusterIPsOf(service);
  const before = clusterIPsOf(old);
  if (now[0] === "None" && before[0] === "None") return [];
  const value = new GoValue(goStringSlice(now));
  const errors: FieldError[] = [];
  if (before.length === now.length) {
    before.forEach((ip, i) => {
      if (ip !== now[i]) errors.push(invalid(`spec.clusterIPs[${i}]`, value, "may not change once set"));
    });
  } else if (before.length > now.length) {
    if (now.length === 0) errors.push(invalid("spec.clusterIPs[0]", value, "primary clusterIP can not be unset"));
    else if (now[0] !== before[0]) errors.push(invalid("spec.clusterIPs[0]", value, "may not change once set"));
    if (now.length === 1 && service.spec?.ipFamilyPolicy !== "SingleStack") {
      errors.push(invalid("spec.clusterIPs[0]", value, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (before.length > 0 && now[0] !== before[0]) {
    errors.push(invalid("spec.clusterIPs[0]", value, "may not change once set"));
  }
  return errors;
}

export function validateService(service: Service, old?: Service): FieldError[] {
  const errors = metaFor(service, old, true, nameIsDns1035Label);
  if (old !== undefined) errors.push(...validateUpgradeDowngradeClusterIPs(service, old));
  const spec = service.spec ?? {};
  const ports = spec.ports ?? [];
  const headless = clusterIPsOf(service)[0] === "None";
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") errors.push(required("spec.ports"));
  switch (spec.type) {
    case "LoadBalancer":
      ports.forEach((p, i) => {
        if (p.port === 10250) errors.push(invalid(`spec.ports[${i}]`, p.port, "may not expose port 10250 externally since it is used by kubelet"));
      });
      if (headless) errors.push(invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services"));
      break;
    case "NodePort":
      if (headless) errors.push(invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services"));
      break;
    case "ExternalName": {
      if (clusterIPsOf(service).length > 0) errors.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      if ((spec.ipFamilies ?? []).length > 0) errors.push(forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
      if (spec.ipFamilyPolicy !== undefined) errors.push(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
      const cname = (spec.externalName ?? "").replace(/\.$/, "");
      if (cname === "") errors.push(required("spec.externalName"));
      else errors.push(...isDns1123Subdomain(cname).map((m) => invalid("spec.externalName", cname, m)));
      break;
    }
    default:
      break;
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errors.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  errors.push(...validateLabels(spec.selector, "spec.selector"));
  errors.push(...oneOf(spec.sessionAffinity, ["ClientIP", "None"], "spec.sessionAffinity"));
  if (spec.sessionAffinity === "ClientIP") {
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (timeout === undefined) errors.push(required("spec.sessionAffinityConfig.clientIP.timeoutSeconds"));
    else if (timeout <= 0 || timeout > 86400) {
      errors.push(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout, "must be greater than 0 and less than 86400"));
    }
  } else if (spec.sessionAffinity === "None" && spec.sessionAffinityConfig !== undefined) {
    errors.push(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }
  errors.push(...validateClusterIPs(service));
  (spec.externalIPs ?? []).forEach((ip, i) => errors.push(...isValidIp(ip).map((m) => invalid(`spec.externalIPs[${i}]`, ip, m))));
  errors.push(...oneOf(spec.type, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"], "spec.type"));
  if (spec.type === "ClusterIP") {
    ports.forEach((p, i) => {
      if ((p.nodePort ?? 0) !== 0) errors.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((p, i) => {
    if ((p.nodePort ?? 0) !== 0) {
      const key = `${p.protocol ?? ""}/${p.nodePort}`;
      if (nodePorts.has(key)) errors.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(key);
    }
    const key = `${p.protocol ?? ""}/${p.port}`;
    if (servicePorts.has(key)) errors.push(duplicate(`spec.ports[${i}]`, new GoValue(goServicePortKey(p))));
    servicePorts.add(key);
  });
  for (const policy of ["externalTrafficPolicy", "internalTrafficPolicy"] as const) {
    if (spec[policy] !== undefined) errors.push(...oneOf(spec[policy], ["Cluster", "Local"], `spec.${policy}`));
  }
  return errors;
}

// ---- Endpoints

export function validateEndpoints(endpoints: Endpoints, old?: Endpoints): FieldError[] {
  const errors = metaFor(endpoints, old, true, nameIsDnsSubdomain);
  (endpoints.subsets ?? []).forEach((subset, i) => {
    const p = `subsets[${i}]`;
    if ((subset.addresses ?? []).length === 0 && (subset.notReadyAddresses ?? []).length === 0) {
      errors.push(required(p, "must specify `addresses` or `notReadyAddresses`"));
    }
    for (const list of ["addresses", "notReadyAddresses"] as const) {
      (subset[list] ?? []).forEach((address, j) => {
        errors.push(...isValidIp(address.ip).map((m) => invalid(`${p}.${list}[${j}].ip`, address.ip, m)));
        if ((address.hostname ?? "") !== "") errors.push(...isDns1123Label(address.hostname ?? "").map((m) => invalid(`${p}.${list}[${j}].hostname`, address.hostname, m)));
        if ((address.nodeName ?? "") !== "") errors.push(...isDns1123Subdomain(address.nodeName ?? "").map((m) => invalid(`${p}.${list}[${j}].nodeName`, address.nodeName, m)));
      });
    }
    const ports = subset.ports ?? [];
    const names = new Set<string>();
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      const name = port.name ?? "";
      if (ports.length > 1 && name === "") errors.push(required(`${pp}.name`));
      else if (name !== "") {
        errors.push(...isDns1123Label(name).map((m) => invalid(`${pp}.name`, name, m)));
        if (names.has(name)) errors.push(duplicate(`${pp}.name`, name));
        names.add(name);
      }
      errors.push(...isValidPortNum(port.port).map((m) => invalid(`${pp}.port`, port.port, m)));
      errors.push(...oneOf(port.protocol, portProtocols, `${pp}.protocol`));
    });
  });
  return errors;
}

// ---- ConfigMap and Secret

function validateDataKeys(keys: readonly string[], field: string): FieldError[] {
  return keys.flatMap((key) => isConfigMapKey(key).map((m) => invalid(`${field}[${key}]`, key, m)));
}

function immutableData<T extends { immutable?: boolean }>(obj: T, old: T, fields: readonly (keyof T & string)[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (obj.immutable !== true) errors.push(forbidden("immutable", "field is immutable when `immutable` is set"));
  for (const f of fields) if (!deepEqual(obj[f], old[f])) errors.push(forbidden(f, "field is immutable when `immutable` is set"));
  return errors;
}

export function validateConfigMap(cm: ConfigMap, old?: ConfigMap): FieldError[] {
  const errors = metaFor(cm, old, true, nameIsDnsSubdomain);
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  errors.push(...validateDataKeys(Object.keys(data), "data"));
  errors.push(...validateDataKeys(Object.keys(binary), "binaryData"));
  for (const key of Object.keys(binary)) {
    if (key in data) errors.push(invalid(`data[${key}]`, key, "duplicate of key present in binaryData"));
  }
  let size = 0;
  for (const [k, v] of Object.entries(data)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  for (const [k, v] of Object.entries(binary)) size += Buffer.byteLength(k) + Math.floor((v.length * 3) / 4);
  if (size > MAX_SECRET_SIZE) errors.push(tooLong("", MAX_SECRET_SIZE));
  if (old !== undefined) errors.push(...immutableData(cm, old, ["data", "binaryData"]));
  return errors;
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const secretRequiredKeys: Readonly<Record<string, readonly string[]>> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

export function validateSecret(secret: Secret, old?: Secret): FieldError[] {
  const errors = metaFor(secret, old, true, nameIsDnsSubdomain);
  const data = secret.data ?? {};
  const keys = [...new Set([...Object.keys(data), ...Object.keys(secret.stringData ?? {})])];
  errors.push(...validateDataKeys(keys, "data"));
  for (const [k, v] of Object.entries(data)) {
    if (!base64Pattern.test(v)) errors.push(invalid(`data[${k}]`, "<value omitted>", "must be base64 encoded"));
  }
  let size = 0;
  for (const k of keys) {
    const plain = secret.stringData?.[k];
    size += plain !== undefined ? Buffer.byteLength(plain) : Math.floor(((data[k] ?? "").length * 3) / 4);
  }
  if (size > MAX_SECRET_SIZE) errors.push(tooLong("data", MAX_SECRET_SIZE));
  const type = secret.type ?? "";
  for (const key of secretRequiredKeys[type] ?? []) if (!keys.includes(key)) errors.push(required(`data[${key}]`));
  if (type === "kubernetes.io/service-account-token" && (secret.metadata?.annotations?.["kubernetes.io/service-account.name"] ?? "") === "") {
    errors.push(required("metadata.annotations[kubernetes.io/service-account.name]"));
  }
  if (type === "kubernetes.io/basic-auth" && !keys.includes("username") && !keys.includes("password")) {
    errors.push(required("data[username]"), required("data[password]"));
  }
  if (old !== undefined) {
    errors.push(...immutable(type, old.type ?? "", "type"));
    errors.push(...immutableData(secret, old, ["data"]));
  }
  return errors;
}

// ---- Event, ServiceAccount, Binding, Lease

export function validateEvent(event: Event, old?: Event): FieldError[] {
  const errors = metaFor(event, old, true, nameIsDnsSubdomain);
  const namespace = event.metadata?.namespace ?? "";
  const involvedNamespace = event.involvedObject?.namespace ?? "";
  if ((event.eventTime ?? "") === "") {
    if (involvedNamespace === "" ? namespace !== "" && namespace !== "default" : namespace !== involvedNamespace) {
      errors.push(invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"));
    }
  } else {
    if (involvedNamespace === "" && namespace !== "default" && namespace !== "kube-system") {
      errors.push(invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"));
    }
    const controller = event.reportingComponent ?? "";
    if (controller === "") errors.push(required("reportingComponent"));
    errors.push(...isQualifiedName(controller).map((m) => invalid("reportingComponent", controller, m)));
    if ((event.reportingInstance ?? "") === "") errors.push(required("reportingInstance"));
    if ((event.reportingInstance ?? "").length > 128) errors.push(invalid("reportingInstance", "", "can have at most 128 characters"));
    if ((event.action ?? "") === "") errors.push(required("action"));
    if ((event.action ?? "").length > 128) errors.push(invalid("action", "", "can have at most 128 characters"));
    if ((event.reason ?? "") === "") errors.push(required("reason"));
    if ((event.reason ?? "").length > 128) errors.push(invalid("reason", "", "can have at most 128 characters"));
    if ((event.message ?? "").length > 1024) errors.push(invalid("message", "", "can have at most 1024 characters"));
  }
  return errors;
}

export function validateServiceAccount(sa: ServiceAccount, old?: ServiceAccount): FieldError[] {
  return metaFor(sa, old, true, nameIsDnsSubdomain);
}

export function validateBinding(binding: Binding): FieldError[] {
  const errors: FieldError[] = [];
  const kind = binding.target.kind ?? "";
  if (kind !== "" && kind !== "Node") errors.push(notSupported("target.kind", kind, ["Node", "<empty>"]));
  if ((binding.target.name ?? "") === "") errors.push(required("target.name"));
  return errors;
}

export function validateLease(lease: Lease, old?: Lease): FieldError[] {
  const errors = metaFor(lease, old, true, nameIsDnsSubdomain);
  const spec = lease.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    errors.push(invalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
  }
  errors.push(...nonNegative(spec.leaseTransitions, "spec.leaseTransitions"));
  if (spec.strategy !== undefined) errors.push(...oneOf(spec.strategy, ["OldestEmulationVersion"], "spec.strategy"));
  if ((spec.preferredHolder ?? "") !== "" && spec.strategy === undefined) {
    errors.push(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  }
  return errors;
}
