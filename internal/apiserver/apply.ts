/**
 * Managed fields and server-side apply. Every write records which manager set which fields
 * (`metadata.managedFields`): an Update takes the fields it changed from whoever had them; an
 * Apply (`application/apply-patch+yaml`) owns exactly the fields of its configuration, merges
 * them into the live object, removes the fields it applied before and no longer does (unless
 * another manager owns them), and conflicts with other managers over fields it would change,
 * unless forced.
 */
import type { ManagedFieldsEntry, StatusCause } from "../api/index.js";
import type { FieldSet } from "./fieldset.js";
import { describePath, fieldSetOf, fromFieldsV1, itemElement, joinPath, locate, removeAt, splitPath, toFieldsV1 } from "./fieldset.js";
import type { JsonObject } from "./json.js";
import { clone, isObject, jsonEqual } from "./json.js";
import { patchMetaAt } from "../api/index.js";

export interface ManagedEntry {
  readonly manager: string;
  readonly operation: "Apply" | "Update";
  readonly apiVersion: string;
  time: string;
  readonly subresource: string;
  set: FieldSet;
}

function metadataOf(obj: JsonObject): JsonObject {
  if (!isObject(obj["metadata"])) obj["metadata"] = {};
  return obj["metadata"] as JsonObject;
}

/** The managed fields of an object, decoded. */
export function decodeManagedFields(obj: unknown): ManagedEntry[] {
  const list = isObject(obj) && isObject(obj["metadata"]) ? obj["metadata"]["managedFields"] : undefined;
  if (!Array.isArray(list)) return [];
  return (list as ManagedFieldsEntry[]).map((e) => ({
    manager: e.manager ?? "",
    operation: e.operation === "Apply" ? "Apply" : "Update",
    apiVersion: e.apiVersion ?? "",
    time: e.time ?? "",
    subresource: e.subresource ?? "",
    set: fromFieldsV1(e.fieldsV1),
  }));
}

function encode(entries: readonly ManagedEntry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: "FieldsV1",
      fieldsV1: toFieldsV1(e.set),
      ...(e.subresource === "" ? {} : { subresource: e.subresource }),
    }));
}

function setManagedFields(obj: JsonObject, entries: readonly ManagedEntry[]): void {
  const encoded = encode(entries);
  const metadata = metadataOf(obj);
  if (encoded.length === 0) delete metadata["managedFields"];
  else metadata["managedFields"] = encoded;
}

function withoutSubtree(set: FieldSet, remove: FieldSet): FieldSet {
  return new Set([...set].filter((p) => !remove.has(p)));
}

export interface UpdateContext {
  readonly kind: string;
  /** The objects' apiVersion ("apps/v1"). */
  readonly apiVersion: string;
  readonly manager: string;
  /** "" for the main resource, "status" or "scale". */
  readonly subresource: string;
  /** Leave status out of field sets (main resource of a kind with a status subresource). */
  readonly withoutStatus: boolean;
  /** The managers' time stamp. */
  readonly now: string;
}

/** Entries to start from: the live object's, or one owning everything for objects without any. */
function liveEntries(ctx: UpdateContext, live: JsonObject | undefined): ManagedEntry[] {
  if (live === undefined) return [];
  const entries = decodeManagedFields(live);
  if (entries.length > 0) return entries;
  const set = fieldSetOf(ctx.kind, live, { withoutStatus: ctx.withoutStatus });
  if (set.size === 0) return [];
  return [{ manager: "before-first-apply", operation: "Update", apiVersion: ctx.apiVersion, time: ctx.now, subresource: "", set }];
}

/**
 * Record an Update (create, update, non-apply patch) in the new object's managed fields: the
 * manager takes every field whose value it changed; fields it removed leave every manager. A
 * request that sets managedFields itself keeps what it sent (kube honours explicit changes).
 */
export function recordUpdate(ctx: UpdateContext, old: JsonObject | undefined, updated: JsonObject): void {
  const sent = metadataOf(updated)["managedFields"];
  const before = old === undefined ? undefined : metadataOf(old)["managedFields"];
  if (old !== undefined && sent !== undefined && !jsonEqual(sent, before)) return;
  if (old === undefined && Array.isArray(sent) && sent.length > 0) return;
  const oldSet = old === undefined ? new Set<string>() : fieldSetOf(ctx.kind, old, { withoutStatus: ctx.withoutStatus });
  const newSet = fieldSetOf(ctx.kind, updated, { withoutStatus: ctx.withoutStatus });
  const changed: FieldSet = new Set();
  for (const p of newSet) {
    if (!oldSet.has(p)) {
      changed.add(p);
      continue;
    }
    const elements = splitPath(p);
    const last = elements[elements.length - 1] ?? "";
    if (last.startsWith("k:") || last.startsWith("v:")) continue;
    if (!jsonEqual(locate(old, elements).value, locate(updated, elements).value)) changed.add(p);
  }
  const removed: FieldSet = new Set([...oldSet].filter((p) => !newSet.has(p)));
  const entries = liveEntries(ctx, old);
  let mine = entries.find((e) => e.manager === ctx.manager && e.operation === "Update" && e.subresource === ctx.subresource);
  for (const e of entries) {
    if (e === mine) continue;
    e.set = withoutSubtree(withoutSubtree(e.set, changed), removed);
  }
  if (mine === undefined && changed.size > 0) {
    mine = { manager: ctx.manager, operation: "Update", apiVersion: ctx.apiVersion, time: ctx.now, subresource: ctx.subresource, set: new Set() };
    entries.push(mine);
  }
  if (mine !== undefined) {
    mine.set = new Set([...withoutSubtree(mine.set, removed), ...changed]);
    if (changed.size > 0) mine.time = ctx.now;
  }
  setManagedFields(updated, entries);
}

/** Merge an applied configuration into the live object: granular where the schema says so. */
function mergeApplied(kind: string, live: unknown, applied: unknown, schemaPath: string[]): unknown {
  if (isObject(applied) && isObject(live)) {
    const meta = schemaPath.length === 0 ? undefined : patchMetaAt(kind, schemaPath);
    if (meta !== undefined && (meta.mapType === "atomic" || meta.shape === "free-form")) return clone(applied);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      if (v === null || v === undefined) continue;
      out[k] = mergeApplied(kind, live[k], v, [...schemaPath, k]);
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const meta = patchMetaAt(kind, schemaPath);
    const keys = meta?.listType === "map" ? (meta.listMapKeys ?? (meta.patchMergeKey === undefined ? [] : [meta.patchMergeKey])) : meta?.listType === undefined && meta?.patchMergeKey !== undefined ? [meta.patchMergeKey] : [];
    if (keys.length > 0 && applied.every(isObject) && live.every(isObject)) {
      const out: unknown[] = [...live];
      for (const item of applied) {
        const id = itemElement(item, keys);
        const at = out.findIndex((x) => itemElement(x, keys) === id);
        if (at >= 0) out[at] = mergeApplied(kind, out[at], item, schemaPath);
        else out.push(clone(item));
      }
      return out;
    }
    if (meta?.listType === "set") {
      const out = [...live];
      for (const item of applied) if (!out.some((x) => jsonEqual(x, item))) out.push(clone(item));
      return out;
    }
  }
  return clone(applied);
}

function stripNullsDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNullsDeep);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNullsDeep(v);
  return out;
}

/** Remove objects left empty by removals, up from a removed path, unless someone owns them. */
function pruneEmptyParents(obj: JsonObject, elements: readonly string[], owned: (path: string) => boolean): void {
  for (let n = elements.length - 1; n >= 2; n--) {
    const parentPath = elements.slice(0, n);
    const l = locate(obj, parentPath);
    if (!l.found) continue;
    const empty = (isObject(l.value) && Object.keys(l.value).length === 0) || (Array.isArray(l.value) && l.value.length === 0);
    if (!empty || owned(joinPath(parentPath))) return;
    removeAt(obj, parentPath);
  }
}

/** Whether a path names a key field of a keyed list item (`...k:{"name":"a"}.f:name`): never removed alone. */
function isKeyField(elements: readonly string[]): boolean {
  const last = elements[elements.length - 1] ?? "";
  const parent = elements[elements.length - 2] ?? "";
  if (!last.startsWith("f:") || !parent.startsWith("k:")) return false;
  return Object.prototype.hasOwnProperty.call(JSON.parse(parent.slice(2)) as object, last.slice(2));
}

export interface ApplyResult {
  /** The live object with the configuration applied and managed fields updated. */
  readonly object: JsonObject;
}

export class ApplyConflictError extends Error {
  override readonly name = "ApplyConflictError";
  constructor(
    message: string,
    readonly causes: StatusCause[],
  ) {
    super(message);
  }
}

/**
 * Server-side apply of `applied` (a configuration) by ctx.manager onto `live` (undefined to
 * create). Throws ApplyConflictError when another manager owns a field the configuration would
 * change, unless `force`, which takes the fields over.
 */
export function serverSideApply(ctx: UpdateContext, live: JsonObject | undefined, appliedRaw: JsonObject, force: boolean): ApplyResult {
  const applied = stripNullsDeep(appliedRaw) as JsonObject;
  const appliedSet = fieldSetOf(ctx.kind, applied, { withoutStatus: ctx.withoutStatus });
  const entries = liveEntries(ctx, live);
  const base = live === undefined ? {} : clone(live);

  // conflicts: another manager owns a leaf this configuration sets to a different value
  const conflicts = new Map<ManagedEntry, string[]>();
  for (const p of appliedSet) {
    const elements = splitPath(p);
    const last = elements[elements.length - 1] ?? "";
    if (last.startsWith("k:") || last.startsWith("v:")) continue;
    const current = locate(base, elements);
    if (!current.found || jsonEqual(current.value, locate(applied, elements).value)) continue;
    for (const e of entries) {
      if (e.manager === ctx.manager && e.operation === "Apply") continue;
      if (e.set.has(p)) conflicts.set(e, [...(conflicts.get(e) ?? []), p]);
    }
  }
  if (conflicts.size > 0 && !force) {
    const causes: StatusCause[] = [];
    const parts: string[] = [];
    let count = 0;
    for (const [e, paths] of conflicts) {
      count += paths.length;
      const who = `${JSON.stringify(e.manager)}${e.subresource === "" ? "" : ` with subresource ${JSON.stringify(e.subresource)}`} using ${e.apiVersion}`;
      for (const p of paths) causes.push({ reason: "FieldManagerConflict", message: `conflict with ${who}`, field: describePath(p) });
      parts.push(
        paths.length === 1 ? `conflict with ${who}: ${describePath(paths[0] as string)}` : `conflicts with ${who}:\n${paths.map((p) => `- ${describePath(p)}`).join("\n")}`,
      );
    }
    throw new ApplyConflictError(`Apply failed with ${count} conflict${count === 1 ? "" : "s"}: ${parts.join("\n")}`, causes);
  }
  for (const [e, paths] of conflicts) e.set = withoutSubtree(e.set, new Set(paths));

  const merged = mergeApplied(ctx.kind, base, applied, []) as JsonObject;

  // fields this manager applied before and no longer does go, unless someone else owns them
  let mine = entries.find((e) => e.manager === ctx.manager && e.operation === "Apply" && e.subresource === ctx.subresource);
  const others = entries.filter((e) => e !== mine);
  const ownedByOthers = (path: string): boolean => others.some((e) => e.set.has(path) || [...e.set].some((q) => q.startsWith(`${path}\u0000`)));
  if (mine !== undefined) {
    // shallowest first: an item goes whole, before its key fields could be taken from it
    const dropped = [...mine.set].filter((p) => !appliedSet.has(p)).sort((a, b) => splitPath(a).length - splitPath(b).length);
    for (const p of dropped) {
      if (ownedByOthers(p) || appliedSet.has(p)) continue;
      const elements = splitPath(p);
      if (isKeyField(elements)) continue;
      removeAt(merged, elements);
      pruneEmptyParents(merged, elements, (q) => ownedByOthers(q) || appliedSet.has(q) || [...appliedSet].some((a) => a.startsWith(`${q}\u0000`)));
    }
  }
  if (mine === undefined) {
    mine = { manager: ctx.manager, operation: "Apply", apiVersion: ctx.apiVersion, time: ctx.now, subresource: ctx.subresource, set: appliedSet };
    entries.push(mine);
  } else {
    mine.set = appliedSet;
    mine.time = ctx.now;
  }
  const metadata = metadataOf(merged);
  delete metadata["managedFields"];
  setManagedFields(merged, entries);
  return { object: merged };
}
