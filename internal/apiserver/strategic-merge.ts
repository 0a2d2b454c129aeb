/**
 * Strategic merge patch, as kube-apiserver applies it (apimachinery's strategicpatch with
 * MergeParallelList and IgnoreUnmatchedNulls): maps merge key by key and null deletes; a list
 * merges only where the schema says `x-kubernetes-patch-strategy: merge` (items of maps matched
 * by their merge key, primitives as a set), otherwise it is replaced. Directives:
 * `$patch: replace|delete|merge`, `$setElementOrder/<list>`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<list>`. Item order: `$setElementOrder` first, then the patch, then
 * the live list, as in kube.
 */
import type { JsonObject } from "./json.js";
import { PatchError, clone, isObject, jsonEqual } from "./json.js";

/** The merge metadata of the field at a path of property names (list items entered by name). */
export type PatchMetaLookup = (path: readonly string[]) => { readonly patchStrategy?: string; readonly patchMergeKey?: string } | undefined;

const directive = "$patch";
const setElementOrderPrefix = "$setElementOrder/";
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
const retainKeysDirective = "$retainKeys";

/** Apply a strategic merge patch to a copy of original. */
export function applyStrategicMergePatch<T = JsonObject>(original: unknown, patch: unknown, lookup: PatchMetaLookup): T {
  if (!isObject(patch)) throw new PatchError("BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}");
  const doc = isObject(original) ? clone(original) : {};
  return mergeMap(doc, clone(patch), [], lookup) as T;
}

function strategies(lookup: PatchMetaLookup, path: readonly string[]): { strategy: string; mergeKey: string } {
  const meta = lookup(path);
  const all = (meta?.patchStrategy ?? "").split(",").filter((s) => s !== "" && s !== "retainKeys");
  return { strategy: all[0] ?? "", mergeKey: meta?.patchMergeKey ?? "" };
}

function mergeMap(original: JsonObject, patch: JsonObject, path: readonly string[], lookup: PatchMetaLookup): JsonObject {
  if (directive in patch) {
    const d = patch[directive];
    if (d === "replace") {
      delete patch[directive];
      return stripDirectives(patch, path, lookup) as JsonObject;
    }
    if (d === "delete") return {};
    throw new PatchError("BadRequest", `Unknown patch type: ${String(d)} in map: ${JSON.stringify(patch)}`);
  }
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, path, lookup);
  for (const [rawKey, patchValue] of Object.entries(patch)) {
    let key = rawKey;
    let isDeleteList = false;
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      key = key.slice(deleteFromPrimitiveListPrefix.length);
      isDeleteList = true;
    } else if (key.startsWith("$")) {
      continue;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const fieldPath = [...path, key];
    if (!Object.prototype.hasOwnProperty.call(original, key)) {
      if (!isDeleteList) original[key] = stripDirectives(patchValue, fieldPath, lookup);
      continue;
    }
    const current = original[key];
    const sameKind = (isObject(current) && isObject(patchValue)) || (Array.isArray(current) && Array.isArray(patchValue));
    if (!sameKind) {
      if (!isDeleteList) original[key] = stripDirectives(patchValue, fieldPath, lookup);
      continue;
    }
    const { strategy, mergeKey } = strategies(lookup, fieldPath);
    if (isObject(current)) {
      original[key] = strategy === "replace" ? stripDirectives(patchValue, fieldPath, lookup) : mergeMap(current, patchValue as JsonObject, fieldPath, lookup);
    } else if (isDeleteList) {
      original[key] = (current as unknown[]).filter((v) => !(patchValue as unknown[]).some((d) => jsonEqual(d, v)));
    } else if (strategy === "merge") {
      original[key] = mergeList(current as unknown[], patchValue as unknown[], mergeKey, fieldPath, lookup);
    } else {
      original[key] = stripDirectives(patchValue, fieldPath, lookup);
    }
  }
  return original;
}

/** A value taken from the patch as it is, without directives (as if merged into nothing). */
function stripDirectives(value: unknown, path: readonly string[], lookup: PatchMetaLookup): unknown {
  if (isObject(value)) {
    if (value[directive] === "delete") return {};
    const copy = { ...value };
    delete copy[directive];
    return mergeMap({}, copy, path, lookup);
  }
  if (Array.isArray(value)) {
    const { strategy, mergeKey } = strategies(lookup, path);
    if (strategy === "merge") return mergeList([], value, mergeKey, path, lookup);
    return value.map((v) => (isObject(v) ? stripDirectives(v, path, lookup) : v));
  }
  return value;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(retainKeysDirective in patch)) return;
  const retain = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retain)) throw new PatchError("BadRequest", "invalid patch: $retainKeys must be a list");
  const keep = new Set(retain.map(String));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!keep.has(k)) throw new PatchError("BadRequest", "doesn't match the retainKeys list: the patch sets fields that are not in $retainKeys");
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function itemKey(item: unknown, mergeKey: string): unknown {
  return mergeKey === "" ? item : isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string): number {
  const k = itemKey(item, mergeKey);
  return list.findIndex((x) => jsonEqual(itemKey(x, mergeKey), k));
}

/** kube's normalizeSliceOrder: a stable sort by position in `order`, items not in it first. */
function sortByOrder(items: unknown[], order: readonly unknown[], mergeKey: string): unknown[] {
  const decorated = items.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey) }));
  decorated.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0 && a.at !== b.at) return a.at - b.at;
    return a.i - b.i;
  });
  return decorated.map((d) => d.item);
}

/**
 * kube's normalizeElementOrder and mergeSortedSlice: patch items in `patchOrder`, server-only
 * items in their live order, interleaved by their positions in the live list.
 */
function normalizeOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: readonly unknown[], serverOrder: readonly unknown[], mergeKey: string): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function partition(merged: readonly unknown[], present: readonly unknown[], mergeKey: string): { inPatch: unknown[]; serverOnly: unknown[] } {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const item of merged) (indexIn(present, item, mergeKey) >= 0 ? inPatch : serverOnly).push(item);
  return { inPatch, serverOnly };
}

function checkElementKinds(original: readonly unknown[], patch: readonly unknown[], path: readonly string[]): "map" | "scalar" | "empty" {
  let kind: "map" | "scalar" | "empty" = "empty";
  for (const v of [...original, ...patch]) {
    if (Array.isArray(v)) throw new PatchError("BadRequest", `lists of lists are not supported (at ${path.join(".")})`);
    const k = isObject(v) ? "map" : "scalar";
    if (kind !== "empty" && kind !== k) throw new PatchError("BadRequest", `list ${path.join(".")} mixes maps and scalars`);
    kind = k;
  }
  return kind;
}

/** A list with the merge strategy: kube's mergeSlice. */
function mergeList(original: unknown[], patch: unknown[], mergeKey: string, path: readonly string[], lookup: PatchMetaLookup): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = checkElementKinds(original, patch, path);
  let merged: unknown[];
  let patchItems = patch;
  let base = original;
  if (kind !== "map") {
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => jsonEqual(m, v))) merged.push(v);
    const { inPatch, serverOnly } = partition(merged, patch, "");
    return normalizeOrder(inPatch, serverOnly, patch, original, "");
  }
  if (mergeKey === "") throw new PatchError("BadRequest", `cannot merge lists without merge key for ${path.join(".")}`);
  // special elements: {$patch: delete, key: v} removes the item; {$patch: replace} makes the list the patch's items
  const plain: unknown[] = [];
  let replace = false;
  for (const item of patch) {
    const obj = item as JsonObject;
    if (!(directive in obj)) {
      plain.push(item);
      continue;
    }
    const d = obj[directive];
    if (d === "delete") {
      if (!(mergeKey in obj)) throw new PatchError("BadRequest", `map: ${JSON.stringify(obj)} does not contain declared merge key: ${mergeKey}`);
      base = base.filter((x) => !jsonEqual(itemKey(x, mergeKey), obj[mergeKey]));
    } else if (d === "replace") {
      replace = true;
    } else if (d === "merge") {
      throw new PatchError("BadRequest", "merging lists cannot yet be specified in the patch");
    } else {
      throw new PatchError("BadRequest", `Unknown patch type: ${String(d)} in map: ${JSON.stringify(obj)}`);
    }
  }
  if (replace) {
    base = plain;
    patchItems = [];
  } else {
    patchItems = plain;
  }
  merged = [...base];
  for (const item of patchItems) {
    const obj = item as JsonObject;
    if (!(mergeKey in obj)) throw new PatchError("BadRequest", `map: ${JSON.stringify(obj)} does not contain declared merge key: ${mergeKey}`);
    const at = merged.findIndex((x) => jsonEqual(itemKey(x, mergeKey), obj[mergeKey]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, obj, path, lookup);
    else merged.push(stripDirectives(obj, path, lookup));
  }
  const { inPatch, serverOnly } = partition(merged, patchItems, mergeKey);
  return normalizeOrder(inPatch, serverOnly, patchItems, base, mergeKey);
}

/**
 * `$setElementOrder/<list>`: merge the list (if the patch has it), then order its items: those
 * named in the directive in its order, the others by their live positions (kube's
 * mergePatchIntoOriginal).
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, path: readonly string[], lookup: PatchMetaLookup): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError("BadRequest", `invalid patch: ${key} must be a list`);
    const name = key.slice(setElementOrderPrefix.length);
    const fieldPath = [...path, name];
    const { mergeKey } = strategies(lookup, fieldPath);
    const hasOriginal = Array.isArray(original[name]);
    const hasPatch = Array.isArray(patch[name]);
    const originalList = hasOriginal ? (original[name] as unknown[]) : [];
    let merged: unknown[];
    if (hasOriginal && hasPatch) merged = mergeList(originalList, patch[name] as unknown[], mergeKey, fieldPath, lookup);
    else if (hasOriginal) merged = originalList;
    else if (hasPatch) merged = stripDirectives(patch[name], fieldPath, lookup) as unknown[];
    else continue;
    if (hasPatch) {
      for (const item of patch[name] as unknown[]) {
        if (isObject(item) && item[directive] !== undefined) continue;
        if (indexIn(order, item, mergeKey) < 0) throw new PatchError("BadRequest", `invalid patch: ${name} has items that ${key} does not list`);
      }
    }
    const { inPatch, serverOnly } = partition(merged, order, mergeKey);
    original[name] = normalizeOrder(inPatch, serverOnly, order, originalList, mergeKey);
    delete patch[name];
  }
}
