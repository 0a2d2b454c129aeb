/**
 * Field sets: which fields of an object a manager owns, as server-side apply tracks them in
 * `metadata.managedFields[].fieldsV1`. A path is a list of elements: `f:<field>` for a field of
 * a struct or key of a map, `k:{"name":"web"}` for an item of an associative list (by its map
 * keys), `v:"x"` for an item of a set. Leaves are scalars, atomic lists and maps, and empty
 * objects; items of keyed lists and sets are members of the set themselves (fieldsV1's ".").
 * How lists and maps are keyed comes from the kind's schema (internal/api patchMetaAt).
 */
import { patchMetaAt } from "../api/index.js";
import type { JsonObject } from "./json.js";
import { isObject, jsonEqual } from "./json.js";

const sep = "\u0000";

/** A set of field paths, each encoded as its elements joined by NUL. */
export type FieldSet = Set<string>;

/** Top-level and metadata fields the server owns: never tracked. */
const untrackedMetadata = new Set(["resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"]);

interface ListShape {
  readonly type: "map" | "set" | "atomic";
  readonly keys: readonly string[];
}

function listShape(kind: string, schemaPath: readonly string[]): ListShape {
  const meta = patchMetaAt(kind, schemaPath);
  if (meta?.listType === "map") return { type: "map", keys: meta.listMapKeys ?? (meta.patchMergeKey === undefined ? [] : [meta.patchMergeKey]) };
  if (meta?.listType === "set") return { type: "set", keys: [] };
  if (meta?.listType === undefined && meta?.patchMergeKey !== undefined) return { type: "map", keys: [meta.patchMergeKey] };
  return { type: "atomic", keys: [] };
}

/** Whether an object-valued field is granular (its fields are tracked one by one). */
function granularObject(kind: string, schemaPath: readonly string[]): boolean {
  if (schemaPath.length === 0) return true;
  const meta = patchMetaAt(kind, schemaPath);
  if (meta === undefined) return true;
  return (meta.shape === "object" || meta.shape === "map") && meta.mapType !== "atomic";
}

/**
 * Defaults of list map keys that may be left out (ports' protocol): an item without one is the
 * same item as one with the default, as kube's structured merge treats keys with defaults.
 */
const keyDefaults: Readonly<Record<string, unknown>> = { protocol: "TCP" };

/** The `k:` element of an item: its map keys, sorted, as JSON. */
export function itemElement(item: unknown, keys: readonly string[]): string {
  const picked: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = isObject(item) ? (item[k] ?? keyDefaults[k]) : undefined;
    if (v !== undefined) picked[k] = v;
  }
  return `k:${JSON.stringify(picked)}`;
}

function walk(kind: string, value: unknown, schemaPath: string[], path: string[], out: FieldSet): void {
  if (isObject(value)) {
    if (!granularObject(kind, schemaPath) || Object.keys(value).length === 0) {
      out.add(path.join(sep));
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      walk(kind, v, [...schemaPath, k], [...path, `f:${k}`], out);
    }
    return;
  }
  if (Array.isArray(value)) {
    const shape = listShape(kind, schemaPath);
    if (shape.type === "map" && shape.keys.length > 0 && value.every(isObject)) {
      for (const item of value as JsonObject[]) {
        const itemPath = [...path, itemElement(item, shape.keys)];
        out.add(itemPath.join(sep));
        for (const [k, v] of Object.entries(item)) {
          if (v === undefined) continue;
          walk(kind, v, [...schemaPath, k], [...itemPath, `f:${k}`], out);
        }
      }
      return;
    }
    if (shape.type === "set") {
      for (const item of value) out.add([...path, `v:${JSON.stringify(item)}`].join(sep));
      return;
    }
  }
  out.add(path.join(sep));
}

export interface FieldSetOptions {
  /** Leave out `status` (writes to the main resource of kinds with a status subresource). */
  readonly withoutStatus?: boolean;
}

/** The fields set in an object, as a field set (server-owned metadata left out). */
export function fieldSetOf(kind: string, obj: unknown, options: FieldSetOptions = {}): FieldSet {
  const out: FieldSet = new Set();
  if (!isObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || k === "apiVersion" || k === "kind") continue;
    if (k === "status" && options.withoutStatus === true) continue;
    if (k === "metadata" && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (mv === undefined || untrackedMetadata.has(mk) || mk === "name" || mk === "namespace") continue;
        walk(kind, mv, ["metadata", mk], ["f:metadata", `f:${mk}`], out);
      }
      continue;
    }
    walk(kind, v, [k], [`f:${k}`], out);
  }
  return out;
}

export function splitPath(path: string): string[] {
  return path === "" ? [] : path.split(sep);
}

export function joinPath(elements: readonly string[]): string {
  return elements.join(sep);
}

/** fieldsV1 JSON: nested objects keyed by element, "." marking a member that has children. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const path of [...set].sort()) {
    let node = root;
    for (const e of splitPath(path)) {
      if (!isObject(node[e])) node[e] = {};
      node = node[e] as JsonObject;
    }
  }
  // members with children get "."
  for (const path of set) {
    let node: JsonObject | undefined = root;
    for (const e of splitPath(path)) node = isObject(node?.[e]) ? (node[e] as JsonObject) : undefined;
    if (node !== undefined && Object.keys(node).length > 0 && !("." in node)) node["."] = {};
  }
  return sortKeys(root);
}

function sortKeys(node: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(node).sort()) out[k] = isObject(node[k]) ? sortKeys(node[k] as JsonObject) : node[k];
  return out;
}

/** The field set a fieldsV1 value describes. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const visit = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (path.length > 0 && (keys.length === 0 || keys.includes("."))) out.add(path.join(sep));
    for (const k of keys) if (k !== ".") visit(node[k], [...path, k]);
  };
  visit(fields, []);
  return out;
}

interface Located {
  readonly found: boolean;
  readonly value?: unknown;
  readonly parent?: unknown;
  readonly at?: string | number;
}

/** The value at a path of elements. */
export function locate(obj: unknown, elements: readonly string[]): Located {
  let cur: unknown = obj;
  let parent: unknown;
  let at: string | number | undefined;
  for (const e of elements) {
    parent = cur;
    if (e.startsWith("f:")) {
      if (!isObject(cur)) return { found: false };
      at = e.slice(2);
      if (!Object.prototype.hasOwnProperty.call(cur, at)) return { found: false };
      cur = cur[at];
    } else if (e.startsWith("k:")) {
      if (!Array.isArray(cur)) return { found: false };
      const keys = JSON.parse(e.slice(2)) as JsonObject;
      const i = cur.findIndex((item) => isObject(item) && Object.entries(keys).every(([k, v]) => jsonEqual(item[k] ?? keyDefaults[k], v)));
      if (i < 0) return { found: false };
      at = i;
      cur = cur[i];
    } else if (e.startsWith("v:")) {
      if (!Array.isArray(cur)) return { found: false };
      const v = JSON.parse(e.slice(2)) as unknown;
      const i = cur.findIndex((item) => jsonEqual(item, v));
      if (i < 0) return { found: false };
      at = i;
      cur = cur[i];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur, parent, ...(at === undefined ? {} : { at }) };
}

/** Remove the field or item at a path, if present. */
export function removeAt(obj: unknown, elements: readonly string[]): void {
  const l = locate(obj, elements);
  if (!l.found || l.at === undefined) return;
  if (Array.isArray(l.parent) && typeof l.at === "number") l.parent.splice(l.at, 1);
  else if (isObject(l.parent) && typeof l.at === "string") delete l.parent[l.at];
}

/** `.spec.containers[name="web"].image`: a path as apply conflicts name it. */
export function describePath(path: string): string {
  return splitPath(path)
    .map((e) => {
      if (e.startsWith("f:")) return `.${e.slice(2)}`;
      if (e.startsWith("k:")) {
        const keys = JSON.parse(e.slice(2)) as JsonObject;
        return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
      }
      return `[=${e.slice(2)}]`;
    })
    .join("");
}
