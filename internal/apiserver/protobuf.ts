/**
 * Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), which kubectl's
 * typed clients send for `kubectl create namespace|configmap|secret|deployment|service|...`:
 * the `k8s\0` magic, a runtime.Unknown envelope (type meta and raw bytes), and the object in
 * the field numbering of Kubernetes' generated.proto files. Only the messages those commands
 * send are described here; a field outside them is refused (415), never silently dropped.
 * Decoded values follow Go's JSON encoding: empty strings, zero numbers and false are left out
 * unless the Go field is a pointer (then the zero was set on purpose).
 */
import type { JsonObject } from "./json.js";
import { errors } from "./status.js";

export const protobufContentType = "application/vnd.kubernetes.protobuf";

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Scalar = "string" | "int" | "bool" | "bytes" | "time" | "intOrString" | "quantity" | "rawJson";
type FieldType = Scalar | { readonly message: string };

interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: true;
  /** A map<string, type> field. */
  readonly map?: true;
  /** A Go pointer: a zero value on the wire was set on purpose and is kept. */
  readonly keepZero?: true;
}

const f = (name: string, type: FieldType, extra: Omit<Field, "name" | "type"> = {}): Field => ({ name, type, ...extra });
const m = (message: string): FieldType => ({ message });
const rep = { repeated: true } as const;
const map = { map: true } as const;
const ptr = { keepZero: true } as const;

/** Message layouts by name: field number → field. */
const messages: Readonly<Record<string, Readonly<Record<number, Field>>>> = {
  TypeMeta: { 1: f("apiVersion", "string"), 2: f("kind", "string") },
  Unknown: { 1: f("typeMeta", m("TypeMeta")), 2: f("raw", "bytes"), 3: f("contentEncoding", "string"), 4: f("contentType", "string") },
  ObjectMeta: {
    1: f("name", "string"),
    2: f("generateName", "string"),
    3: f("namespace", "string"),
    4: f("selfLink", "string"),
    5: f("uid", "string"),
    6: f("resourceVersion", "string"),
    7: f("generation", "int"),
    8: f("creationTimestamp", "time"),
    9: f("deletionTimestamp", "time"),
    10: f("deletionGracePeriodSeconds", "int", ptr),
    11: f("labels", "string", map),
    12: f("annotations", "string", map),
    13: f("ownerReferences", m("OwnerReference"), rep),
    14: f("finalizers", "string", rep),
    17: f("managedFields", m("ManagedFieldsEntry"), rep),
  },
  OwnerReference: {
    1: f("kind", "string"),
    3: f("name", "string"),
    4: f("uid", "string"),
    5: f("apiVersion", "string"),
    6: f("controller", "bool", ptr),
    7: f("blockOwnerDeletion", "bool", ptr),
  },
  ManagedFieldsEntry: {
    1: f("manager", "string"),
    2: f("operation", "string"),
    3: f("apiVersion", "string"),
    4: f("time", "time"),
    6: f("fieldsType", "string"),
    7: f("fieldsV1", m("FieldsV1")),
    8: f("subresource", "string"),
  },
  FieldsV1: { 1: f("Raw", "rawJson") },
  LabelSelector: { 1: f("matchLabels", "string", map), 2: f("matchExpressions", m("LabelSelectorRequirement"), rep) },
  LabelSelectorRequirement: { 1: f("key", "string"), 2: f("operator", "string"), 3: f("values", "string", rep) },
  DeleteOptions: {
    1: f("gracePeriodSeconds", "int", ptr),
    2: f("preconditions", m("Preconditions")),
    3: f("orphanDependents", "bool", ptr),
    4: f("propagationPolicy", "string"),
    5: f("dryRun", "string", rep),
  },
  Preconditions: { 1: f("uid", "string"), 2: f("resourceVersion", "string") },

  Namespace: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("NamespaceSpec")), 3: f("status", m("NamespaceStatus")) },
  NamespaceSpec: { 1: f("finalizers", "string", rep) },
  NamespaceStatus: { 1: f("phase", "string") },
  ConfigMap: { 1: f("metadata", m("ObjectMeta")), 2: f("data", "string", map), 3: f("binaryData", "bytes", map), 4: f("immutable", "bool", ptr) },
  Secret: {
    1: f("metadata", m("ObjectMeta")),
    2: f("data", "bytes", map),
    3: f("type", "string"),
    4: f("stringData", "string", map),
    5: f("immutable", "bool", ptr),
  },
  ServiceAccount: {
    1: f("metadata", m("ObjectMeta")),
    2: f("secrets", m("ObjectReference"), rep),
    3: f("imagePullSecrets", m("LocalObjectReference"), rep),
    4: f("automountServiceAccountToken", "bool", ptr),
  },
  ObjectReference: {
    1: f("kind", "string"),
    2: f("namespace", "string"),
    3: f("name", "string"),
    4: f("uid", "string"),
    5: f("apiVersion", "string"),
    6: f("resourceVersion", "string"),
    7: f("fieldPath", "string"),
  },
  LocalObjectReference: { 1: f("name", "string") },
  Binding: { 1: f("metadata", m("ObjectMeta")), 2: f("target", m("ObjectReference")) },
  Service: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("ServiceSpec")), 3: f("status", m("ServiceStatus")) },
  ServiceSpec: {
    1: f("ports", m("ServicePort"), rep),
    2: f("selector", "string", map),
    3: f("clusterIP", "string"),
    4: f("type", "string"),
    5: f("externalIPs", "string", rep),
    7: f("sessionAffinity", "string"),
    8: f("loadBalancerIP", "string"),
    9: f("loadBalancerSourceRanges", "string", rep),
    10: f("externalName", "string"),
    11: f("externalTrafficPolicy", "string"),
    12: f("healthCheckNodePort", "int"),
    13: f("publishNotReadyAddresses", "bool"),
  },
  ServicePort: {
    1: f("name", "string"),
    2: f("protocol", "string"),
    3: f("port", "int", ptr),
    4: f("targetPort", "intOrString"),
    5: f("nodePort", "int"),
    6: f("appProtocol", "string"),
  },
  ServiceStatus: {},
  PodTemplateSpec: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("PodSpec")) },
  PodSpec: {
    2: f("containers", m("Container"), rep),
    3: f("restartPolicy", "string"),
    4: f("terminationGracePeriodSeconds", "int", ptr),
    5: f("activeDeadlineSeconds", "int", ptr),
    6: f("dnsPolicy", "string"),
    7: f("nodeSelector", "string", map),
    8: f("serviceAccountName", "string"),
    9: f("serviceAccount", "string"),
    10: f("nodeName", "string"),
    11: f("hostNetwork", "bool"),
    19: f("schedulerName", "string"),
    20: f("initContainers", m("Container"), rep),
  },
  Container: {
    1: f("name", "string"),
    2: f("image", "string"),
    3: f("command", "string", rep),
    4: f("args", "string", rep),
    5: f("workingDir", "string"),
    6: f("ports", m("ContainerPort"), rep),
    7: f("env", m("EnvVar"), rep),
    8: f("resources", m("ResourceRequirements")),
    13: f("terminationMessagePath", "string"),
    14: f("imagePullPolicy", "string"),
    16: f("stdin", "bool"),
    18: f("tty", "bool"),
    20: f("terminationMessagePolicy", "string"),
  },
  ContainerPort: { 1: f("name", "string"), 2: f("hostPort", "int"), 3: f("containerPort", "int", ptr), 4: f("protocol", "string"), 5: f("hostIP", "string") },
  EnvVar: { 1: f("name", "string"), 2: f("value", "string") },
  ResourceRequirements: { 1: f("limits", "quantity", map), 2: f("requests", "quantity", map) },
  Deployment: { 1: f("metadata", m("ObjectMeta")), 2: f("spec", m("DeploymentSpec")), 3: f("status", m("DeploymentStatus")) },
  DeploymentSpec: {
    1: f("replicas", "int", ptr),
    2: f("selector", m("LabelSelector")),
    3: f("template", m("PodTemplateSpec")),
    4: f("strategy", m("DeploymentStrategy")),
    5: f("minReadySeconds", "int"),
    6: f("revisionHistoryLimit", "int", ptr),
    7: f("paused", "bool"),
    9: f("progressDeadlineSeconds", "int", ptr),
  },
  DeploymentStrategy: { 1: f("type", "string"), 2: f("rollingUpdate", m("RollingUpdateDeployment")) },
  RollingUpdateDeployment: { 1: f("maxUnavailable", "intOrString"), 2: f("maxSurge", "intOrString") },
  DeploymentStatus: {},
  Role: { 1: f("metadata", m("ObjectMeta")), 2: f("rules", m("PolicyRule"), rep) },
  ClusterRole: { 1: f("metadata", m("ObjectMeta")), 2: f("rules", m("PolicyRule"), rep) },
  PolicyRule: {
    1: f("verbs", "string", rep),
    2: f("apiGroups", "string", rep),
    3: f("resources", "string", rep),
    4: f("resourceNames", "string", rep),
    5: f("nonResourceURLs", "string", rep),
  },
  RoleBinding: { 1: f("metadata", m("ObjectMeta")), 2: f("subjects", m("Subject"), rep), 3: f("roleRef", m("RoleRef")) },
  ClusterRoleBinding: { 1: f("metadata", m("ObjectMeta")), 2: f("subjects", m("Subject"), rep), 3: f("roleRef", m("RoleRef")) },
  Subject: { 1: f("kind", "string"), 2: f("apiGroup", "string"), 3: f("name", "string"), 4: f("namespace", "string") },
  RoleRef: { 1: f("apiGroup", "string"), 2: f("kind", "string"), 3: f("name", "string") },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length || shift > 63n) throw new Error("truncated varint");
      const b = this.buf[this.pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function int64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

class UnsupportedField extends Error {}

function scalar(type: Scalar, wire: number, r: Reader): unknown {
  switch (type) {
    case "string":
      return r.bytes().toString("utf8");
    case "bytes":
      return r.bytes().toString("base64");
    case "int":
      return int64(r.varint());
    case "bool":
      return r.varint() !== 0n;
    case "rawJson": {
      const raw = r.bytes().toString("utf8");
      return raw === "" ? {} : (JSON.parse(raw) as unknown);
    }
    case "time": {
      const t = decodeMessage(r.bytes(), { 1: f("seconds", "int"), 2: f("nanos", "int") }, "Time");
      const seconds = typeof t["seconds"] === "number" ? t["seconds"] : 0;
      if (seconds === 0) return undefined;
      return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "quantity": {
      const q = decodeMessage(r.bytes(), { 1: f("string", "string") }, "Quantity");
      return q["string"] ?? "0";
    }
    case "intOrString": {
      const body = new Reader(r.bytes());
      let kind = 0;
      let intVal = 0;
      let strVal = "";
      while (!body.done) {
        const key = Number(body.varint());
        const field = key >>> 3;
        if (field === 1) kind = int64(body.varint());
        else if (field === 2) intVal = int64(body.varint());
        else if (field === 3) strVal = body.bytes().toString("utf8");
        else body.skip(key & 7);
      }
      return kind === 1 ? strVal : intVal;
    }
  }
  void wire;
  return undefined;
}

/** Whether an encoded field value (after its key) is a zero: 0, an empty string, or a message of zeros. */
function allZero(wire: number, encoded: Buffer): boolean {
  try {
    const r = new Reader(encoded);
    if (wire === 0) return r.varint() === 0n;
    if (wire === 1 || wire === 5) return encoded.every((b) => b === 0);
    if (wire !== 2) return false;
    const body = new Reader(r.bytes());
    while (!body.done) {
      const key = Number(body.varint());
      const start = body.pos;
      body.skip(key & 7);
      if (!allZero(key & 7, body.buf.subarray(start, body.pos))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function isZero(v: unknown): boolean {
  return v === undefined || v === "" || v === 0 || v === false;
}

function value(type: FieldType, wire: number, r: Reader): unknown {
  if (typeof type === "string") return scalar(type, wire, r);
  const layout = messages[type.message];
  if (layout === undefined) throw new UnsupportedField(type.message);
  return decodeMessage(r.bytes(), layout, type.message);
}

function decodeMessage(buf: Buffer, layout: Readonly<Record<number, Field>>, name: string): JsonObject {
  const r = new Reader(buf);
  const out: JsonObject = {};
  while (!r.done) {
    const key = Number(r.varint());
    const number = key >>> 3;
    const wire = key & 7;
    const field = layout[number];
    if (field === undefined) {
      // Go writes non-pointer fields even at their zero value: such a field says nothing
      const start = r.pos;
      r.skip(wire);
      if (!allZero(wire, r.buf.subarray(start, r.pos))) throw new UnsupportedField(`${name} field ${number}`);
      continue;
    }
    if (field.map === true) {
      const entry = new Reader(r.bytes());
      let k = "";
      let v: unknown;
      while (!entry.done) {
        const ek = Number(entry.varint());
        if (ek >>> 3 === 1) k = entry.bytes().toString("utf8");
        else if (ek >>> 3 === 2) v = value(field.type, ek & 7, entry);
        else entry.skip(ek & 7);
      }
      const target = (out[field.name] ??= {}) as JsonObject;
      target[k] = v ?? (field.type === "string" || field.type === "bytes" ? "" : v);
      continue;
    }
    if (field.repeated === true && wire === 2 && field.type === "int") {
      const packed = new Reader(r.bytes());
      const list = (out[field.name] ??= []) as unknown[];
      while (!packed.done) list.push(int64(packed.varint()));
      continue;
    }
    const v = value(field.type, wire, r);
    if (field.repeated === true) {
      ((out[field.name] ??= []) as unknown[]).push(v);
      continue;
    }
    if (v === undefined || (isZero(v) && field.keepZero !== true)) continue;
    out[field.name] = v;
  }
  return out;
}

/** Whether a body is a Kubernetes protobuf message (by its magic number). */
export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(magic);
}

/**
 * A Kubernetes protobuf body as the JSON object it stands for, with apiVersion and kind from its
 * envelope. Throws 415 for kinds or fields this server cannot decode, 400 for broken bodies.
 */
export function decodeProtobuf(body: Buffer): JsonObject {
  if (!isProtobuf(body)) throw errors.badRequest("the protobuf body does not start with Kubernetes' magic number");
  let envelope: JsonObject;
  try {
    envelope = decodeMessage(body.subarray(4), messages["Unknown"] as Record<number, Field>, "Unknown");
  } catch (err) {
    throw errors.badRequest(`couldn't decode the protobuf body: ${(err as Error).message}`);
  }
  const typeMeta = (envelope["typeMeta"] ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind ?? "";
  const layout = messages[kind];
  if (layout === undefined || kind === "Unknown" || kind === "TypeMeta") {
    throw errors.unsupportedMediaType(`${protobufContentType} (${kind || "no kind"})`, ["application/json", "application/yaml"]);
  }
  try {
    const raw = Buffer.from(typeof envelope["raw"] === "string" ? envelope["raw"] : "", "base64");
    const obj = decodeMessage(raw, layout, kind);
    return { apiVersion: typeMeta.apiVersion ?? "", kind, ...obj };
  } catch (err) {
    if (err instanceof UnsupportedField) {
      throw errors.unsupportedMediaType(`${protobufContentType} (${kind}: ${err.message} is not supported in protobuf; send JSON)`, ["application/json", "application/yaml"]);
    }
    throw errors.badRequest(`couldn't decode the protobuf body: ${(err as Error).message}`);
  }
}
