/**
 * Validation of pods and pod templates, after kube's pkg/apis/core/validation: containers,
 * ports, environment, volume mounts, resources, probes, volumes, tolerations, and the
 * restrictions on pod updates. Objects are validated after defaulting, as kube-apiserver does:
 * fields that defaults fill (restartPolicy, imagePullPolicy, protocol...) are Required here.
 */
import { duplicate, forbidden, invalid, notFound, notSupported, required } from "./field-errors.js";
import type { FieldError } from "./field-errors.js";
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe, Volume } from "./core-pod.js";
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isLabelValue,
  isQualifiedName,
  isValidIp,
  isValidPortName,
  isValidPortNum,
  nameIsDnsSubdomain,
} from "./names.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "./quantity.js";
import { IS_NEGATIVE_ERROR, deepEqual, nonNegative, oneOf, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from "./validate-meta.js";

const portProtocols = ["SCTP", "TCP", "UDP"];
const restartPolicies = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const pullPolicies = ["Always", "IfNotPresent", "Never"];
const terminationMessagePolicies = ["File", "FallbackToLogsOnError"];
const taintEffects = ["NoExecute", "NoSchedule", "PreferNoSchedule"];
const hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];
const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"]);
const envFieldPaths = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
const FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive";

function portNumOrName(port: number | string | undefined, field: string): FieldError[] {
  if (typeof port === "number") return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === "string") return isValidPortName(port).map((m) => invalid(field, port, m));
  return [required(field)];
}

function fileMode(mode: number | undefined, field: string): FieldError[] {
  return mode !== undefined && (mode < 0 || mode > 0o777) ? [invalid(field, mode, FILE_MODE_ERROR)] : [];
}

function noBacksteps(path: string, field: string): FieldError[] {
  return path.split(/[\\/]/).includes("..") ? [invalid(field, path, "must not contain '..'")] : [];
}

function localDescendingPath(path: string, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (path.startsWith("/")) errors.push(invalid(field, path, "must be a relative path"));
  errors.push(...noBacksteps(path, field));
  return errors;
}

function keyToPaths(items: readonly { key: string; path: string; mode?: number }[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  (items ?? []).forEach((item, i) => {
    const p = `${field}[${i}]`;
    if (item.key === "") errors.push(required(`${p}.key`));
    if (item.path === "") errors.push(required(`${p}.path`));
    else errors.push(...localDescendingPath(item.path, `${p}.path`));
    errors.push(...fileMode(item.mode, `${p}.mode`));
  });
  return errors;
}

function validateVolumeSource(volume: Volume, field: string): FieldError[] {
  const errors: FieldError[] = [];
  let sources = 0;
  const another = (name: string): boolean => {
    if (sources > 0) {
      errors.push(forbidden(`${field}.${name}`, "may not specify more than 1 volume type"));
      return false;
    }
    sources++;
    return true;
  };
  if (volume.emptyDir !== undefined && another("emptyDir")) {
    const limit = volume.emptyDir.sizeLimit;
    if (limit !== undefined && (parseQuantity(limit) ?? -1) < 0) {
      errors.push(forbidden(`${field}.emptyDir.sizeLimit`, "SizeLimit field must be a valid resource quantity"));
    }
  }
  if (volume.hostPath !== undefined && another("hostPath")) {
    const p = `${field}.hostPath`;
    if (volume.hostPath.path === "") errors.push(required(`${p}.path`));
    else errors.push(...noBacksteps(volume.hostPath.path, `${p}.path`));
    if (volume.hostPath.type !== undefined && !hostPathTypes.includes(volume.hostPath.type)) {
      errors.push(notSupported(`${p}.type`, volume.hostPath.type, hostPathTypes));
    }
  }
  if (volume.secret !== undefined && another("secret")) {
    const p = `${field}.secret`;
    if ((volume.secret.secretName ?? "") === "") errors.push(required(`${p}.secretName`));
    errors.push(...fileMode(volume.secret.defaultMode, `${p}.defaultMode`));
    errors.push(...keyToPaths(volume.secret.items, `${p}.items`));
  }
  if (volume.persistentVolumeClaim !== undefined && another("persistentVolumeClaim")) {
    if (volume.persistentVolumeClaim.claimName === "") errors.push(required(`${field}.persistentVolumeClaim.claimName`));
  }
  if (volume.downwardAPI !== undefined && another("downwardAPI")) {
    const p = `${field}.downwardAPI`;
    errors.push(...fileMode(volume.downwardAPI.defaultMode, `${p}.defaultMode`));
    (volume.downwardAPI.items ?? []).forEach((item, i) => {
      if (item.path === "") errors.push(required(`${p}.items[${i}].path`));
      else errors.push(...localDescendingPath(item.path, `${p}.items[${i}].path`));
      errors.push(...fileMode(item.mode, `${p}.items[${i}].mode`));
    });
  }
  if (volume.configMap !== undefined && another("configMap")) {
    const p = `${field}.configMap`;
    if ((volume.configMap.name ?? "") === "") errors.push(required(`${p}.name`));
    errors.push(...fileMode(volume.configMap.defaultMode, `${p}.defaultMode`));
    errors.push(...keyToPaths(volume.configMap.items, `${p}.items`));
  }
  if (volume.projected !== undefined && another("projected")) {
    const p = `${field}.projected`;
    errors.push(...fileMode(volume.projected.defaultMode, `${p}.defaultMode`));
    (volume.projected.sources ?? []).forEach((source, i) => {
      const sp = `${p}.sources[${i}]`;
      const set = (["configMap", "downwardAPI", "secret", "serviceAccountToken"] as const).filter((k) => source[k] !== undefined);
      if (set.length === 0) errors.push(required(sp, "must specify exactly 1 of: configMap, downwardAPI, secret, serviceAccountToken"));
      for (const extra of set.slice(1)) errors.push(forbidden(`${sp}.${extra}`, "may not specify more than 1 volume type per source"));
      const token = source.serviceAccountToken;
      if (token !== undefined) {
        if ((token.expirationSeconds ?? 3600) < 600) errors.push(invalid(`${sp}.serviceAccountToken.expirationSeconds`, token.expirationSeconds, "may not specify a duration less than 10 minutes"));
        if (token.path === "") errors.push(required(`${sp}.serviceAccountToken.path`));
      }
      errors.push(...keyToPaths(source.configMap?.items, `${sp}.configMap.items`));
      errors.push(...keyToPaths(source.secret?.items, `${sp}.secret.items`));
    });
  }
  if (sources === 0) errors.push(required(field, "must specify a volume type"));
  return errors;
}

function validateVolumes(volumes: readonly Volume[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((volume, i) => {
    const p = `${field}[${i}]`;
    errors.push(...validateVolumeSource(volume, p));
    if (volume.name === "") errors.push(required(`${p}.name`));
    else errors.push(...isDns1123Label(volume.name).map((m) => invalid(`${p}.name`, volume.name, m)));
    if (names.has(volume.name)) errors.push(duplicate(`${p}.name`, volume.name));
    names.add(volume.name);
  });
  return errors;
}

function validateContainerPorts(ports: Container["ports"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = `${field}[${i}]`;
    if (port.name !== undefined && port.name !== "") {
      const messages = isValidPortName(port.name);
      if (messages.length > 0) errors.push(...messages.map((m) => invalid(`${p}.name`, port.name, m)));
      else if (names.has(port.name)) errors.push(duplicate(`${p}.name`, port.name));
      else names.add(port.name);
    }
    if (port.containerPort === 0) errors.push(required(`${p}.containerPort`));
    else errors.push(...isValidPortNum(port.containerPort).map((m) => invalid(`${p}.containerPort`, port.containerPort, m)));
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      errors.push(...isValidPortNum(port.hostPort).map((m) => invalid(`${p}.hostPort`, port.hostPort, m)));
    }
    errors.push(...oneOf(port.protocol, portProtocols, `${p}.protocol`));
  });
  return errors;
}

function validateEnv(env: Container["env"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  (env ?? []).forEach((variable, i) => {
    const p = `${field}[${i}]`;
    if (variable.name === "") errors.push(required(`${p}.name`));
    else errors.push(...isEnvVarName(variable.name).map((m) => invalid(`${p}.name`, variable.name, m)));
    const from = variable.valueFrom;
    if (from === undefined) return;
    const vp = `${p}.valueFrom`;
    if ((variable.value ?? "") !== "") errors.push(invalid(vp, "", "may not be specified when `value` is not empty"));
    const set = (["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"] as const).filter((k) => from[k] !== undefined);
    if (set.length === 0) errors.push(invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    if (set.length > 1) errors.push(invalid(vp, "", "may not have more than one field specified at a time"));
    if (from.fieldRef !== undefined) {
      const fp = from.fieldRef.fieldPath;
      const subscripted = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fp);
      if (subscripted !== null) {
        const key = subscripted[2] ?? "";
        const messages = subscripted[1] === "labels" ? isQualifiedName(key) : isQualifiedName(key.toLowerCase());
        errors.push(...messages.map((m) => invalid(`${vp}.fieldRef.fieldPath`, fp, m)));
      } else if (fp === "") {
        errors.push(required(`${vp}.fieldRef.fieldPath`));
      } else if (!envFieldPaths.includes(fp) || fp === "metadata.labels" || fp === "metadata.annotations") {
        errors.push(notSupported(`${vp}.fieldRef.fieldPath`, fp, envFieldPaths.filter((f) => f !== "metadata.labels" && f !== "metadata.annotations")));
      }
    }
    if (from.resourceFieldRef !== undefined && from.resourceFieldRef.resource === "") errors.push(required(`${vp}.resourceFieldRef.resource`));
    for (const ref of ["configMapKeyRef", "secretKeyRef"] as const) {
      const selector = from[ref];
      if (selector === undefined) continue;
      if ((selector.name ?? "") === "") errors.push(required(`${vp}.${ref}.name`));
      if (selector.key === "") errors.push(required(`${vp}.${ref}.key`));
      else errors.push(...isConfigMapKey(selector.key).map((m) => invalid(`${vp}.${ref}.key`, selector.key, m)));
    }
  });
  return errors;
}

function validateEnvFrom(envFrom: Container["envFrom"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  (envFrom ?? []).forEach((source, i) => {
    const p = `${field}[${i}]`;
    const set = (["configMapRef", "secretRef"] as const).filter((k) => source[k] !== undefined);
    if (set.length === 0) errors.push(invalid(p, "", "must specify one of: `configMapRef` or `secretRef`"));
    if (set.length > 1) errors.push(invalid(p, "", "may not have more than one field specified at a time"));
    for (const k of set) if ((source[k]?.name ?? "") === "") errors.push(required(`${p}.${k}.name`));
  });
  return errors;
}

function validateVolumeMounts(mounts: Container["volumeMounts"], volumeNames: ReadonlySet<string>, field: string): FieldError[] {
  const errors: FieldError[] = [];
  const paths = new Set<string>();
  (mounts ?? []).forEach((mount, i) => {
    const p = `${field}[${i}]`;
    if (mount.name === "") errors.push(required(`${p}.name`));
    if (!volumeNames.has(mount.name)) errors.push(notFound(`${p}.name`, mount.name));
    if (mount.mountPath === "") errors.push(required(`${p}.mountPath`));
    if (paths.has(mount.mountPath)) errors.push(invalid(`${p}.mountPath`, mount.mountPath, "must be unique"));
    paths.add(mount.mountPath);
    if (mount.subPath !== undefined && mount.subPath !== "") errors.push(...localDescendingPath(mount.subPath, `${p}.subPath`));
    if (mount.mountPropagation !== undefined) {
      errors.push(...oneOf(mount.mountPropagation, ["Bidirectional", "HostToContainer", "None"], `${p}.mountPropagation`));
    }
  });
  return errors;
}

function validateResources(resources: Container["resources"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  const checkName = (name: string, path: string): void => {
    if (!name.includes("/") && !standardContainerResources.has(name) && !name.startsWith("hugepages-")) {
      errors.push(invalid(path, name, "must be a standard resource for containers"));
    } else if (name.includes("/")) {
      errors.push(...isQualifiedName(name).map((m) => invalid(path, name, m)));
    }
  };
  const parsed = (value: string | number, path: string): number | undefined => {
    const n = parseQuantity(value);
    if (n === undefined) errors.push(invalid(path, value, QUANTITY_FORMAT_ERROR));
    else if (n < 0) errors.push(invalid(path, value, IS_NEGATIVE_ERROR));
    return n;
  };
  for (const [name, value] of Object.entries(limits)) {
    const path = `${field}.limits[${name}]`;
    checkName(name, path);
    parsed(value, path);
  }
  for (const [name, value] of Object.entries(requests)) {
    const path = `${field}.requests[${name}]`;
    checkName(name, path);
    const request = parsed(value, path);
    const limitValue = limits[name];
    if (request === undefined || limitValue === undefined) continue;
    const limit = parseQuantity(limitValue);
    if (limit !== undefined && request > limit) {
      errors.push(invalid(`${field}.requests`, String(value), `must be less than or equal to ${name} limit of ${String(limitValue)}`));
    }
  }
  return errors;
}

type Handler = { exec?: { command?: string[] }; httpGet?: { path?: string; port: number | string; scheme?: string }; tcpSocket?: { port: number | string }; grpc?: { port: number }; sleep?: { seconds: number } };

function validateHandler(handler: Handler, kinds: readonly (keyof Handler)[], field: string): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const kind of kinds) {
    const value = handler[kind];
    if (value === undefined) continue;
    if (count > 0) {
      errors.push(forbidden(`${field}.${kind}`, "may not specify more than 1 handler type"));
      continue;
    }
    count++;
    const p = `${field}.${kind}`;
    if (kind === "exec" && (handler.exec?.command ?? []).length === 0) errors.push(required(`${p}.command`));
    if (kind === "httpGet" && handler.httpGet !== undefined) {
      if ((handler.httpGet.path ?? "") === "") errors.push(required(`${p}.path`));
      errors.push(...portNumOrName(handler.httpGet.port, `${p}.port`));
      errors.push(...oneOf(handler.httpGet.scheme, ["HTTP", "HTTPS"], `${p}.scheme`));
    }
    if (kind === "tcpSocket" && handler.tcpSocket !== undefined) errors.push(...portNumOrName(handler.tcpSocket.port, `${p}.port`));
    if (kind === "grpc" && handler.grpc !== undefined) errors.push(...isValidPortNum(handler.grpc.port).map((m) => invalid(`${p}.port`, handler.grpc?.port, m)));
    if (kind === "sleep" && handler.sleep !== undefined && handler.sleep.seconds < 0) {
      errors.push(invalid(`${p}.seconds`, handler.sleep.seconds, IS_NEGATIVE_ERROR));
    }
  }
  if (count === 0) errors.push(required(field, "must specify a handler type"));
  return errors;
}

function validateProbe(probe: Probe | undefined, field: string, mustSucceedOnce: boolean): FieldError[] {
  if (probe === undefined) return [];
  const errors = validateHandler(probe, ["exec", "httpGet", "tcpSocket", "grpc"], field);
  for (const key of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] as const) {
    errors.push(...nonNegative(probe[key], `${field}.${key}`));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errors.push(invalid(`${field}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, "must be greater than 0"));
  }
  if (mustSucceedOnce && (probe.successThreshold ?? 0) !== 1) {
    errors.push(invalid(`${field}.successThreshold`, probe.successThreshold ?? 0, "must be 1"));
  }
  return errors;
}

/** kube's validateContainerCommon: what every container is checked for. */
function validateContainerCommon(c: Container, volumeNames: ReadonlySet<string>, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (c.name === "") errors.push(required(`${field}.name`));
  else errors.push(...isDns1123Label(c.name).map((m) => invalid(`${field}.name`, c.name, m)));
  if ((c.image ?? "") === "") errors.push(required(`${field}.image`));
  errors.push(...oneOf(c.terminationMessagePolicy, terminationMessagePolicies, `${field}.terminationMessagePolicy`));
  errors.push(...validateContainerPorts(c.ports, `${field}.ports`));
  errors.push(...validateEnv(c.env, `${field}.env`));
  errors.push(...validateEnvFrom(c.envFrom, `${field}.envFrom`));
  errors.push(...validateVolumeMounts(c.volumeMounts, volumeNames, `${field}.volumeMounts`));
  errors.push(...oneOf(c.imagePullPolicy, pullPolicies, `${field}.imagePullPolicy`));
  errors.push(...validateResources(c.resources, `${field}.resources`));
  return errors;
}

/** Lifecycle hooks and probes, allowed on app containers and sidecars. */
function validateLifecycleAndProbes(c: Container, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const hook of ["postStart", "preStop"] as const) {
    const handler = c.lifecycle?.[hook];
    if (handler !== undefined) errors.push(...validateHandler(handler, ["exec", "httpGet", "tcpSocket", "sleep"], `${field}.lifecycle.${hook}`));
  }
  errors.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, true));
  errors.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, false));
  if (c.readinessProbe?.terminationGracePeriodSeconds !== undefined) {
    errors.push(invalid(`${field}.readinessProbe.terminationGracePeriodSeconds`, c.readinessProbe.terminationGracePeriodSeconds, "must not be set for readinessProbes"));
  }
  errors.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, true));
  return errors;
}

/** kube's validateContainers: app containers, names unique among them. */
function validateContainers(containers: readonly Container[] | undefined, volumeNames: ReadonlySet<string>, field: string): FieldError[] {
  const list = containers ?? [];
  const errors: FieldError[] = list.length === 0 ? [required(field)] : [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const p = `${field}[${i}]`;
    errors.push(...validateContainerCommon(c, volumeNames, p));
    if (names.has(c.name)) errors.push(duplicate(`${p}.name`, c.name));
    else names.add(c.name);
    errors.push(...validateLifecycleAndProbes(c, p));
    if (c.restartPolicy !== undefined) errors.push(forbidden(`${p}.restartPolicy`, "may not be set for non-init containers"));
  });
  return errors;
}

/** kube's validateInitContainers: names unique among init and app containers; probes only on sidecars. */
function validateInitContainers(
  inits: readonly Container[] | undefined,
  containers: readonly Container[] | undefined,
  volumeNames: ReadonlySet<string>,
  field: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set((containers ?? []).map((c) => c.name));
  (inits ?? []).forEach((c, i) => {
    const p = `${field}[${i}]`;
    errors.push(...validateContainerCommon(c, volumeNames, p));
    if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") errors.push(notSupported(`${p}.restartPolicy`, c.restartPolicy, ["Always"]));
    if (names.has(c.name)) errors.push(duplicate(`${p}.name`, c.name));
    else if (c.name !== "") names.add(c.name);
    if (c.restartPolicy === "Always") {
      errors.push(...validateLifecycleAndProbes(c, p));
    } else {
      for (const key of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] as const) {
        if (c[key] !== undefined) errors.push(forbidden(`${p}.${key}`, "may not be set for init containers without restartPolicy=Always"));
      }
    }
  });
  return errors;
}

function validateTolerations(tolerations: PodSpec["tolerations"], field: string): FieldError[] {
  const errors: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = `${field}[${i}]`;
    const key = t.key ?? "";
    const operator = t.operator ?? "";
    if (key !== "") errors.push(...isQualifiedName(key).map((m) => invalid(`${p}.key`, key, m)));
    if (key === "" && operator !== "Exists") {
      errors.push(invalid(`${p}.operator`, operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errors.push(invalid(`${p}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === "Equal" || operator === "") {
      const messages = isLabelValue(t.value ?? "");
      if (messages.length > 0) errors.push(invalid(`${p}.operator`, t.value ?? "", messages.join(";")));
    } else if (operator === "Exists") {
      if ((t.value ?? "") !== "") errors.push(invalid(`${p}.operator`, t, "value must be empty when `operator` is 'Exists'"));
    } else {
      errors.push(notSupported(`${p}.operator`, operator, ["Equal", "Exists"]));
    }
    if ((t.effect ?? "") !== "") errors.push(...oneOf(t.effect, taintEffects, `${p}.effect`));
  });
  return errors;
}

/** kube's ValidatePodSpec, for pods and pod templates alike. */
function validatePodSpec(spec: PodSpec | undefined, field: string): FieldError[] {
  const s: Partial<PodSpec> = spec ?? {};
  const errors: FieldError[] = [];
  if (s.terminationGracePeriodSeconds === undefined) errors.push(required(`${field}.terminationGracePeriodSeconds`));
  const volumeNames = new Set((s.volumes ?? []).map((v) => v.name));
  errors.push(...validateVolumes(s.volumes, `${field}.volumes`));
  errors.push(...validateContainers(s.containers, volumeNames, `${field}.containers`));
  errors.push(...validateInitContainers(s.initContainers, s.containers, volumeNames, `${field}.initContainers`));
  errors.push(...oneOf(s.restartPolicy, restartPolicies, `${field}.restartPolicy`));
  errors.push(...oneOf(s.dnsPolicy, dnsPolicies, `${field}.dnsPolicy`));
  errors.push(...validateLabels(s.nodeSelector, `${field}.nodeSelector`));
  (s.readinessGates ?? []).forEach((gate, i) => {
    errors.push(...isQualifiedName(gate.conditionType).map((m) => invalid(`${field}.readinessGates[${i}].conditionType`, gate.conditionType, m)));
  });
  if ((s.serviceAccountName ?? "") !== "") {
    errors.push(...nameIsDnsSubdomain(s.serviceAccountName ?? "", false).map((m) => invalid(`${field}.serviceAccountName`, s.serviceAccountName, m)));
  }
  if ((s.nodeName ?? "") !== "") {
    errors.push(...isDns1123Subdomain(s.nodeName ?? "").map((m) => invalid(`${field}.nodeName`, s.nodeName, m)));
  }
  if (s.activeDeadlineSeconds !== undefined && (s.activeDeadlineSeconds <= 0 || s.activeDeadlineSeconds > 2147483647)) {
    errors.push(invalid(`${field}.activeDeadlineSeconds`, s.activeDeadlineSeconds, "must be between 1 and 2147483647, inclusive"));
  }
  if ((s.hostname ?? "") !== "") errors.push(...isDns1123Label(s.hostname ?? "").map((m) => invalid(`${field}.hostname`, s.hostname, m)));
  if ((s.subdomain ?? "") !== "") errors.push(...isDns1123Label(s.subdomain ?? "").map((m) => invalid(`${field}.subdomain`, s.subdomain, m)));
  if ((s.schedulerName ?? "") !== "") {
    errors.push(...isDns1123Subdomain(s.schedulerName ?? "").map((m) => invalid(`${field}.schedulerName`, s.schedulerName, m)));
  }
  errors.push(...validateTolerations(s.tolerations, `${field}.tolerations`));
  (s.hostAliases ?? []).forEach((alias, i) => {
    errors.push(...isValidIp(alias.ip).map((m) => invalid(`${field}.hostAliases[${i}].ip`, alias.ip, m)));
    (alias.hostnames ?? []).forEach((h) => errors.push(...isDns1123Subdomain(h).map((m) => invalid(`${field}.hostAliases[${i}].hostnames`, h, m))));
  });
  if (s.preemptionPolicy !== undefined) errors.push(...oneOf(s.preemptionPolicy, ["Never", "PreemptLowerPriority"], `${field}.preemptionPolicy`));
  return errors;
}

/** kube's ValidatePodTemplateSpec: labels and annotations (at `<field>.labels`, as kube reports them) and the spec. */
export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, field: string): FieldError[] {
  const t = template ?? {};
  return [
    ...validateLabels(t.metadata?.labels, `${field}.labels`),
    ...validateAnnotations(t.metadata?.annotations, `${field}.annotations`),
    ...validatePodSpec(t.spec, `${field}.spec`),
  ];
}

export function validatePod(pod: Pod): FieldError[] {
  return [...validateObjectMeta(pod.metadata, true, nameIsDnsSubdomain), ...validatePodSpec(pod.spec, "spec")];
}

const updatablePodFields = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/**
 * kube's ValidatePodUpdate: only images, activeDeadlineSeconds (set or lowered), added
 * tolerations, removed scheduling gates and a negative grace period raised to 1 may change.
 */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errors = [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePodSpec(pod.spec, "spec")];
  const spec: Partial<PodSpec> = pod.spec ?? {};
  const oldSpec: Partial<PodSpec> = old.spec ?? {};
  const newDeadline = spec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (oldDeadline !== undefined) {
    if (newDeadline === undefined) errors.push(invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
    else if (newDeadline > oldDeadline) errors.push(invalid("spec.activeDeadlineSeconds", newDeadline, "must be less than or equal to previous value"));
  }
  const oldTolerations = oldSpec.tolerations ?? [];
  const newTolerations = spec.tolerations ?? [];
  const tolerationsOk = oldTolerations.every((t) => newTolerations.some((n) => deepEqual(n, t)));
  if (!tolerationsOk) errors.push(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
  const oldGates = oldSpec.schedulingGates ?? [];
  const newGates = spec.schedulingGates ?? [];
  if (!newGates.every((g) => oldGates.some((o) => o.name === g.name))) {
    errors.push(forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate"));
  }
  const withoutImage = ({ image: _image, ...rest }: Container): Partial<Container> => rest;
  const munged = {
    ...spec,
    containers: (spec.containers ?? []).map(withoutImage),
    initContainers: (spec.initContainers ?? []).map(withoutImage),
  };
  const oldMunged = {
    ...oldSpec,
    containers: (oldSpec.containers ?? []).map(withoutImage),
    initContainers: (oldSpec.initContainers ?? []).map(withoutImage),
  };
  const mutable = ["activeDeadlineSeconds", "tolerations", "schedulingGates", "terminationGracePeriodSeconds"];
  const comparable = (s: typeof munged): Record<string, unknown> =>
    Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
  const graceOk =
    spec.terminationGracePeriodSeconds === oldSpec.terminationGracePeriodSeconds ||
    ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && spec.terminationGracePeriodSeconds === 1);
  if (!deepEqual(comparable(munged), comparable(oldMunged)) || !graceOk) {
    errors.push(forbidden("spec", `pod updates may not change fields other than ${updatablePodFields.join(",")}`));
  }
  return errors;
}
