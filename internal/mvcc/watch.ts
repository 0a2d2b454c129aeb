import { keySpan, spanContains } from "./bytes.js";
import type { KeySpan } from "./bytes.js";
import { InvalidArgumentError } from "./errors.js";
import { WatchFilter } from "./types.js";
import type { Event, WatchResponse } from "./types.js";

/**
 * The events of one revision, built once by the write that made them and shared by every
 * watcher and by the history that catch-up reads. `ids` are the events' keys in index form.
 */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly Event[];
  readonly ids: readonly string[];
  /** `events` without prevKv, built on first need and shared from then on. */
  bare?: readonly Event[];
}

/** What the hub reads from the store: the revision counters and the kept history. */
export interface WatchableHistory {
  readonly currentRevision: number;
  readonly compactRevision: number;
  /** The events of a revision in (compactRevision, currentRevision]; undefined if it has none. */
  eventsAt(revision: number): RevisionEvents | undefined;
}

export interface WatchHubOptions {
  /**
   * Events a watcher may hold untaken. A revision that would push it past this (when it already
   * holds some) makes the watcher fall behind instead: it leaves live fan-out and later catches
   * up from history as its consumer takes. A single revision is never split, so one large
   * revision is delivered whole to an empty queue.
   */
  maxQueuedEvents?: number;
  /** Told when a watcher falls behind: its consumer is slower than the writes. */
  onSlowWatcher?: (watcher: Watcher) => void;
}

const defaultHubOptions: Required<Omit<WatchHubOptions, "onSlowWatcher">> = {
  maxQueuedEvents: 4096,
};

export interface WatchOptions {
  /** Attach each event's previous key-value. */
  readonly prevKv?: boolean;
  /** Drop PUT events (NOPUT) and/or DELETE events (NODELETE). */
  readonly filters?: readonly WatchFilter[];
  /** Include this watcher in notifyProgress() rounds (etcd's progress_notify). */
  readonly progressNotify?: boolean;
  /** Overrides the hub's maxQueuedEvents for this watcher. */
  readonly maxQueuedEvents?: number;
  /**
   * Called when the watcher goes from nothing pending to pending because of store activity
   * (a write, a compaction, a restore, a progress notification). Not called by watch() itself:
   * check `pending` right after creating. May call take() synchronously.
   */
  readonly onReady?: (watcher: Watcher) => void;
}

type WatcherState = "synced" | "unsynced" | "canceled";

/**
 * One watch. The consumer drains it with take(); a watcher that fell behind, or that started in
 * the past, is fed from history by take() itself, so a slow consumer paces its own catch-up and
 * never holds up writes.
 */
export class Watcher {
  /** @internal */ state: WatcherState;
  /**
   * @internal The first revision not yet handed over. For a synced watcher: the lowest
   * revision it accepts (it also implicitly follows the store head).
   */
  nextRevision: number;
  /** @internal */ queue: WatchResponse[] = [];
  /** @internal */ queuedEvents = 0;
  /** @internal Events were queued since the last progress round. */
  active = false;
  /** Times this watcher fell behind the writes. */
  fellBehind = 0;
  /** @internal */ readonly span: KeySpan;
  /** @internal */ readonly noPut: boolean;
  /** @internal */ readonly noDelete: boolean;

  /** @internal */
  constructor(
    private readonly hub: WatchHub,
    readonly id: number,
    readonly key: Uint8Array,
    readonly rangeEnd: Uint8Array,
    readonly startRevision: number,
    readonly prevKv: boolean,
    readonly progressNotify: boolean,
    readonly maxQueuedEvents: number,
    filters: readonly WatchFilter[],
    /** @internal */ readonly onReady: ((w: Watcher) => void) | undefined,
  ) {
    this.span = keySpan(key, rangeEnd);
    this.noPut = filters.includes(WatchFilter.NOPUT);
    this.noDelete = filters.includes(WatchFilter.NODELETE);
    this.state = "synced";
    this.nextRevision = startRevision;
  }

  get canceled(): boolean {
    return this.state === "canceled";
  }

  /** Whether take() would return something now. */
  get pending(): boolean {
    return this.queue.length > 0 || (this.state === "unsynced" && this.hub.hasHistoryFor(this));
  }

  /**
   * Everything queued, then (for a watcher behind the head) the next stretch of history: whole
   * revisions up to about maxQueuedEvents events. Keep taking while `pending`.
   */
  take(): WatchResponse[] {
    const out = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    if (this.state === "unsynced") this.hub.catchUp(this, out);
    return out;
  }

  /** Stops the watch; nothing more is delivered and the queue is dropped. */
  cancel(): void {
    this.hub.cancel(this);
  }

  /** @internal The events of rec this watcher wants, sharing arrays where nothing is dropped. */
  select(rec: RevisionEvents, matched: readonly number[]): readonly Event[] {
    const base = this.prevKv ? rec.events : bareEvents(rec);
    if (!this.noPut && !this.noDelete && matched.length === base.length) return base;
    const out: Event[] = [];
    for (const i of matched) {
      const ev = base[i] as Event;
      if (ev.type === "PUT" ? this.noPut : this.noDelete) continue;
      out.push(ev);
    }
    return out;
  }
}

function bareEvents(rec: RevisionEvents): readonly Event[] {
  if (rec.bare === undefined) {
    rec.bare = rec.events.some((e) => e.prevKv !== undefined)
      ? rec.events.map((e) => (e.prevKv === undefined ? e : { type: e.type, kv: e.kv }))
      : rec.events;
  }
  return rec.bare;
}

export interface WatchHubStats {
  readonly watchers: number;
  /** Watchers fed live by writes. */
  readonly synced: number;
  /** Watchers catching up from history (new ones starting in the past, and slow ones). */
  readonly unsynced: number;
  /** Times any watcher fell behind. */
  readonly fellBehind: number;
  /** Events waiting in watcher queues. */
  readonly queuedEvents: number;
}

/**
 * Fans each revision's events out to watchers. Synced watchers are indexed by exact key (a Map
 * lookup per event) and, for ranges, kept in a separate list that is scanned per event; a
 * revision is matched once and its shared event array handed to every watcher that wants all
 * of it. Watchers behind the head (unsynced) are skipped by writes and fed from history by
 * their own take().
 */
export class WatchHub {
  private readonly opts: Required<Omit<WatchHubOptions, "onSlowWatcher">> & WatchHubOptions;
  private nextId = 1;
  private readonly all = new Map<number, Watcher>();
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  private fellBehindTotal = 0;

  constructor(private readonly source: WatchableHistory, options: WatchHubOptions = {}) {
    this.opts = { ...defaultHubOptions, ...options };
  }

  /**
   * Watches [key, rangeEnd) (rangeEnd as in a range request) from startRevision: 0 means after
   * the current revision; a past revision replays history first; a revision at or below the
   * compact revision cannot be served and the watcher starts canceled with compactRevision set.
   */
  watch(key: Uint8Array, rangeEnd: Uint8Array | undefined, startRevision: number, options: WatchOptions = {}): Watcher {
    if (!Number.isSafeInteger(startRevision) || startRevision < 0) {
      throw new InvalidArgumentError("start_revision", `${String(startRevision)} is not a revision`);
    }
    const max = options.maxQueuedEvents ?? this.opts.maxQueuedEvents;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new InvalidArgumentError("max_queued_events", `${String(max)} is not a positive integer`);
    }
    const cur = this.source.currentRevision;
    const w = new Watcher(
      this,
      this.nextId++,
      new Uint8Array(key),
      new Uint8Array(rangeEnd ?? []),
      startRevision === 0 ? cur + 1 : startRevision,
      options.prevKv ?? false,
      options.progressNotify ?? false,
      max,
      options.filters ?? [],
      options.onReady,
    );
    this.all.set(w.id, w);
    if (w.nextRevision <= this.source.compactRevision) {
      this.finishCompacted(w);
    } else if (w.nextRevision > cur) {
      this.addSynced(w);
    } else {
      w.state = "unsynced";
      this.unsynced.add(w);
    }
    return w;
  }

  get(id: number): Watcher | undefined {
    return this.all.get(id);
  }

  stats(): WatchHubStats {
    let queued = 0;
    for (const w of this.all.values()) queued += w.queuedEvents;
    return {
      watchers: this.all.size,
      synced: this.all.size - this.unsynced.size,
      unsynced: this.unsynced.size,
      fellBehind: this.fellBehindTotal,
      queuedEvents: queued,
    };
  }

  /**
   * Queues a progress notification (events: [], revision: the current one) for a synced
   * watcher, as etcd's RequestProgress does. A watcher catching up gets nothing: its next
   * responses carry revisions anyway. Returns whether a notification was queued.
   */
  requestProgress(w: Watcher): boolean {
    if (w.state !== "synced") return false;
    this.queueProgress(w);
    return true;
  }

  /**
   * A periodic progress round: each synced watcher created with progressNotify that got no
   * events since the previous round and holds nothing is told the current revision.
   */
  notifyProgress(): void {
    for (const w of this.all.values()) {
      if (w.state === "synced" && w.progressNotify && !w.active && w.queue.length === 0) this.queueProgress(w);
      w.active = false;
    }
  }

  /** @internal Called by the store after each write revision is committed. */
  publish(rec: RevisionEvents): void {
    if (this.all.size === this.unsynced.size) return;
    const rev = rec.revision;
    const hits = new Map<Watcher, number[]>();
    const add = (w: Watcher, i: number): void => {
      const list = hits.get(w);
      if (list === undefined) hits.set(w, [i]);
      else list.push(i);
    };
    const ids = rec.ids;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const exact = this.byKey.get(id);
      if (exact !== undefined) for (const w of exact) add(w, i);
      for (const w of this.ranges) if (spanContains(w.span, id)) add(w, i);
    }
    const ready: Watcher[] = [];
    for (const [w, matched] of hits) {
      // a callback (onSlowWatcher) may have canceled it meanwhile
      if (w.state !== "synced" || rev < w.nextRevision) continue;
      w.nextRevision = rev + 1;
      const events = w.select(rec, matched);
      if (events.length === 0) continue;
      if (w.queuedEvents > 0 && w.queuedEvents + events.length > w.maxQueuedEvents) {
        this.fallBehind(w, rev);
        continue;
      }
      if (this.enqueue(w, eventsResponse(w, rev, events))) ready.push(w);
    }
    for (const w of ready) notify(w);
  }

  /** @internal After compaction: watchers that still need removed history are canceled. */
  compacted(compactRevision: number): void {
    const ready: Watcher[] = [];
    for (const w of [...this.unsynced]) {
      if (w.nextRevision <= compactRevision && this.finishCompacted(w)) ready.push(w);
    }
    for (const w of ready) notify(w);
  }

  /**
   * @internal After the store's whole state was replaced: every watcher continues from where
   * it was, caught up from the new history by take().
   */
  restored(previousRevision: number): void {
    const ready: Watcher[] = [];
    for (const w of [...this.all.values()]) {
      if (w.state !== "synced") continue;
      w.nextRevision = Math.max(w.nextRevision, previousRevision + 1);
      // nothing to catch up: stay on live fan-out (as unsynced it would wait for a take()
      // that nothing prompts)
      if (w.nextRevision > this.source.currentRevision) continue;
      this.removeSynced(w);
      w.state = "unsynced";
      this.unsynced.add(w);
      if (w.queue.length === 0 && this.hasHistoryFor(w)) ready.push(w);
    }
    const compact = this.source.compactRevision;
    for (const w of [...this.unsynced]) {
      if (w.nextRevision <= compact && this.finishCompacted(w) && !ready.includes(w)) ready.push(w);
    }
    for (const w of ready) notify(w);
  }

  /** @internal */
  hasHistoryFor(w: Watcher): boolean {
    return w.nextRevision <= this.source.currentRevision || w.nextRevision <= this.source.compactRevision;
  }

  /** @internal Appends the next stretch of history to out; rejoins live fan-out at the head. */
  catchUp(w: Watcher, out: WatchResponse[]): void {
    const src = this.source;
    if (w.nextRevision <= src.compactRevision) {
      this.finishCompacted(w);
      out.push(...w.queue);
      w.queue = [];
      return;
    }
    const cur = src.currentRevision;
    // what this take() already returns counts against the batch; an empty take always makes
    // progress by at least one revision, however large
    let already = 0;
    for (const r of out) already += r.events.length;
    const budget = w.maxQueuedEvents - already;
    const events: Event[] = [];
    let rev = w.nextRevision;
    for (; rev <= cur; rev++) {
      const rec = src.eventsAt(rev);
      if (rec === undefined) continue;
      const matched: number[] = [];
      for (let i = 0; i < rec.ids.length; i++) if (spanContains(w.span, rec.ids[i] as string)) matched.push(i);
      if (matched.length === 0) continue;
      const selected = w.select(rec, matched);
      if ((events.length > 0 || already > 0) && events.length + selected.length > budget) break;
      for (const ev of selected) events.push(ev);
    }
    if (events.length > 0) out.push(eventsResponse(w, rev - 1, events));
    w.nextRevision = rev;
    if (rev > cur) {
      this.unsynced.delete(w);
      this.addSynced(w);
    }
  }

  /** @internal */
  cancel(w: Watcher): void {
    if (w.state === "canceled") return;
    this.detach(w);
    w.queue = [];
    w.queuedEvents = 0;
  }

  private addSynced(w: Watcher): void {
    w.state = "synced";
    if (w.span.end === undefined) {
      let set = this.byKey.get(w.span.start);
      if (set === undefined) this.byKey.set(w.span.start, (set = new Set()));
      set.add(w);
    } else {
      this.ranges.add(w);
    }
  }

  private removeSynced(w: Watcher): void {
    if (w.span.end === undefined) {
      const set = this.byKey.get(w.span.start);
      set?.delete(w);
      if (set?.size === 0) this.byKey.delete(w.span.start);
    } else {
      this.ranges.delete(w);
    }
  }

  private detach(w: Watcher): void {
    if (w.state === "synced") this.removeSynced(w);
    else this.unsynced.delete(w);
    w.state = "canceled";
    this.all.delete(w.id);
  }

  private fallBehind(w: Watcher, rev: number): void {
    this.removeSynced(w);
    w.state = "unsynced";
    w.nextRevision = rev;
    w.fellBehind++;
    this.fellBehindTotal++;
    this.unsynced.add(w);
    if (this.opts.onSlowWatcher !== undefined) call(this.opts.onSlowWatcher, w);
  }

  /** Ends a watcher that needs compacted history; returns whether its queue was empty before. */
  private finishCompacted(w: Watcher): boolean {
    this.detach(w);
    return this.enqueue(w, {
      watchId: w.id,
      revision: this.source.currentRevision,
      events: [],
      compactRevision: this.source.compactRevision,
      canceled: true,
      progressNotify: false,
    });
  }

  private queueProgress(w: Watcher): void {
    const resp: WatchResponse = {
      watchId: w.id,
      revision: this.source.currentRevision,
      events: [],
      compactRevision: 0,
      canceled: false,
      progressNotify: true,
    };
    // a stalled consumer keeps one notification, the newest, not one per request
    const last = w.queue[w.queue.length - 1];
    if (last?.progressNotify) {
      w.queue[w.queue.length - 1] = resp;
      return;
    }
    if (this.enqueue(w, resp)) notify(w);
  }

  /** Returns whether the watcher was idle before (its consumer must be told). */
  private enqueue(w: Watcher, resp: WatchResponse): boolean {
    const wasIdle = w.queue.length === 0;
    w.queue.push(resp);
    w.queuedEvents += resp.events.length;
    if (resp.events.length > 0) w.active = true;
    return wasIdle;
  }
}

/**
 * Runs a consumer callback. Callbacks run inside the store's write, after it committed: one
 * that throws must not make the write look failed on the apply path, so its error is rethrown
 * on its own (an uncaught exception, as from an event listener).
 */
function call(fn: (w: Watcher) => void, w: Watcher): void {
  try {
    fn(w);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

function notify(w: Watcher): void {
  if (w.onReady !== undefined) call(w.onReady, w);
}

function eventsResponse(w: Watcher, revision: number, events: readonly Event[]): WatchResponse {
  return { watchId: w.id, revision, events, compactRevision: 0, canceled: false, progressNotify: false };
}
