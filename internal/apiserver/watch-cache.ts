/**
 * The watch cache: one store watch per resource feeds an in-memory copy of every object and a
 * ring buffer of recent events. Lists and gets at resourceVersion "0" are served from it;
 * watches start from it (initial state, or replay from the ring) and follow it. Each event is
 * encoded once per encoding and the bytes are shared by every watcher; watchers are filtered
 * by namespace, labels and fields, and pod watches on spec.nodeName are indexed so that an
 * event reaches only the watchers of its node. A watcher whose client reads too slowly is
 * closed with an error rather than allowed to buffer without bound.
 */
import type { ResourceInfo, Status } from "../api/index.js";
import { storagePrefix } from "../api/index.js";
import type { Logger } from "../observability/index.js";
import type { Store, StoreEvent, StoreWatch } from "../store/index.js";
import { RevisionCompactedError } from "../store/index.js";
import type { JsonObject } from "./json.js";
import type { CachedObject } from "./objects.js";
import { cachedObject, fromStored, jsonOf, metadataOf } from "./objects.js";
import type { FieldRequirement, LabelRequirement } from "./selectors.js";
import { fieldsSatisfy, labelsSatisfy } from "./selectors.js";
import { errors } from "./status.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** One change of one object, as the cache saw it. */
export interface CacheEvent {
  readonly type: WatchEventType;
  /** ADDED, MODIFIED: the new state. DELETED: the last state, with the deletion's resourceVersion. */
  readonly object: CachedObject;
  /** The state before (MODIFIED, DELETED). */
  readonly prev: CachedObject | undefined;
  readonly rv: number;
  /** Encoded frames by encoding, then delivered type: each built once and shared. */
  readonly frames: Map<string, Map<WatchEventType, Buffer>>;
}

/** What a watcher wants to see. */
export interface WatchFilter {
  /** Only this namespace ("" or undefined: all). */
  readonly namespace?: string | undefined;
  readonly labels: readonly LabelRequirement[];
  readonly fields: readonly FieldRequirement[];
}

/** How events are written for a kind of client (JSON objects, tables...). */
export interface EventEncoder {
  /** Names the encoding: frames are cached under it. */
  readonly key: string;
  encode(type: WatchEventType, object: CachedObject): Buffer;
  bookmark(resourceVersion: number, initialEventsEnd: boolean): Buffer;
  error(status: Status): Buffer;
}

/** Where a watcher's frames go (an HTTP response). */
export interface WatchSink {
  /**
   * Queue frames, in order, as one write where the transport can (their bytes are shared with
   * other watchers: keep them, do not change them); false means the client is not keeping up:
   * wait for onDrain.
   */
  write(frames: readonly Buffer[]): boolean;
  onDrain(callback: () => void): void;
  end(): void;
}

export interface WatchCacheOptions {
  /** Recent events kept for watches that start in the past. Default 1024. */
  readonly capacity?: number;
  /** Frames a watcher may have waiting for a slow client before it is closed. Default 4096. */
  readonly maxPendingFrames?: number;
  /** How often watchers that asked for bookmarks get one. Default 60 s. */
  readonly bookmarkIntervalMs?: number;
  /** How long a request for a resourceVersion the cache has not reached waits. Default 3 s. */
  readonly freshnessTimeoutMs?: number;
  readonly logger?: Logger;
}

const defaults = {
  capacity: 1024,
  maxPendingFrames: 4096,
  bookmarkIntervalMs: 60_000,
  freshnessTimeoutMs: 3000,
};

/** Objects per store read when the cache lists its resource. */
const listPageSize = 1000;

/** Counters for tests and metrics. */
export interface WatchCacheStats {
  /** Events received from the store. */
  events: number;
  /** Frames encoded (each at most once per event, delivered type and encoding). */
  encodings: number;
  /** Watchers closed because their client read too slowly. */
  slowWatchersClosed: number;
  /** Lists of the store after the first, because the store compacted past the cache. */
  relists: number;
}

function matches(kind: string, filter: WatchFilter, o: CachedObject): boolean {
  if (filter.namespace !== undefined && filter.namespace !== "" && o.namespace !== filter.namespace) return false;
  if (filter.labels.length > 0 && !labelsSatisfy(filter.labels, o.labels)) return false;
  if (filter.fields.length > 0 && !fieldsSatisfy(kind, filter.fields, o.object)) return false;
  return true;
}

/** A fixed-size ring of the most recent events. */
class Ring {
  private readonly items: (CacheEvent | undefined)[];
  private start = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<CacheEvent | undefined>(capacity);
  }

  /** Adds an event; returns the one evicted, if any. */
  push(e: CacheEvent): CacheEvent | undefined {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = e;
      this.size++;
      return undefined;
    }
    const evicted = this.items[this.start];
    this.items[this.start] = e;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** Events with rv > after, oldest first. */
  since(after: number): CacheEvent[] {
    const out: CacheEvent[] = [];
    for (let i = 0; i < this.size; i++) {
      const e = this.items[(this.start + i) % this.capacity] as CacheEvent;
      if (e.rv > after) out.push(e);
    }
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.size = 0;
  }
}

/** Frames handed to a client's sink in one write at most (a watcher catching up after a block). */
const maxFramesPerWrite = 256;

/**
 * Watchers flushed per event-loop turn. The cache shares its thread with a KV member: between
 * turns its raft messages, heartbeats and store callbacks run, however many watchers wait.
 */
const watchersPerTurn = 256;

/** One client's watch on the cache. */
export class CacheWatcher {
  private queue: Buffer[] = [];
  private blocked = false;
  private closedFlag = false;
  /** The resourceVersion the client has been brought up to (for bookmarks). */
  sentRv: number;
  private readonly limit: number;

  constructor(
    private readonly cache: WatchCache,
    readonly filter: WatchFilter,
    readonly encoder: EventEncoder,
    private readonly sink: WatchSink,
    readonly allowBookmarks: boolean,
    startRv: number,
    backlog: number,
    maxPending: number,
    /** spec.nodeName the watcher is indexed under, if any. */
    readonly node: string | undefined,
  ) {
    this.sentRv = startRv;
    this.limit = backlog + maxPending;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Frames waiting for the client. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * @internal Queue a frame. Frames go out at the cache's next flush turn, all those queued by
   * then in one write: an event for a thousand watchers costs a thousand queue pushes, not a
   * thousand writes in the middle of the store's callback.
   */
  push(frame: Buffer): void {
    if (this.closedFlag) return;
    this.queue.push(frame);
    // Only a client that refused writes is slow: frames waiting for the next flush turn are ours.
    if (this.blocked) {
      if (this.queue.length > this.limit) this.cache.closeSlow(this);
      return;
    }
    if (this.queue.length === 1) this.cache.scheduleFlush(this);
  }

  /** @internal Write what is queued, in chunks of frames, until the client stops taking them. */
  flush(): void {
    while (!this.closedFlag && !this.blocked && this.queue.length > 0) {
      const frames = this.queue.length <= maxFramesPerWrite ? this.queue : this.queue.slice(0, maxFramesPerWrite);
      this.queue = frames === this.queue ? [] : this.queue.slice(frames.length);
      if (!this.sink.write(frames)) this.block();
    }
  }

  private block(): void {
    this.blocked = true;
    this.sink.onDrain(() => this.drain());
  }

  private drain(): void {
    this.blocked = false;
    this.flush();
  }

  /**
   * Stop the watch: drop what is queued, write a final ERROR event if given, and end the
   * stream. Safe to call more than once.
   */
  close(status?: Status): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.queue = [];
    this.cache.remove(this);
    if (status !== undefined) this.sink.write([this.encoder.error(status)]);
    this.sink.end();
  }
}

export interface WatchRequest {
  /** Start after this resourceVersion; undefined starts with the current state as ADDED events. */
  readonly fromRv: number | undefined;
  readonly filter: WatchFilter;
  readonly encoder: EventEncoder;
  readonly sink: WatchSink;
  readonly allowBookmarks: boolean;
  /** After the initial state, a bookmark marking its end (sendInitialEvents). */
  readonly initialEventsEndBookmark: boolean;
}

export class WatchCache {
  readonly stats: WatchCacheStats = { events: 0, encodings: 0, slowWatchersClosed: 0, relists: 0 };
  private readonly options: typeof defaults;
  private readonly prefix: string;
  private objects = new Map<string, CachedObject>();
  private readonly ring: Ring;
  /** Every event after this resourceVersion is in the ring. */
  private windowStart = 0;
  /** The resourceVersion the cache is known to be current at. */
  private rvValue = 0;
  private storeWatch: StoreWatch | undefined;
  private readyFlag = false;
  private readyWaiters: (() => void)[] = [];
  private freshWaiters: { rv: number; resolve: () => void }[] = [];
  private readonly unindexed = new Set<CacheWatcher>();
  private readonly byNode = new Map<string, Set<CacheWatcher>>();
  /** Watchers with frames to write, in the order they got them (see scheduleFlush). */
  private readonly toFlush = new Set<CacheWatcher>();
  private flushScheduled = false;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sortedKeys: string[] | undefined;
  private readonly changeListeners = new Set<() => void>();

  constructor(
    readonly resource: ResourceInfo,
    private readonly store: Store,
    options: WatchCacheOptions = {},
  ) {
    this.options = {
      capacity: options.capacity ?? defaults.capacity,
      maxPendingFrames: options.maxPendingFrames ?? defaults.maxPendingFrames,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? defaults.bookmarkIntervalMs,
      freshnessTimeoutMs: options.freshnessTimeoutMs ?? defaults.freshnessTimeoutMs,
    };
    this.logger = options.logger;
    this.prefix = storagePrefix(resource);
    this.ring = new Ring(this.options.capacity);
  }

  private readonly logger: Logger | undefined;

  /** The resourceVersion the cache is current at. */
  get resourceVersion(): number {
    return this.rvValue;
  }

  get ready(): boolean {
    return this.readyFlag;
  }

  /**
   * Call `listener` after each batch of changes the cache takes in (and after a relist): for
   * in-process work that waits for objects to change, such as the garbage collector's.
   * Returns the function that unsubscribes.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  get watcherCount(): number {
    let n = this.unindexed.size;
    for (const s of this.byNode.values()) n += s.size;
    return n;
  }

  /** List the resource and follow it; retries until the store answers. */
  start(): void {
    this.bookmarkTimer = setInterval(() => this.bookmarkTick(), this.options.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
    void this.initialize();
  }

  private async initialize(): Promise<void> {
    let pause = 100;
    while (!this.stopped) {
      try {
        // pages at one revision, so that a large resource is not one huge response
        const objects: CachedObject[] = [];
        let revision = 0;
        let startKey = this.prefix;
        for (;;) {
          const page = await this.store.list(this.prefix, { revision, limit: listPageSize, startKey });
          if (revision === 0) revision = page.revision;
          for (const o of page.objects) objects.push(fromStored(this.resource, o));
          const last = page.objects[page.objects.length - 1];
          if (!page.more || last === undefined) break;
          startKey = `${last.key}\u0000`;
        }
        if (this.stopped) return;
        this.reset(objects, revision);
        return;
      } catch (err) {
        this.logger?.warn({ resource: this.resource.plural, err: (err as Error).message }, "watch cache: list failed; retrying");
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(pause * 2, 2000);
      }
    }
  }

  private reset(objects: readonly CachedObject[], revision: number): void {
    for (const w of this.allWatchers()) {
      w.close(errors.expired(`the watch cache of ${this.resource.plural} was re-initialized; list again and watch from the new resourceVersion`).status);
    }
    this.objects = new Map(objects.map((o) => [o.key, o]));
    this.sortedKeys = undefined;
    this.ring.clear();
    this.windowStart = revision;
    this.rvValue = revision;
    this.storeWatch?.close();
    this.storeWatch = this.store.watch(this.prefix, revision + 1, {
      onEvents: (events) => this.onEvents(events),
      onProgress: (rev) => this.advance(rev),
      onError: (err) => {
        if (this.stopped) return;
        this.logger?.warn({ resource: this.resource.plural, err: err.message }, "watch cache: store watch ended; listing again");
        if (err instanceof RevisionCompactedError) this.stats.relists++;
        void this.initialize();
      },
    });
    this.readyFlag = true;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.resolveFresh();
    this.changed();
  }

  /** Wait until the cache has its first list, up to timeoutMs; throws a 503 after. */
  async waitReady(timeoutMs: number): Promise<void> {
    if (this.readyFlag) return;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable(`the watch cache of ${this.resource.plural} is not ready yet: the store has not answered`)), timeoutMs);
    });
    try {
      await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Wait until the cache has seen everything up to `rv` (asking the store for a progress
   * report), up to the freshness timeout: then a 504, as kube answers for a resourceVersion it
   * has not reached.
   */
  async waitFresh(rv: number): Promise<void> {
    await this.waitReady(this.options.freshnessTimeoutMs);
    if (this.rvValue >= rv) return;
    let timer: NodeJS.Timeout | undefined;
    const fresh = new Promise<void>((resolve) => this.freshWaiters.push({ rv, resolve }));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(errors.timeout(`Too large resource version: ${rv}, current: ${this.rvValue}`)),
        this.options.freshnessTimeoutMs,
      );
    });
    const poll = setInterval(() => this.storeWatch?.requestProgress(), 250);
    this.storeWatch?.requestProgress();
    try {
      await Promise.race([fresh, timeout]);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
    }
  }

  private advance(rev: number): void {
    if (rev > this.rvValue) this.rvValue = rev;
    this.resolveFresh();
  }

  private resolveFresh(): void {
    if (this.freshWaiters.length === 0) return;
    const still: typeof this.freshWaiters = [];
    for (const w of this.freshWaiters) {
      if (w.rv <= this.rvValue) w.resolve();
      else still.push(w);
    }
    this.freshWaiters = still;
  }

  private toEvent(e: StoreEvent): CacheEvent | undefined {
    if (e.type === "put") {
      const object = fromStored(this.resource, e.object);
      const prev = this.objects.get(e.object.key);
      this.objects.set(object.key, object);
      if (prev === undefined) this.sortedKeys = undefined;
      return { type: prev === undefined ? "ADDED" : "MODIFIED", object, prev, rv: object.rv, frames: new Map() };
    }
    const prev = this.objects.get(e.key) ?? (e.prev === undefined ? undefined : fromStored(this.resource, e.prev));
    this.objects.delete(e.key);
    this.sortedKeys = undefined;
    if (prev === undefined) return undefined;
    // cached objects are never changed: a shallow copy with new metadata is the deleted state
    const last = { ...prev.object, metadata: { ...metadataOf(prev.object), resourceVersion: String(e.revision) } };
    return { type: "DELETED", object: cachedObject(e.key, last, e.revision), prev, rv: e.revision, frames: new Map() };
  }

  private onEvents(events: readonly StoreEvent[]): void {
    let applied = 0;
    for (const se of events) {
      const e = this.toEvent(se);
      if (e === undefined) continue;
      applied++;
      this.stats.events++;
      const evicted = this.ring.push(e);
      if (evicted !== undefined) this.windowStart = Math.max(this.windowStart, evicted.rv);
      if (e.rv > this.rvValue) this.rvValue = e.rv;
      this.dispatch(e);
    }
    this.resolveFresh();
    if (applied > 0) this.changed();
  }

  /**
   * Every watcher that may see the event, once: each watcher is in exactly one set (unindexed,
   * or its node's), so the sets are walked in turn, the old node's only when the pod moved.
   */
  private dispatch(e: CacheEvent): void {
    for (const w of this.unindexed) this.deliver(w, e);
    if (this.byNode.size === 0) return;
    const node = e.object.nodeName;
    const before = e.prev?.nodeName;
    if (node !== undefined) for (const w of this.byNode.get(node) ?? []) this.deliver(w, e);
    if (before !== undefined && before !== node) for (const w of this.byNode.get(before) ?? []) this.deliver(w, e);
  }

  /** The type a watcher sees an event as: objects entering or leaving its filter are ADDED or DELETED. */
  private deliveredType(w: CacheWatcher, e: CacheEvent): WatchEventType | undefined {
    const kind = this.resource.kind;
    if (e.type === "DELETED") return matches(kind, w.filter, e.object) ? "DELETED" : undefined;
    const now = matches(kind, w.filter, e.object);
    if (e.type === "ADDED") return now ? "ADDED" : undefined;
    const before = e.prev !== undefined && matches(kind, w.filter, e.prev);
    if (now && before) return "MODIFIED";
    if (now) return "ADDED";
    if (before) return "DELETED";
    return undefined;
  }

  private frame(e: CacheEvent, type: WatchEventType, encoder: EventEncoder): Buffer {
    // two map lookups, no key built per watcher: this runs for every watcher of every event
    let byType = e.frames.get(encoder.key);
    if (byType === undefined) e.frames.set(encoder.key, (byType = new Map()));
    let f = byType.get(type);
    if (f === undefined) {
      f = encoder.encode(type, e.object);
      this.stats.encodings++;
      byType.set(type, f);
    }
    return f;
  }

  private deliver(w: CacheWatcher, e: CacheEvent): void {
    const type = this.deliveredType(w, e);
    if (type !== undefined) w.push(this.frame(e, type, w.encoder));
    w.sentRv = Math.max(w.sentRv, e.rv);
  }

  private initialFrame(o: CachedObject, encoder: EventEncoder): Buffer {
    o.frames ??= new Map();
    let f = o.frames.get(encoder.key);
    if (f === undefined) {
      f = encoder.encode("ADDED", o);
      this.stats.encodings++;
      o.frames.set(encoder.key, f);
    }
    return f;
  }

  private keysInOrder(): string[] {
    this.sortedKeys ??= [...this.objects.keys()].sort();
    return this.sortedKeys;
  }

  /** The objects matching a filter, in key order, and the resourceVersion they are current at. */
  list(filter: WatchFilter): { items: CachedObject[]; resourceVersion: number } {
    const kind = this.resource.kind;
    const items: CachedObject[] = [];
    for (const key of this.keysInOrder()) {
      const o = this.objects.get(key) as CachedObject;
      if (matches(kind, filter, o)) items.push(o);
    }
    return { items, resourceVersion: this.rvValue };
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Every cached object (for the server's own bookkeeping: dependents, namespaces). */
  values(): IterableIterator<CachedObject> {
    return this.objects.values();
  }

  /**
   * Start a watch. A start older than the ring holds throws a 410 Expired ApiError (the HTTP
   * layer sends it as an ERROR event); call waitFresh first for a start ahead of the cache.
   */
  watch(req: WatchRequest): CacheWatcher {
    const frames: Buffer[] = [];
    let startRv: number;
    if (req.fromRv === undefined) {
      startRv = this.rvValue;
      for (const o of this.list(req.filter).items) frames.push(this.initialFrame(o, req.encoder));
      if (req.initialEventsEndBookmark) frames.push(req.encoder.bookmark(startRv, true));
    } else {
      if (req.fromRv < this.windowStart) {
        throw errors.expired(`too old resource version: ${req.fromRv} (${this.windowStart + 1})`);
      }
      startRv = Math.max(req.fromRv, 0);
    }
    const nodeIndex =
      this.resource.kind === "Pod" ? req.filter.fields.find((f) => f.field === "spec.nodeName" && f.operator === "=")?.value : undefined;
    const w = new CacheWatcher(this, req.filter, req.encoder, req.sink, req.allowBookmarks, startRv, frames.length + this.ring.size, this.options.maxPendingFrames, nodeIndex);
    for (const f of frames) w.push(f);
    if (req.fromRv !== undefined) {
      for (const e of this.ring.since(req.fromRv)) this.deliver(w, e);
    }
    if (w.closed) return w;
    if (nodeIndex !== undefined) {
      let set = this.byNode.get(nodeIndex);
      if (set === undefined) this.byNode.set(nodeIndex, (set = new Set()));
      set.add(w);
    } else {
      this.unindexed.add(w);
    }
    return w;
  }

  /** @internal A watcher has frames to write: flush it at the next turn. */
  scheduleFlush(w: CacheWatcher): void {
    this.toFlush.add(w);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushSome());
  }

  /** Flush up to watchersPerTurn watchers, oldest first, then yield the turn if more wait. */
  private flushSome(): void {
    this.flushScheduled = false;
    let n = 0;
    for (const w of this.toFlush) {
      this.toFlush.delete(w);
      w.flush();
      if (++n >= watchersPerTurn) break;
    }
    if (this.toFlush.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushSome());
    }
  }

  /** @internal A watcher's client is too slow: close it with an error it can act on. */
  closeSlow(w: CacheWatcher): void {
    this.stats.slowWatchersClosed++;
    this.logger?.warn({ resource: this.resource.plural, pending: w.pending }, "closing a watcher whose client reads too slowly");
    w.close(
      errors.expired(
        `watch of ${this.resource.plural} closed: the client read too slowly (more than ${this.options.maxPendingFrames} events waiting); list again and watch from the new resourceVersion`,
      ).status,
    );
  }

  /** @internal */
  remove(w: CacheWatcher): void {
    this.toFlush.delete(w);
    if (w.node !== undefined) {
      const set = this.byNode.get(w.node);
      set?.delete(w);
      if (set?.size === 0) this.byNode.delete(w.node);
    } else {
      this.unindexed.delete(w);
    }
  }

  private *allWatchers(): Iterable<CacheWatcher> {
    yield* [...this.unindexed];
    for (const set of [...this.byNode.values()]) yield* [...set];
  }

  /** Send bookmarks now (the timer calls this; tests may too). */
  bookmarkTick(): void {
    this.storeWatch?.requestProgress();
    let frame: Buffer | undefined;
    let encoderKey = "";
    for (const w of this.allWatchers()) {
      if (!w.allowBookmarks || w.sentRv >= this.rvValue) continue;
      if (frame === undefined || encoderKey !== w.encoder.key) {
        frame = w.encoder.bookmark(this.rvValue, false);
        encoderKey = w.encoder.key;
      }
      w.push(frame);
      w.sentRv = this.rvValue;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    this.storeWatch?.close();
    for (const w of this.allWatchers()) w.close();
  }
}

/** The JSON encoding of watch events: `{"type":"ADDED","object":{...}}` and a newline. */
export function jsonEventEncoder(resource: ResourceInfo): EventEncoder {
  return {
    key: "json",
    encode: (type, object) => Buffer.from(`{"type":"${type}","object":${jsonOf(object)}}\n`),
    bookmark: (rv, end) => {
      const metadata: JsonObject = { resourceVersion: String(rv), creationTimestamp: null };
      if (end) metadata["annotations"] = { "k8s.io/initial-events-end": "true" };
      return Buffer.from(`${JSON.stringify({ type: "BOOKMARK", object: { kind: resource.kind, apiVersion: resource.groupVersion, metadata } })}\n`);
    },
    error: (status) => Buffer.from(`${JSON.stringify({ type: "ERROR", object: status })}\n`),
  };
}
