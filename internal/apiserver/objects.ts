/**
 * Objects as stored and as served: JSON in the store without a resourceVersion (the store's
 * mod_revision is the resourceVersion), and the cached, parsed form the API server shares
 * between requests and watchers (never mutated once built).
 */
import type { ResourceInfo } from "../api/index.js";
import type { StoredObject } from "../store/index.js";
import type { JsonObject } from "./json.js";
import { isObject } from "./json.js";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One object as the cache and the handlers hold it. */
export interface CachedObject {
  readonly key: string;
  /** The object, metadata.resourceVersion set. Shared: never mutate; clone first. */
  readonly object: JsonObject;
  readonly rv: number;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** spec.nodeName (pods), "" otherwise: the index of node agents' watches. */
  readonly nodeName: string;
  /** The object's JSON, built on first need and kept. */
  json?: string;
  /** Encoded watch frames of this object as an initial ADDED event, by encoding. */
  frames?: Map<string, Buffer>;
}

export function metadataOf(obj: JsonObject): JsonObject {
  if (!isObject(obj["metadata"])) obj["metadata"] = {};
  return obj["metadata"] as JsonObject;
}

/** Parse a stored value, stamping it with its resourceVersion (and its kind, if missing). */
export function decodeStored(resource: ResourceInfo, value: Uint8Array, resourceVersion: number): JsonObject {
  const obj = JSON.parse(decoder.decode(value)) as JsonObject;
  if (obj["apiVersion"] === undefined) obj["apiVersion"] = resource.groupVersion;
  if (obj["kind"] === undefined) obj["kind"] = resource.kind;
  metadataOf(obj)["resourceVersion"] = String(resourceVersion);
  return obj;
}

/** The bytes to store: the object without its resourceVersion. */
export function encodeForStore(obj: JsonObject): Uint8Array {
  const metadata = isObject(obj["metadata"]) ? { ...obj["metadata"] } : {};
  delete metadata["resourceVersion"];
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

export function cachedObject(key: string, object: JsonObject, rv: number): CachedObject {
  const metadata = metadataOf(object);
  const spec = object["spec"];
  return {
    key,
    object,
    rv,
    namespace: typeof metadata["namespace"] === "string" ? metadata["namespace"] : "",
    name: typeof metadata["name"] === "string" ? metadata["name"] : "",
    labels: isObject(metadata["labels"]) ? (metadata["labels"] as Record<string, string>) : {},
    nodeName: isObject(spec) && typeof spec["nodeName"] === "string" ? spec["nodeName"] : "",
  };
}

export function fromStored(resource: ResourceInfo, stored: StoredObject): CachedObject {
  return cachedObject(stored.key, decodeStored(resource, stored.value, stored.modRevision), stored.modRevision);
}

/** The JSON text of a cached object, built once. */
export function jsonOf(c: CachedObject): string {
  c.json ??= JSON.stringify(c.object);
  return c.json;
}

/** kube's metav1.Time: RFC 3339 in UTC, whole seconds. */
export function nowTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
