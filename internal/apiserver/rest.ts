/**
 * The REST semantics of every resource, over the store and the watch caches: create (names,
 * uid, timestamps, defaults, validation), get and list (from the store, or from the cache at
 * resourceVersion "0" or a given one), update as compare-and-swap on the resourceVersion,
 * patch (JSON, merge, strategic merge, server-side apply), delete (preconditions, grace
 * periods, finalizers, propagation), deletecollection, and the status, scale and binding
 * subresources. Everything that goes wrong is an ApiError with kube's Status.
 */
import { randomInt, randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import type { DeleteOptions, ResourceInfo } from "../api/index.js";
import {
  applyDefaults,
  applyPodAdmissionDefaults,
  findUnknownFields,
  formatLabelSelector,
  generateName,
  patchMetaAt,
  prepareForCreate,
  prepareForUpdate,
  resourceForKind,
  storageKey,
  storagePrefix,
  validate,
} from "../api/index.js";
import type { Logger } from "../observability/index.js";
import type { Store, StoredObject } from "../store/index.js";
import { RevisionCompactedError } from "../store/index.js";
import type { UpdateContext } from "./apply.js";
import { ApplyConflictError, recordUpdate, serverSideApply } from "./apply.js";
import type { JsonObject } from "./json.js";
import { PatchError, clone, isObject, jsonEqual, stringOr } from "./json.js";
import { applyJsonPatch } from "./json-patch.js";
import { applyMergePatch } from "./merge-patch.js";
import type { CachedObject } from "./objects.js";
import { decodeStored, encodeForStore, metadataOf, nowTimestamp } from "./objects.js";
import { pruneUnknownFields } from "./prune.js";
import type { FieldRequirement, LabelRequirement } from "./selectors.js";
import { fieldsSatisfy, labelsSatisfy } from "./selectors.js";
import { ApiError, errors } from "./status.js";
import type { Propagation } from "./gc.js";
import { GarbageCollector, finalizersOf, foregroundFinalizer, orphanFinalizer } from "./gc.js";
import { applyStrategicMergePatch } from "./strategic-merge.js";
import type { WatchCache } from "./watch-cache.js";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** One request's target and options, as the HTTP layer parsed them. */
export interface RequestScope {
  readonly resource: ResourceInfo;
  /** The request's namespace (namespaced resources; undefined across all namespaces). */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly fieldManager: string;
  readonly fieldValidation: FieldValidation;
  readonly dryRun: boolean;
  /** Warnings for the client (`Warning:` headers). */
  readonly warnings: string[];
}

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface ListQuery {
  readonly labels: readonly LabelRequirement[];
  readonly fields: readonly FieldRequirement[];
  readonly limit: number;
  readonly continueToken: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly resourceVersionMatch: string | undefined;
}

export interface ListResult {
  readonly items: readonly JsonObject[];
  /** The same items as the cache holds them (with their JSON), when the list came from the cache. */
  readonly cached?: readonly CachedObject[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

export interface WriteResult {
  readonly object: JsonObject;
  /** 201 for a creation, 202 for a deletion left pending, 200 otherwise. */
  readonly code: number;
}

/** What the REST layer needs from the server. */
export interface RestDependencies {
  readonly store: Store;
  readonly caches: ReadonlyMap<string, WatchCache>;
  readonly logger: Logger;
  /** How long a request waits for a cache to be ready. */
  readonly cacheReadyTimeoutMs: number;
}

/** Namespaces the server creates at start and refuses to delete. */
export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];
const undeletableNamespaces = new Set(["default", "kube-system", "kube-public"]);

const maxRetries = 10;

interface Current {
  readonly object: JsonObject;
  readonly stored: StoredObject;
}


/** The label selector of a Scale's status: the workload's selector in query form. */
function selectorString(obj: JsonObject): string {
  const spec = isObject(obj["spec"]) ? obj["spec"] : {};
  const selector = spec["selector"];
  if (!isObject(selector)) return "";
  return formatLabelSelector(selector as never);
}

/** kube's list continuation token: base64 of {"v","rv","start"}, start relative to the list prefix. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64");
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { v?: string; rv?: number; start?: string };
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string" || t.start.includes("..")) throw new Error("bad");
    return { rv: t.rv, start: t.start };
  } catch {
    throw errors.badRequest(`continue key is not valid: the continue parameter is not a token this server made`);
  }
}

export function parseResourceVersion(raw: string, what = "resourceVersion"): number {
  if (!/^\d+$/.test(raw)) throw errors.badRequest(`invalid ${what}: ${JSON.stringify(raw)} is not a resource version`);
  return Number(raw);
}

function matchesQuery(kind: string, q: Pick<ListQuery, "labels" | "fields">, obj: JsonObject): boolean {
  const labels = isObject(metadataOf(obj)["labels"]) ? (metadataOf(obj)["labels"] as Record<string, string>) : {};
  return labelsSatisfy(q.labels, labels) && fieldsSatisfy(kind, q.fields, obj);
}

/** A random IPv4 address in 10.96.0.0/12 that no service holds yet. */
function allocateClusterIp(taken: ReadonlySet<string>): string {
  for (;;) {
    const n = randomInt(2, 2 ** 20 - 1);
    const ip = `10.${96 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
    if (!taken.has(ip) && !ip.endsWith(".0") && !ip.endsWith(".255")) return ip;
  }
}

/**
 * kube's Service update keeps what its allocators gave out when the update leaves it out: the
 * cluster IPs and the node ports of the ports that remain.
 */
function keepAllocations(old: JsonObject, updated: JsonObject): void {
  const oldSpec = isObject(old["spec"]) ? old["spec"] : {};
  const spec = isObject(updated["spec"]) ? updated["spec"] : (updated["spec"] = {});
  if ((spec["clusterIP"] === undefined || spec["clusterIP"] === "") && oldSpec["clusterIP"] !== undefined && spec["type"] !== "ExternalName") {
    spec["clusterIP"] = oldSpec["clusterIP"];
  }
  if ((!Array.isArray(spec["clusterIPs"]) || spec["clusterIPs"].length === 0) && oldSpec["clusterIPs"] !== undefined && spec["clusterIP"] === oldSpec["clusterIP"]) {
    spec["clusterIPs"] = oldSpec["clusterIPs"];
  }
  if (Array.isArray(spec["ports"]) && Array.isArray(oldSpec["ports"]) && (spec["type"] === "NodePort" || spec["type"] === "LoadBalancer")) {
    for (const p of spec["ports"] as unknown[]) {
      if (!isObject(p) || p["nodePort"] !== undefined) continue;
      const before = (oldSpec["ports"] as unknown[]).find((q) => isObject(q) && q["port"] === p["port"] && (q["protocol"] ?? "TCP") === (p["protocol"] ?? "TCP"));
      if (isObject(before) && before["nodePort"] !== undefined) p["nodePort"] = before["nodePort"];
    }
  }
}

export class Rest {
  private readonly gc: GarbageCollector;

  constructor(private readonly deps: RestDependencies) {
    this.gc = new GarbageCollector({
      caches: deps.caches,
      logger: deps.logger,
      ops: {
        read: async (resource, key) => (await this.read(resource, key))?.object,
        delete: (resource, obj, propagation) => this.deleteQuietly(resource, obj, propagation),
        edit: (resource, obj, edit) => this.editQuietly(resource, obj, edit),
      },
    });
  }

  /** Stop the background work (garbage collection) this replica does. */
  stop(): void {
    this.gc.stop();
  }

  cache(resource: ResourceInfo): WatchCache {
    const c = this.deps.caches.get(resource.plural);
    if (c === undefined) throw errors.internal(`no watch cache for ${resource.plural}`);
    return c;
  }

  private key(scope: Pick<RequestScope, "resource" | "namespace">, name: string): string {
    return storageKey(scope.resource, scope.namespace, name);
  }

  private async read(resource: ResourceInfo, key: string): Promise<Current | undefined> {
    const r = await this.deps.store.get(key);
    if (r.object === undefined) return undefined;
    return { object: decodeStored(resource, r.object.value, r.object.modRevision), stored: r.object };
  }

  private async mustRead(scope: RequestScope, name: string): Promise<Current> {
    const current = await this.read(scope.resource, this.key(scope, name));
    if (current === undefined) throw errors.notFound(scope.resource, name);
    return current;
  }

  // ---- decoding and field validation ------------------------------------------------------

  /**
   * Check an incoming object's kind, apiVersion and unknown fields (Strict: 400; Warn:
   * warnings; Ignore: silently) and drop the unknown ones.
   */
  checkFields(scope: RequestScope, kind: string, obj: JsonObject): void {
    const unknown = findUnknownFields(kind, obj);
    if (unknown.length === 0) return;
    if (scope.fieldValidation === "Strict") {
      throw errors.badRequest(`strict decoding error: ${unknown.map((p) => `unknown field ${JSON.stringify(p)}`).join(", ")}`);
    }
    if (scope.fieldValidation === "Warn") for (const p of unknown) scope.warnings.push(`unknown field ${JSON.stringify(p)}`);
    pruneUnknownFields(kind, obj);
  }

  /** Fill or check apiVersion and kind against what the URL names. */
  checkTypeMeta(obj: JsonObject, groupVersion: string, kind: string): void {
    const apiVersion = obj["apiVersion"];
    const k = obj["kind"];
    if (apiVersion !== undefined && apiVersion !== "" && apiVersion !== groupVersion) {
      throw errors.badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${groupVersion})`);
    }
    if (k !== undefined && k !== "" && k !== kind) {
      throw errors.badRequest(`the kind in the data (${String(k)}) does not match the expected kind (${kind})`);
    }
    obj["apiVersion"] = groupVersion;
    obj["kind"] = kind;
  }

  private checkNamespace(scope: RequestScope, obj: JsonObject): void {
    const metadata = metadataOf(obj);
    if (!scope.resource.namespaced) {
      delete metadata["namespace"];
      return;
    }
    const ns = metadata["namespace"];
    if (ns !== undefined && ns !== "" && ns !== scope.namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    metadata["namespace"] = scope.namespace;
  }

  /** kube's NamespaceLifecycle admission: creations need a namespace that exists and is not terminating. */
  private async checkNamespaceOpen(scope: RequestScope): Promise<void> {
    if (!scope.resource.namespaced || scope.namespace === undefined) return;
    const namespaces = resourceForKind("Namespace");
    let ns = this.deps.caches.get("namespaces")?.get(storageKey(namespaces, undefined, scope.namespace))?.object;
    if (ns === undefined) ns = (await this.read(namespaces, storageKey(namespaces, undefined, scope.namespace)))?.object;
    if (ns === undefined) throw errors.notFound(namespaces, scope.namespace);
    if (metadataOf(ns)["deletionTimestamp"] !== undefined) {
      throw errors.forbidden(scope.resource, stringOr(scope.name), `unable to create new content in namespace ${scope.namespace} because it is being terminated`);
    }
  }

  private updateContext(scope: RequestScope, kind = scope.resource.kind, apiVersion = scope.resource.groupVersion): UpdateContext {
    return {
      kind,
      apiVersion,
      manager: scope.fieldManager,
      subresource: scope.subresource ?? "",
      withoutStatus: scope.resource.hasStatus && scope.subresource !== "status",
      now: nowTimestamp(),
    };
  }

  // ---- create ----------------------------------------------------------------------------

  async create(scope: RequestScope, body: JsonObject): Promise<WriteResult> {
    const { resource } = scope;
    this.checkTypeMeta(body, resource.groupVersion, resource.kind);
    this.checkFields(scope, resource.kind, body);
    return this.createChecked(scope, body, false);
  }

  private async allocate(resource: ResourceInfo, obj: JsonObject): Promise<void> {
    if (resource.kind !== "Service") return;
    const spec = isObject(obj["spec"]) ? obj["spec"] : (obj["spec"] = {});
    if (spec["type"] === "ExternalName") return;
    if (spec["clusterIP"] === undefined || spec["clusterIP"] === "") {
      const cache = this.deps.caches.get("services");
      const taken = new Set<string>();
      for (const s of cache?.values() ?? []) taken.add(stringOr((s.object["spec"] as JsonObject | undefined)?.["clusterIP"]));
      const ip = allocateClusterIp(taken);
      spec["clusterIP"] = ip;
      spec["clusterIPs"] = [ip];
    } else if (spec["clusterIPs"] === undefined) {
      spec["clusterIPs"] = [spec["clusterIP"]];
    }
    if ((spec["type"] === "NodePort" || spec["type"] === "LoadBalancer") && Array.isArray(spec["ports"])) {
      for (const p of spec["ports"] as JsonObject[]) if (isObject(p) && p["nodePort"] === undefined) p["nodePort"] = randomInt(30000, 32768);
    }
  }

  /** The create pipeline, after decoding: names, system fields, defaults, strategy, validation, store. */
  private async createChecked(scope: RequestScope, incoming: JsonObject, managedAlready: boolean): Promise<WriteResult> {
    const { resource } = scope;
    let obj = incoming;
    this.checkNamespace(scope, obj);
    const metadata = metadataOf(obj);
    if (stringOr(metadata["resourceVersion"]) !== "") throw errors.badRequest("resourceVersion should not be set on objects to be created");
    const generate = stringOr(metadata["generateName"]);
    if (stringOr(metadata["name"]) === "" && generate !== "") metadata["name"] = generateName(generate);
    for (const f of ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"]) delete metadata[f];
    const name = stringOr(metadata["name"]);
    if (name !== "") await this.checkNamespaceOpen({ ...scope, name });
    obj = applyDefaults(resource.kind, obj);
    // the creator owns what it sent and the defaults, not what admission and allocation add (as in kube)
    if (!managedAlready) recordUpdate({ ...this.updateContext(scope), withoutStatus: resource.hasStatus }, undefined, obj);
    if (resource.kind === "Pod") obj = applyPodAdmissionDefaults(obj);
    await this.allocate(resource, obj);
    obj = prepareForCreate(resource.kind, obj);
    const meta = metadataOf(obj);
    meta["uid"] = randomUUID();
    meta["creationTimestamp"] = nowTimestamp();
    const fieldErrors = validate(resource.kind, obj);
    if (fieldErrors.length > 0) throw errors.invalid(resource, name, fieldErrors);
    if (scope.dryRun) return { object: obj, code: 201 };
    const key = this.key(scope, name);
    const r = await this.deps.store.create(key, encodeForStore(obj));
    if (!r.ok) throw errors.alreadyExists(resource, name);
    meta["resourceVersion"] = String(r.object.modRevision);
    return { object: obj, code: 201 };
  }

  // ---- get and list -----------------------------------------------------------------------

  /** The resource's watch cache once it is ready and has reached rv (0: no revision to wait for). */
  async freshCache(resource: ResourceInfo, rv: number): Promise<WatchCache> {
    const cache = this.cache(resource);
    await cache.waitReady(this.deps.cacheReadyTimeoutMs);
    if (rv > 0) await cache.waitFresh(rv);
    return cache;
  }

  async get(scope: RequestScope, resourceVersion: string | undefined): Promise<JsonObject> {
    const name = scope.name as string;
    let obj: JsonObject | undefined;
    if (resourceVersion === undefined || resourceVersion === "") {
      obj = (await this.read(scope.resource, this.key(scope, name)))?.object;
    } else {
      const cache = await this.freshCache(scope.resource, parseResourceVersion(resourceVersion));
      obj = cache.get(this.key(scope, name))?.object;
    }
    if (obj === undefined) throw errors.notFound(scope.resource, name);
    if (scope.subresource === "scale") return this.scaleOf(obj);
    return obj;
  }

  async list(scope: RequestScope, q: ListQuery): Promise<ListResult> {
    const rvRaw = q.resourceVersion ?? "";
    const match = q.resourceVersionMatch ?? "";
    if (match !== "" && match !== "Exact" && match !== "NotOlderThan") {
      throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
    }
    if (match !== "" && rvRaw === "") throw errors.badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (q.continueToken !== undefined && q.continueToken !== "") return this.listFromStore(scope, q, 0);
    if (rvRaw === "") return this.listFromStore(scope, q, 0);
    const rv = parseResourceVersion(rvRaw);
    if (match === "Exact" || (match === "" && q.limit > 0 && rv > 0)) return this.listFromStore(scope, q, rv);
    const cache = await this.freshCache(scope.resource, rv);
    const { items, resourceVersion } = cache.list({ namespace: scope.namespace, labels: q.labels, fields: q.fields });
    return { items: items.map((c) => c.object), cached: items, resourceVersion: String(resourceVersion) };
  }

  /** A consistent list from the store, at `revision` (0: the current one), with limit and continue. */
  private async listFromStore(scope: RequestScope, q: ListQuery, revision: number): Promise<ListResult> {
    const { resource } = scope;
    const prefix = storagePrefix(resource, scope.namespace);
    let readRev = revision;
    let startKey = prefix;
    if (q.continueToken !== undefined && q.continueToken !== "") {
      const t = decodeContinue(q.continueToken);
      readRev = t.rv;
      startKey = prefix + t.start;
    }
    const filtered = q.labels.length > 0 || q.fields.length > 0;
    const items: JsonObject[] = [];
    let lastKey = "";
    for (;;) {
      // unfiltered pages ask for one key more than needed, to know whether the list goes on
      const pageLimit = q.limit === 0 ? 0 : filtered ? Math.max(q.limit - items.length, 100) : q.limit - items.length + 1;
      let page;
      try {
        page = await this.deps.store.list(prefix, { revision: readRev, limit: pageLimit, startKey });
      } catch (err) {
        if (err instanceof RevisionCompactedError && q.continueToken !== undefined) {
          throw errors.gone(
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
          );
        }
        throw err;
      }
      if (readRev === 0) readRev = page.revision;
      for (let i = 0; i < page.objects.length; i++) {
        const s = page.objects[i] as StoredObject;
        if (q.limit > 0 && items.length === q.limit) {
          // another key follows the last one returned: the page ends here
          return {
            items,
            resourceVersion: String(readRev),
            continueToken: encodeContinue(readRev, `${lastKey.slice(prefix.length)}\u0000`),
            ...(filtered ? {} : { remainingItemCount: page.count - i }),
          };
        }
        const obj = decodeStored(resource, s.value, s.modRevision);
        if (!filtered || matchesQuery(resource.kind, q, obj)) {
          items.push(obj);
          lastKey = s.key;
        }
        startKey = `${s.key}\u0000`;
      }
      if (!page.more || q.limit === 0) break;
    }
    return { items, resourceVersion: String(readRev) };
  }

  // ---- update ------------------------------------------------------------------------------

  /**
   * The update pipeline on an object derived from `old`: system fields kept, defaults,
   * strategy, managed fields, validation. Returns the object to store.
   */
  private prepareUpdate(scope: RequestScope, old: JsonObject, incoming: JsonObject, managedAlready: boolean): JsonObject {
    const { resource } = scope;
    const meta = metadataOf(incoming);
    const oldMeta = metadataOf(old);
    if (resource.namespaced && (meta["namespace"] === undefined || meta["namespace"] === "")) meta["namespace"] = oldMeta["namespace"];
    if (meta["name"] === undefined || meta["name"] === "") meta["name"] = oldMeta["name"];
    for (const f of ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"]) {
      if (meta[f] === undefined && oldMeta[f] !== undefined) meta[f] = oldMeta[f];
    }
    if (oldMeta["generation"] === undefined) delete meta["generation"];
    else meta["generation"] = oldMeta["generation"];
    if (meta["managedFields"] === undefined && oldMeta["managedFields"] !== undefined) meta["managedFields"] = oldMeta["managedFields"];
    meta["resourceVersion"] = oldMeta["resourceVersion"];
    if (resource.kind === "Service") keepAllocations(old, incoming);
    let obj = applyDefaults(resource.kind, incoming);
    obj = prepareForUpdate(resource.kind, obj, old, scope.subresource === "status" ? "status" : undefined);
    if (!managedAlready) recordUpdate(this.updateContext(scope), old, obj);
    const fieldErrors = validate(resource.kind, obj, { old });
    if (fieldErrors.length > 0) throw errors.invalid(resource, stringOr(meta["name"]), fieldErrors);
    return obj;
  }

  /**
   * Read, transform, compare-and-swap, until it sticks: kube's GuaranteedUpdate. `transform`
   * returns the object to store. A transform that asks for a precondition (a resourceVersion)
   * gets a Conflict instead of a retry when the object moved on.
   */
  private async guaranteedUpdate(
    scope: RequestScope,
    name: string,
    transform: (current: Current) => { object: JsonObject; precondition: string | undefined } | Promise<{ object: JsonObject; precondition: string | undefined }>,
  ): Promise<WriteResult> {
    const { resource } = scope;
    const key = this.key(scope, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.mustRead(scope, name);
      const { object, precondition } = await transform(current);
      if (precondition !== undefined && precondition !== "" && precondition !== String(current.stored.modRevision)) {
        throw errors.modified(resource, name);
      }
      if (jsonEqual(object, current.object)) return { object: current.object, code: 200 };
      const meta = metadataOf(object);
      // kube's ShouldDeleteDuringUpdate: the object goes once it has no finalizers left and its
      // grace period was 0; an object in a grace period (a terminating pod whose node agent
      // reports status) is only updated, and its final deletion comes from whoever owns it
      const graceOver = (metadataOf(current.object)["deletionGracePeriodSeconds"] ?? 0) === 0;
      if (meta["deletionTimestamp"] !== undefined && graceOver && (!Array.isArray(meta["finalizers"]) || meta["finalizers"].length === 0) && !(resource.kind === "Namespace" && this.namespaceHasFinalizers(object))) {
        // the last finalizer is gone: the object goes
        if (scope.dryRun) return { object, code: 200 };
        const d = await this.deps.store.delete(key, current.stored.modRevision);
        if (d.ok) {
          meta["resourceVersion"] = String(d.revision);
          // the owner is gone: its dependents go too, unless it was deleted to orphan them
          if (!finalizersOf(current.object).includes(orphanFinalizer)) this.gc.collect(resource, current.object);
          return { object, code: 200 };
        }
      } else {
        if (scope.dryRun) return { object, code: 200 };
        const r = await this.deps.store.update(key, encodeForStore(object), current.stored.modRevision, current.stored.createRevision);
        if (r.ok) {
          meta["resourceVersion"] = String(r.object.modRevision);
          return { object, code: 200 };
        }
      }
      if (precondition !== undefined && precondition !== "") throw errors.modified(resource, name);
      if (attempt >= maxRetries) throw errors.modified(resource, name);
    }
  }

  private namespaceHasFinalizers(ns: JsonObject): boolean {
    const spec = isObject(ns["spec"]) ? ns["spec"] : {};
    return Array.isArray(spec["finalizers"]) && spec["finalizers"].length > 0;
  }

  async update(scope: RequestScope, body: JsonObject): Promise<WriteResult> {
    const { resource } = scope;
    const name = scope.name as string;
    if (scope.subresource === "scale") return this.updateScale(scope, body);
    this.checkTypeMeta(body, resource.groupVersion, resource.kind);
    this.checkFields(scope, resource.kind, body);
    const bodyName = stringOr(metadataOf(body)["name"]);
    if (bodyName !== "" && bodyName !== name) throw errors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    this.checkNamespace(scope, body);
    const precondition = stringOr(metadataOf(body)["resourceVersion"]) || undefined;
    return this.guaranteedUpdate(scope, name, (current) => ({
      object: this.prepareUpdate(scope, current.object, clone(body), false),
      precondition,
    }));
  }

  // ---- patch -------------------------------------------------------------------------------

  private patchLookup(kind: string): (path: readonly string[]) => ReturnType<typeof patchMetaAt> {
    return (path) => patchMetaAt(kind, path);
  }

  private applyPatch(kind: string, type: Exclude<PatchType, "apply">, target: JsonObject, patch: unknown): JsonObject {
    try {
      if (type === "json") return applyJsonPatch(target, patch);
      if (type === "merge") {
        if (!isObject(patch)) throw new PatchError("BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}");
        return applyMergePatch<JsonObject>(target, patch);
      }
      return applyStrategicMergePatch(target, patch, this.patchLookup(kind));
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      if (err.reason === "BadRequest") throw errors.badRequest(err.message);
      throw errors.invalidWith({ group: "", kind }, "", `the server rejected our request due to an error in our request: ${err.message}`, []);
    }
  }

  private parsePatch(type: PatchType, raw: string): unknown {
    try {
      return type === "apply" ? (parseYaml(raw) as unknown) : (JSON.parse(raw) as unknown);
    } catch (err) {
      throw errors.badRequest(`error decoding patch: ${(err as Error).message}`);
    }
  }

  async patch(scope: RequestScope, type: PatchType, raw: string, force: boolean): Promise<WriteResult> {
    const { resource } = scope;
    const name = scope.name as string;
    const patch = this.parsePatch(type, raw);
    if (type === "apply") return this.apply(scope, patch, force);
    if (type !== "json" && !isObject(patch)) throw errors.badRequest("json: cannot unmarshal array into Go value of type map[string]interface {}");
    if (scope.subresource === "scale") {
      return this.guaranteedUpdate(scope, name, (current) => {
        const scale = this.applyPatch("Scale", type, this.scaleOf(current.object), patch);
        this.checkFields(scope, "Scale", scale);
        return this.scaled(scope, current.object, scale);
      });
    }
    const patchRv = isObject(patch) && isObject(patch["metadata"]) ? stringOr(patch["metadata"]["resourceVersion"]) || undefined : undefined;
    return this.guaranteedUpdate(scope, name, (current) => {
      const patched = this.applyPatch(resource.kind, type, clone(current.object), patch);
      if (!isObject(patched)) throw errors.badRequest("the patch did not produce an object");
      this.checkTypeMeta(patched, resource.groupVersion, resource.kind);
      this.checkFields(scope, resource.kind, patched);
      const patchedRv = stringOr(metadataOf(patched)["resourceVersion"]);
      const precondition = patchRv ?? (patchedRv !== stringOr(metadataOf(current.object)["resourceVersion"]) ? patchedRv || undefined : undefined);
      if (stringOr(metadataOf(patched)["name"]) !== name) throw errors.badRequest(`the name of the object (${stringOr(metadataOf(patched)["name"])}) does not match the name on the URL (${name})`);
      return { object: this.prepareUpdate(scope, current.object, patched, false), precondition };
    });
  }

  private async apply(scope: RequestScope, patch: unknown, force: boolean): Promise<WriteResult> {
    const { resource } = scope;
    const name = scope.name as string;
    if (!isObject(patch)) throw errors.badRequest("error decoding patch: the apply configuration must be an object");
    if (scope.subresource !== undefined && scope.subresource !== "status") throw errors.methodNotAllowed();
    const applied = clone(patch);
    if (applied["apiVersion"] === undefined || applied["kind"] === undefined) {
      throw errors.badRequest("invalid object type: apiVersion and kind must be set in an apply configuration");
    }
    this.checkTypeMeta(applied, resource.groupVersion, resource.kind);
    this.checkFields(scope, resource.kind, applied);
    const meta = metadataOf(applied);
    if (stringOr(meta["name"]) !== name) throw errors.badRequest(`the name of the object (${stringOr(meta["name"])}) does not match the name on the URL (${name})`);
    if (resource.namespaced && meta["namespace"] !== undefined && meta["namespace"] !== scope.namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    const precondition = stringOr(meta["resourceVersion"]) || undefined;
    delete meta["resourceVersion"];
    const ctx = this.updateContext(scope);
    const run = (live: JsonObject | undefined): JsonObject => {
      try {
        return serverSideApply(ctx, live, applied, force).object;
      } catch (err) {
        if (err instanceof ApplyConflictError) throw errors.conflict(resource, name, err.message, err.causes);
        throw err;
      }
    };
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(resource, this.key(scope, name));
      if (current !== undefined) break;
      if (scope.subresource === "status") throw errors.notFound(resource, name);
      try {
        return await this.createChecked(scope, run(undefined), true);
      } catch (err) {
        // created meanwhile by someone else: apply to it instead
        if (!(err instanceof ApiError && err.status.reason === "AlreadyExists") || attempt > 2) throw err;
      }
    }
    return this.guaranteedUpdate(scope, name, (current) => ({
      object: this.prepareUpdate(scope, current.object, run(clone(current.object)), true),
      precondition,
    }));
  }

  // ---- scale ---------------------------------------------------------------------------------

  private scaleOf(obj: JsonObject): JsonObject {
    const meta = metadataOf(obj);
    const spec = isObject(obj["spec"]) ? obj["spec"] : {};
    const status = isObject(obj["status"]) ? obj["status"] : {};
    const metadata: JsonObject = { name: meta["name"], resourceVersion: meta["resourceVersion"], uid: meta["uid"], creationTimestamp: meta["creationTimestamp"] };
    if (meta["namespace"] !== undefined) metadata["namespace"] = meta["namespace"];
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata,
      spec: { replicas: typeof spec["replicas"] === "number" ? spec["replicas"] : 0 },
      status: { replicas: typeof status["replicas"] === "number" ? status["replicas"] : 0, selector: selectorString(obj) },
    };
  }

  /** The workload with a Scale's replicas: the update to store. */
  private scaled(scope: RequestScope, current: JsonObject, scale: JsonObject): { object: JsonObject; precondition: string | undefined } {
    const name = scope.name as string;
    const fieldErrors = validate("Scale", scale);
    const scaleResource = { group: "autoscaling", kind: "Scale" };
    if (fieldErrors.length > 0) throw errors.invalid(scaleResource, name, fieldErrors);
    const smeta = metadataOf(scale);
    if (smeta["name"] !== undefined && smeta["name"] !== name) throw errors.badRequest(`the name of the object (${String(smeta["name"])}) does not match the name on the URL (${name})`);
    const next = clone(current);
    const spec = isObject(next["spec"]) ? next["spec"] : (next["spec"] = {});
    const replicas = isObject(scale["spec"]) ? scale["spec"]["replicas"] : undefined;
    spec["replicas"] = typeof replicas === "number" ? replicas : 0;
    const precondition = stringOr(smeta["resourceVersion"]) || undefined;
    return { object: this.prepareUpdate({ ...scope }, current, next, false), precondition };
  }

  private async updateScale(scope: RequestScope, body: JsonObject): Promise<WriteResult> {
    this.checkTypeMeta(body, "autoscaling/v1", "Scale");
    this.checkFields(scope, "Scale", body);
    const result = await this.guaranteedUpdate(scope, scope.name as string, (current) => this.scaled(scope, current.object, body));
    return { object: this.scaleOf(result.object), code: result.code };
  }

  /** A write's result as the client sees it: the Scale view for the scale subresource. */
  view(scope: RequestScope, result: WriteResult): WriteResult {
    return scope.subresource === "scale" ? { object: this.scaleOf(result.object), code: result.code } : result;
  }

  // ---- binding -------------------------------------------------------------------------------

  async bind(scope: RequestScope, body: JsonObject): Promise<WriteResult> {
    const name = scope.name as string;
    this.checkTypeMeta(body, "v1", "Binding");
    this.checkFields(scope, "Binding", body);
    const meta = metadataOf(body);
    if (meta["name"] === undefined) meta["name"] = name;
    if (meta["name"] !== name) throw errors.badRequest(`the name of the binding (${String(meta["name"])}) does not match the name of the pod (${name})`);
    const fieldErrors = validate("Binding", body);
    if (fieldErrors.length > 0) throw errors.invalid({ group: "", kind: "Binding" }, name, fieldErrors);
    const target = isObject(body["target"]) ? body["target"] : {};
    const node = stringOr(target["name"]);
    await this.guaranteedUpdate({ ...scope, subresource: undefined }, name, (current) => {
      const pod = clone(current.object);
      const pmeta = metadataOf(pod);
      if (pmeta["deletionTimestamp"] !== undefined) throw errors.conflict(scope.resource, name, "pod is being deleted, cannot be assigned to a host");
      const spec = isObject(pod["spec"]) ? pod["spec"] : (pod["spec"] = {});
      if (stringOr(spec["nodeName"]) !== "") throw errors.conflict(scope.resource, name, `pod ${name} is already assigned to node ${JSON.stringify(spec["nodeName"])}`);
      spec["nodeName"] = node;
      const status = isObject(pod["status"]) ? pod["status"] : (pod["status"] = {});
      const conditions = (Array.isArray(status["conditions"]) ? status["conditions"] : []) as JsonObject[];
      const scheduled = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: nowTimestamp() };
      status["conditions"] = [...conditions.filter((c) => c["type"] !== "PodScheduled"), scheduled];
      recordUpdate({ ...this.updateContext(scope), subresource: "binding", withoutStatus: false }, current.object, pod);
      return { object: pod, precondition: stringOr(meta["resourceVersion"]) || undefined };
    });
    return { object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, code: 201 };
  }

  // ---- delete --------------------------------------------------------------------------------

  /** The grace period of a deletion: pods that may be running on a node get theirs; others 0. */
  private gracePeriod(resource: ResourceInfo, obj: JsonObject, options: DeleteOptions): number {
    if (resource.kind !== "Pod") return 0;
    const spec = isObject(obj["spec"]) ? obj["spec"] : {};
    const status = isObject(obj["status"]) ? obj["status"] : {};
    if (stringOr(spec["nodeName"]) === "" || status["phase"] === "Succeeded" || status["phase"] === "Failed") return 0;
    const requested = options.gracePeriodSeconds;
    if (typeof requested === "number") return Math.max(0, requested);
    return typeof spec["terminationGracePeriodSeconds"] === "number" ? spec["terminationGracePeriodSeconds"] : 30;
  }

  async delete(scope: RequestScope, options: DeleteOptions): Promise<WriteResult> {
    const { resource } = scope;
    const name = scope.name as string;
    if (resource.kind === "Namespace" && undeletableNamespaces.has(name)) {
      throw errors.forbidden(resource, name, "this namespace may not be deleted");
    }
    const explicit = options.propagationPolicy ?? (options.orphanDependents === undefined ? undefined : options.orphanDependents ? "Orphan" : "Background");
    if (explicit !== undefined && !["Orphan", "Background", "Foreground"].includes(explicit)) {
      throw errors.invalidWith({ group: "meta.k8s.io", kind: "DeleteOptions" }, "", `propagationPolicy: Unsupported value: ${JSON.stringify(explicit)}`, []);
    }
    const key = this.key(scope, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.mustRead(scope, name);
      const meta = metadataOf(current.object);
      const pre = options.preconditions;
      if (pre?.uid !== undefined && pre.uid !== meta["uid"]) {
        throw errors.conflict(resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stringOr(meta["uid"])}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta["resourceVersion"]) {
        throw errors.conflict(resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${stringOr(meta["resourceVersion"])}`);
      }
      const grace = this.gracePeriod(resource, current.object, options);
      const finalizers = finalizersOf(current.object);
      // kube's deletionFinalizersForGarbageCollection: a policy given replaces the garbage
      // collector's finalizers; without one, those the object carries stay (default Background)
      const propagation: Propagation =
        (explicit as Propagation | undefined) ?? (finalizers.includes(foregroundFinalizer) ? "Foreground" : finalizers.includes(orphanFinalizer) ? "Orphan" : "Background");
      // kube always sets the finalizer and its collector removes it at once when there are no
      // dependents; here the finalizer is only set when there is something to wait for
      const gcFinalizer = propagation === "Foreground" ? foregroundFinalizer : propagation === "Orphan" ? orphanFinalizer : undefined;
      const withDependents = gcFinalizer !== undefined && this.gc.dependents(current.object, resource.namespaced).length > 0;
      const nextFinalizers = finalizers.filter((f) => f !== foregroundFinalizer && f !== orphanFinalizer);
      if (withDependents && gcFinalizer !== undefined) nextFinalizers.push(gcFinalizer);
      const isNamespace = resource.kind === "Namespace";
      if (nextFinalizers.length > 0 || grace > 0 || isNamespace) {
        // a graceful deletion: mark the object; whoever holds the finalizers (or the node agent) finishes it
        const marked = clone(current.object);
        const mmeta = metadataOf(marked);
        if (mmeta["deletionTimestamp"] === undefined) {
          mmeta["deletionTimestamp"] = nowTimestamp(new Date(Date.now() + grace * 1000));
          mmeta["deletionGracePeriodSeconds"] = grace;
        } else if (typeof mmeta["deletionGracePeriodSeconds"] === "number" && grace < mmeta["deletionGracePeriodSeconds"]) {
          mmeta["deletionGracePeriodSeconds"] = grace;
        }
        if (nextFinalizers.length > 0) mmeta["finalizers"] = nextFinalizers;
        else delete mmeta["finalizers"];
        if (isNamespace) marked["status"] = { ...(isObject(marked["status"]) ? marked["status"] : {}), phase: "Terminating" };
        if (scope.dryRun) return { object: current.object, code: 202 };
        const unchanged = jsonEqual(marked, current.object);
        const r = unchanged ? undefined : await this.deps.store.update(key, encodeForStore(marked), current.stored.modRevision, current.stored.createRevision);
        if (r === undefined || r.ok) {
          if (r !== undefined) mmeta["resourceVersion"] = String(r.object.modRevision);
          // (again, when nothing changed: deleting again resumes work a replica that died left undone)
          if (nextFinalizers.includes(foregroundFinalizer)) this.gc.foreground(resource, marked);
          if (nextFinalizers.includes(orphanFinalizer)) this.gc.orphan(resource, marked);
          if (isNamespace && r !== undefined) this.finishNamespace(marked);
          return { object: marked, code: 202 };
        }
      } else {
        if (scope.dryRun) return { object: current.object, code: 200 };
        const d = await this.deps.store.delete(key, current.stored.modRevision);
        if (d.ok) {
          if (propagation !== "Orphan") this.gc.collect(resource, current.object);
          return { object: current.object, code: 200 };
        }
      }
      if (attempt >= maxRetries) throw errors.modified(resource, name);
    }
  }

  /** Delete one object as the server itself (the garbage collector's deletions): gone or replaced meanwhile is no failure. */
  private async deleteQuietly(resource: ResourceInfo, obj: JsonObject, propagation: Propagation): Promise<void> {
    const meta = metadataOf(obj);
    const scope = this.serverScope(resource, obj);
    try {
      // grace 0: no node agent stops containers yet
      await this.delete(scope, { propagationPolicy: propagation, gracePeriodSeconds: 0, preconditions: { uid: stringOr(meta["uid"]) } });
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  /** Edit one object in place as the server itself, until the write sticks; gone is no failure. */
  private async editQuietly(resource: ResourceInfo, obj: JsonObject, edit: (o: JsonObject) => void): Promise<void> {
    const scope = this.serverScope(resource, obj);
    try {
      await this.guaranteedUpdate(scope, scope.name as string, (current) => {
        const next = clone(current.object);
        edit(next);
        return { object: next, precondition: undefined };
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  /** The scope of the server's own requests on one object. */
  private serverScope(resource: ResourceInfo, obj: JsonObject): RequestScope {
    const meta = metadataOf(obj);
    return {
      resource,
      namespace: resource.namespaced ? stringOr(meta["namespace"]) : undefined,
      name: stringOr(meta["name"]),
      subresource: undefined,
      fieldManager: "raftplane-apiserver",
      fieldValidation: "Ignore",
      dryRun: false,
      warnings: [],
    };
  }

  /**
   * Namespace deletion, done here until a namespace controller exists: delete everything in the
   * namespace, then drop the `kubernetes` finalizer, which deletes the namespace.
   */
  private finishNamespace(ns: JsonObject): void {
    const name = stringOr(metadataOf(ns)["name"]);
    const namespaces = resourceForKind("Namespace");
    const run = async (): Promise<void> => {
      for (const cache of this.deps.caches.values()) {
        if (!cache.resource.namespaced) continue;
        const list = await this.deps.store.list(storagePrefix(cache.resource, name));
        await Promise.all(list.objects.map((o) => this.deleteQuietly(cache.resource, decodeStored(cache.resource, o.value, o.modRevision), "Background")));
      }
      await this.editQuietly(namespaces, ns, (o) => {
        const spec = isObject(o["spec"]) ? o["spec"] : (o["spec"] = {});
        const f = Array.isArray(spec["finalizers"]) ? (spec["finalizers"] as string[]) : [];
        spec["finalizers"] = f.filter((x) => x !== "kubernetes");
        if ((spec["finalizers"] as string[]).length === 0) delete o["spec"];
      });
    };
    void run().catch((err: unknown) => this.deps.logger.warn({ namespace: name, err: (err as Error).message }, "namespace deletion failed"));
  }

  async deleteCollection(scope: RequestScope, q: ListQuery, options: DeleteOptions): Promise<JsonObject[]> {
    const list = await this.listFromStore(scope, { ...q, limit: 0, continueToken: undefined }, 0);
    const deleted: JsonObject[] = [];
    for (const item of list.items) {
      const meta = metadataOf(item);
      try {
        const r = await this.delete({ ...scope, name: stringOr(meta["name"]), namespace: scope.resource.namespaced ? stringOr(meta["namespace"]) : undefined }, options);
        deleted.push(r.object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return deleted;
  }

  /** Create the system namespaces if missing (every replica does this at start). */
  async bootstrap(): Promise<void> {
    const namespaces = resourceForKind("Namespace");
    for (const name of systemNamespaces) {
      const scope: RequestScope = {
        resource: namespaces,
        namespace: undefined,
        name,
        subresource: undefined,
        fieldManager: "raftplane-apiserver",
        fieldValidation: "Strict",
        dryRun: false,
        warnings: [],
      };
      try {
        await this.create(scope, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
      } catch (err) {
        if (!(err instanceof ApiError && err.status.reason === "AlreadyExists")) throw err;
      }
    }
  }
}
