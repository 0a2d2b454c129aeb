/**
 * The per-kind rules kube-apiserver's registry applies around a write, beyond defaulting
 * (kube's rest strategies): what a create resets, what an update of the main resource or of the
 * status subresource keeps from the stored object, when generation moves, and the pod's QoS
 * class. The API server calls these after applyDefaults and before validate.
 */
import type { Pod } from "./core-pod.js";
import { parseQuantity } from "./quantity.js";
import { deepEqual } from "./validate-meta.js";

type J = Record<string, unknown>;

function isObject(value: unknown): value is J {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function metadataOf(obj: J): J {
  if (!isObject(obj["metadata"])) obj["metadata"] = {};
  return obj["metadata"] as J;
}

/** Kinds whose metadata.generation counts changes of the spec. */
const generationKinds = new Set(["Deployment", "ReplicaSet"]);

/** Kinds whose status is written only through the status subresource. */
const statusKinds = new Set(["Pod", "Node", "Service", "Namespace", "Deployment", "ReplicaSet"]);

/**
 * The pod's QoS class from its containers' cpu and memory requests and limits: Guaranteed when
 * every container limits both and requests equal limits, BestEffort when nothing is requested
 * or limited, Burstable otherwise.
 */
export function podQOSClass(pod: Pod): "Guaranteed" | "Burstable" | "BestEffort" {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of containers) {
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
      const v = parseQuantity(q) ?? 0;
      if ((name === "cpu" || name === "memory") && v > 0) requests.set(name, (requests.get(name) ?? 0) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      const v = parseQuantity(q) ?? 0;
      if ((name === "cpu" || name === "memory") && v > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + v);
      }
    }
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, v] of requests) {
      if (limits.get(name) !== v) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

/**
 * A copy of a new object as kube's strategies prepare it for create: status reset where the
 * status subresource owns it (a pod starts Pending with its QoS class, a namespace Active;
 * others empty, as kube serializes an empty status), generation 1 for kinds that count it, and
 * the "kubernetes" finalizer on namespaces. Nodes keep the status their agent sends.
 */
export function prepareForCreate<T>(kind: string, obj: T): T {
  if (!isObject(obj)) return obj;
  const copy = structuredClone(obj) as J;
  const metadata = metadataOf(copy);
  if (generationKinds.has(kind)) metadata["generation"] = 1;
  switch (kind) {
    case "Pod":
      copy["status"] = { phase: "Pending", qosClass: podQOSClass(copy as Pod) };
      break;
    case "Namespace": {
      copy["status"] = { phase: "Active" };
      const spec = isObject(copy["spec"]) ? copy["spec"] : (copy["spec"] = {});
      const finalizers = Array.isArray((spec as J)["finalizers"]) ? ((spec as J)["finalizers"] as unknown[]) : [];
      if (!finalizers.includes("kubernetes")) finalizers.push("kubernetes");
      (spec as J)["finalizers"] = finalizers;
      break;
    }
    case "Deployment":
      copy["status"] = {};
      break;
    case "ReplicaSet":
      copy["status"] = { replicas: 0 };
      break;
    case "Service":
      copy["status"] = { loadBalancer: {} };
      break;
    default:
      break;
  }
  return copy as T;
}

/**
 * A copy of an updated object as kube's strategies prepare it: through the main resource, the
 * status of kinds with a status subresource stays as stored; through `status`, everything but
 * the status (and the new resourceVersion) stays as stored. Generation moves on when the spec
 * (or, for a Deployment, the annotations) changed.
 */
export function prepareForUpdate<T>(kind: string, obj: T, old: unknown, subresource?: "status"): T {
  if (!isObject(obj) || !isObject(old)) return obj;
  let copy = structuredClone(obj) as J;
  if (subresource === "status") {
    const stored = structuredClone(old);
    const resourceVersion = metadataOf(copy)["resourceVersion"];
    const status = copy["status"];
    copy = stored;
    if (status === undefined) delete copy["status"];
    else copy["status"] = status;
    const metadata = metadataOf(copy);
    if (resourceVersion === undefined) delete metadata["resourceVersion"];
    else metadata["resourceVersion"] = resourceVersion;
    return copy as T;
  }
  if (statusKinds.has(kind)) {
    if (old["status"] === undefined) delete copy["status"];
    else copy["status"] = structuredClone(old["status"]);
  }
  if (generationKinds.has(kind)) {
    const metadata = metadataOf(copy);
    const oldMetadata = isObject(old["metadata"]) ? old["metadata"] : {};
    const oldGeneration = typeof oldMetadata["generation"] === "number" ? oldMetadata["generation"] : 1;
    const changed =
      !deepEqual(copy["spec"], old["spec"]) || (kind === "Deployment" && !deepEqual(metadata["annotations"], oldMetadata["annotations"]));
    metadata["generation"] = changed ? oldGeneration + 1 : oldGeneration;
  }
  return copy as T;
}
