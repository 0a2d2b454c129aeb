/**
 * The garbage collector's work (kube's pkg/controller/garbagecollector), done by the API server
 * replica that took a deletion until a controller manager exists. Dependents are the objects
 * whose metadata.ownerReferences name an owner's uid.
 *
 * - Background: once the owner is gone from the store, each dependent is deleted, unless
 *   another of its owners still exists ("solid"): then only its references to owners that are
 *   gone or going are removed.
 * - Foreground: the owner carries the `foregroundDeletion` finalizer; its dependents are deleted
 *   (in the foreground themselves when they have dependents of their own), and the finalizer is
 *   removed once no dependent with `blockOwnerDeletion: true` is left.
 * - Orphan: the owner carries the `orphan` finalizer; the references to it are removed from its
 *   dependents, then the finalizer.
 *
 * Waiting is driven by the watch caches' changes. If the replica dies half-way the work is not
 * resumed by another one, but deleting the owner again (through any replica) starts it again.
 */
import type { ResourceInfo } from "../api/index.js";
import { resourceForKind, storageKey } from "../api/index.js";
import type { Logger } from "../observability/index.js";
import type { JsonObject } from "./json.js";
import { isObject, stringOr } from "./json.js";
import { metadataOf } from "./objects.js";
import type { WatchCache } from "./watch-cache.js";

export type Propagation = "Orphan" | "Background" | "Foreground";

export const orphanFinalizer = "orphan";
export const foregroundFinalizer = "foregroundDeletion";

/** What the collector does through the REST layer, as the server itself. */
export interface GcOperations {
  /** The object stored at key, or undefined (a linearizable read). */
  read(resource: ResourceInfo, key: string): Promise<JsonObject | undefined>;
  /** Delete obj (its uid as precondition) with a propagation policy; gone or replaced meanwhile is no failure. */
  delete(resource: ResourceInfo, obj: JsonObject, propagation: Propagation): Promise<void>;
  /** Read, `edit` in place and write back the object named like obj, until it sticks; gone is no failure. */
  edit(resource: ResourceInfo, obj: JsonObject, edit: (current: JsonObject) => void): Promise<void>;
}

export interface GcDependencies {
  readonly caches: ReadonlyMap<string, WatchCache>;
  readonly logger: Logger;
  readonly ops: GcOperations;
}

/** How a dependent's owner stands, in kube's GC words. */
type OwnerState = "solid" | "dangling" | "waitingForDependentsDeletion";

export interface Dependent {
  readonly resource: ResourceInfo;
  readonly object: JsonObject;
}


export function uidOf(obj: JsonObject): string {
  return stringOr(metadataOf(obj)["uid"]);
}

export function finalizersOf(obj: JsonObject): string[] {
  const f = metadataOf(obj)["finalizers"];
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === "string") : [];
}

function setFinalizers(obj: JsonObject, finalizers: readonly string[]): void {
  const meta = metadataOf(obj);
  if (finalizers.length === 0) delete meta["finalizers"];
  else meta["finalizers"] = [...finalizers];
}

export function ownerReferencesOf(obj: JsonObject): JsonObject[] {
  const refs = metadataOf(obj)["ownerReferences"];
  return Array.isArray(refs) ? refs.filter(isObject) : [];
}

function keyOf(resource: ResourceInfo, obj: JsonObject): string {
  const meta = metadataOf(obj);
  return storageKey(resource, resource.namespaced ? stringOr(meta["namespace"]) : undefined, stringOr(meta["name"]));
}

export class GarbageCollector {
  private stopped = false;
  /** Owners (by uid) with foreground or orphan work under way here. */
  private readonly running = new Set<string>();
  private readonly wakers = new Set<() => void>();

  constructor(private readonly deps: GcDependencies) {
    for (const cache of deps.caches.values()) cache.onChange(() => this.wake());
  }

  /** Objects whose ownerReferences name this owner's uid, from the caches (same namespace, or any for cluster-scoped owners). */
  dependents(owner: JsonObject, namespaced: boolean): Dependent[] {
    const uid = uidOf(owner);
    const ns = stringOr(metadataOf(owner)["namespace"]);
    const out: Dependent[] = [];
    if (uid === "") return out;
    for (const cache of this.deps.caches.values()) {
      for (const c of cache.values()) {
        if (namespaced && c.namespace !== ns) continue;
        if (ownerReferencesOf(c.object).some((r) => r["uid"] === uid)) out.push({ resource: cache.resource, object: c.object });
      }
    }
    return out;
  }

  /** The owner is gone from the store: collect its dependents (in the background). */
  collect(resource: ResourceInfo, owner: JsonObject): void {
    const found = this.dependents(owner, resource.namespaced);
    if (found.length === 0) return;
    this.background(this.deleteDependents(resource, owner, "dangling", found), "deleting dependents failed");
  }

  /** The owner now carries `foregroundDeletion`: delete its dependents, then remove the finalizer. */
  foreground(resource: ResourceInfo, owner: JsonObject): void {
    this.exclusively(owner, async () => {
      const uid = uidOf(owner);
      const blocking = (live: JsonObject): boolean =>
        this.dependents(live, resource.namespaced).some((d) => ownerReferencesOf(d.object).some((r) => r["uid"] === uid && r["blockOwnerDeletion"] === true));
      for (;;) {
        const live = await this.live(resource, owner, foregroundFinalizer);
        if (live === undefined) return;
        await this.deleteDependents(resource, live, "waitingForDependentsDeletion");
        if (!blocking(live)) break;
        await this.nextChange(2000);
      }
      await this.removeFinalizer(resource, owner, foregroundFinalizer);
    });
  }

  /** The owner now carries `orphan`: remove the references to it from its dependents, then the finalizer. */
  orphan(resource: ResourceInfo, owner: JsonObject): void {
    this.exclusively(owner, async () => {
      const uid = uidOf(owner);
      const live = await this.live(resource, owner, orphanFinalizer);
      if (live === undefined) return;
      await Promise.all(
        this.dependents(live, resource.namespaced).map((d) =>
          this.deps.ops.edit(d.resource, d.object, (o) => {
            if (uidOf(o) !== uidOf(d.object)) return;
            const refs = ownerReferencesOf(o).filter((r) => r["uid"] !== uid);
            if (refs.length === 0) delete metadataOf(o)["ownerReferences"];
            else metadataOf(o)["ownerReferences"] = refs;
          }),
        ),
      );
      await this.removeFinalizer(resource, owner, orphanFinalizer);
    });
  }

  /** Stop the work under way (the server is stopping). */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Run work for one owner, unless work for it already runs here. */
  private exclusively(owner: JsonObject, work: () => Promise<void>): void {
    const uid = uidOf(owner);
    if (uid === "" || this.running.has(uid)) return;
    this.running.add(uid);
    this.background(work().finally(() => this.running.delete(uid)), "garbage collection failed");
  }

  private background(work: Promise<void>, what: string): void {
    void work.catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, what));
  }

  /**
   * The owner as the cache holds it, while it is the same object and still carries the
   * finalizer; undefined once that is over (or the server stops).
   */
  private async live(resource: ResourceInfo, owner: JsonObject, finalizer: string): Promise<JsonObject | undefined> {
    if (this.stopped) return undefined;
    const cache = this.deps.caches.get(resource.plural);
    // the cache is to have seen the write that added the finalizer before it can tell
    const rv = Number(stringOr(metadataOf(owner)["resourceVersion"]));
    if (cache !== undefined && rv > cache.resourceVersion) await cache.waitFresh(rv).catch(() => undefined);
    const live = cache?.get(keyOf(resource, owner))?.object ?? (await this.deps.ops.read(resource, keyOf(resource, owner)));
    if (live === undefined || uidOf(live) !== uidOf(owner) || !finalizersOf(live).includes(finalizer)) return undefined;
    return live;
  }

  private async removeFinalizer(resource: ResourceInfo, owner: JsonObject, finalizer: string): Promise<void> {
    if (this.stopped) return;
    await this.deps.ops.edit(resource, owner, (o) => {
      if (uidOf(o) === uidOf(owner)) setFinalizers(o, finalizersOf(o).filter((f) => f !== finalizer));
    });
  }

  /**
   * kube's attemptToDeleteItem for each dependent of an owner that is gone (dangling) or being
   * deleted in the foreground: dependents already being deleted are left to it.
   */
  private async deleteDependents(
    resource: ResourceInfo,
    owner: JsonObject,
    state: OwnerState,
    found: readonly Dependent[] = this.dependents(owner, resource.namespaced),
  ): Promise<void> {
    const uid = uidOf(owner);
    await Promise.all(
      found.map(async (d) => {
        if (metadataOf(d.object)["deletionTimestamp"] !== undefined) return;
        const refs = ownerReferencesOf(d.object);
        const states = await Promise.all(refs.map((r) => (r["uid"] === uid ? state : this.ownerState(d, r))));
        if (states.includes("solid")) {
          // another owner still holds it: drop only the references to owners that are gone or going
          const drop = new Set(refs.filter((_, i) => states[i] !== "solid").map((r) => r["uid"]));
          await this.deps.ops.edit(d.resource, d.object, (o) => {
            if (uidOf(o) !== uidOf(d.object)) return;
            metadataOf(o)["ownerReferences"] = ownerReferencesOf(o).filter((r) => !drop.has(r["uid"]));
          });
          return;
        }
        const ownDependents = this.dependents(d.object, d.resource.namespaced).length > 0;
        await this.deps.ops.delete(d.resource, d.object, states.includes("waitingForDependentsDeletion") && ownDependents ? "Foreground" : "Background");
      }),
    );
  }

  /** How the owner a reference names stands, read from the store; kinds this server does not serve count as solid. */
  private async ownerState(dependent: Dependent, ref: JsonObject): Promise<OwnerState> {
    let resource: ResourceInfo;
    try {
      resource = resourceForKind(stringOr(ref["kind"]));
    } catch {
      return "solid";
    }
    const apiVersion = stringOr(ref["apiVersion"]);
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    if (group !== resource.group) return "solid";
    const ns = stringOr(metadataOf(dependent.object)["namespace"]);
    if (resource.namespaced && ns === "") return "solid";
    const owner = await this.deps.ops.read(resource, storageKey(resource, resource.namespaced ? ns : undefined, stringOr(ref["name"])));
    if (owner === undefined || uidOf(owner) !== ref["uid"]) return "dangling";
    if (metadataOf(owner)["deletionTimestamp"] !== undefined && finalizersOf(owner).includes(foregroundFinalizer)) return "waitingForDependentsDeletion";
    return "solid";
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(waker);
        resolve();
      };
      // a burst of changes wakes the waiters once
      const waker = (): void => {
        this.wakers.delete(waker);
        setTimeout(done, 10).unref();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.wakers.add(waker);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}
