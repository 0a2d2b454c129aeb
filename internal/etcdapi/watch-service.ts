import type { ServerDuplexStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Event, KeyValue, Watcher, WatchOptions, WatchResponse as HubResponse } from "../mvcc/index.js";
import { EMPTY_BYTES, compareBytes } from "../mvcc/index.js";
import type { ResponseHeader, ServerContext } from "./context.js";
import { encodeWatchResponse } from "./codec.js";
import { grpcOverheadBytes } from "./context.js";
import type { FrameSink } from "./frame-sink.js";
import { callSink, rawSink } from "./frame-sink.js";

export interface WatchServiceOptions {
  /**
   * How often watchers created with progress_notify that saw no events are told the current
   * revision, in milliseconds. Default 10 minutes, as etcd; up to a tenth more is added as
   * jitter, as etcd does, so streams created together do not all report at once.
   */
  readonly progressIntervalMs?: number;
  /**
   * Events a watcher may hold while its stream cannot send. Past this it leaves live fan-out
   * and later catches up from the store's history at the pace its client reads (etcd's
   * unsynced watchers). Default: the store's watch hub setting.
   */
  readonly maxQueuedEvents?: number;
  /**
   * Bytes above which a response of several revisions (a catch-up from history) is sent as
   * several responses, split between revisions, so no message nears gRPC's 2 GiB limit however
   * large the kept values. Default 64 MiB; watches asking for `fragment` are split as etcd does
   * instead.
   */
  readonly maxResponseBytes?: number;
}

const defaultProgressIntervalMs = 10 * 60 * 1000;
const defaultMaxResponseBytes = 64 * 1024 * 1024;


/** etcd's watch id for a response that belongs to the whole stream (a RequestProgress answer). */
const streamWatchId = -1;

/** An empty key stands for "\0", the smallest key, as in etcd. */
const smallestKey = new Uint8Array([0]);

// etcd's messages for refused creates, from its mvcc package; clientv3 shows them as they are
const errEmptyRange = "mvcc: watcher range is empty";
const errDuplicateId = "mvcc: duplicate watch ID provided on the WatchStream";

interface WatchCreateRequest {
  readonly key?: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly startRevision?: number;
  readonly progressNotify?: boolean;
  readonly filters?: readonly number[];
  readonly prevKv?: boolean;
  readonly watchId?: number;
  readonly fragment?: boolean;
}

/** A decoded etcdserverpb.WatchRequest: only the oneof's chosen field is set. */
type WatchRequest =
  | { readonly requestUnion: "createRequest"; readonly createRequest: WatchCreateRequest }
  | { readonly requestUnion: "cancelRequest"; readonly cancelRequest: { readonly watchId?: number } }
  | { readonly requestUnion: "progressRequest"; readonly progressRequest: object }
  | { readonly requestUnion?: undefined };

/** mvccpb.Event as protobufjs encodes it: the type as its enum number. */
interface WireEvent {
  readonly type: number;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

interface WireResponse {
  readonly header: ResponseHeader;
  readonly watchId: number;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
  readonly cancelReason?: string;
  readonly fragment?: boolean;
  readonly events?: readonly WireEvent[];
}

/** Every response is encoded before it is written (see sharedEncoding); the codec passes bytes through. */
type WatchCall = ServerDuplexStream<WatchRequest, Buffer>;

/**
 * Queued responses are written together at the end of the turn that queued them (one pump, or
 * one request's answers), or sooner once this many bytes wait.
 */
const flushBytes = 64 * 1024;

// Keyed by the hub's event arrays, which it shares between every watcher that wants a whole
// revision with the same prevKv choice: each such array is converted once for all streams.
const wireCache = new WeakMap<readonly Event[], readonly WireEvent[]>();

function wireEvents(events: readonly Event[]): readonly WireEvent[] {
  let wire = wireCache.get(events);
  if (wire === undefined) {
    wire = events.map((e) => {
      const type = e.type === "PUT" ? 0 : 1;
      return e.prevKv === undefined ? { type, kv: e.kv } : { type, kv: e.kv, prevKv: e.prevKv };
    });
    wireCache.set(events, wire);
  }
  return wire;
}

/** An upper bound of a key-value's encoded size: its bytes plus tags and four int64 varints. */
function kvBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + 56;
}

function eventBytes(e: WireEvent): number {
  return kvBytes(e.kv) + (e.prevKv === undefined ? 0 : kvBytes(e.prevKv)) + 16;
}

/**
 * etcd's sendFragments: events split into runs below maxBytes (a single event may exceed it),
 * or one run when the whole response fits or holds only one event.
 */
function fragmentEvents(events: readonly WireEvent[], maxBytes: number): (readonly WireEvent[])[] {
  if (events.length < 2) return [events];
  const runs: WireEvent[][] = [];
  let run: WireEvent[] = [];
  let size = 0;
  for (const e of events) {
    const n = eventBytes(e);
    if (run.length > 0 && size + n >= maxBytes) {
      runs.push(run);
      run = [];
      size = 0;
    }
    run.push(e);
    size += n;
  }
  runs.push(run);
  return runs;
}

/**
 * Events split into runs of whole revisions, a run ending once it reaches maxBytes; a single
 * revision is never split, whatever its size.
 */
function splitAtRevisions(events: readonly WireEvent[], maxBytes: number): (readonly WireEvent[])[] {
  if (events.length < 2) return [events];
  const runs: WireEvent[][] = [];
  let run: WireEvent[] = [];
  let size = 0;
  for (const e of events) {
    const last = run[run.length - 1];
    if (last !== undefined && size >= maxBytes && last.kv.modRevision !== e.kv.modRevision) {
      runs.push(run);
      run = [];
      size = 0;
    }
    run.push(e);
    size += eventBytes(e);
  }
  runs.push(run);
  return runs;
}

/**
 * The hub's responses for one watcher, grouped so that each group leaves as one message:
 * consecutive event-bearing responses form one group, as etcd sends a catching-up watcher many
 * revisions per message (a watcher behind by a thousand revisions gets one message, not a
 * thousand); cancels and progress reports stay alone, in place.
 */
export function coalesce(responses: readonly HubResponse[]): HubResponse[][] {
  const out: HubResponse[][] = [];
  let run: HubResponse[] | undefined;
  for (const r of responses) {
    const mergeable = r.events.length > 0 && !r.canceled;
    if (mergeable && run !== undefined) {
      run.push(r);
      continue;
    }
    const group = [r];
    out.push(group);
    run = mergeable ? group : undefined;
  }
  return out;
}

/** Whether a hub response holds exactly one revision (a live one always does). */
function oneRevision(r: HubResponse): boolean {
  return r.events[0]?.kv.modRevision === r.events[r.events.length - 1]?.kv.modRevision;
}

// WatchResponse's field numbers (proto/rpc.proto): header 1, watch_id 2, events 11.
const watchIdTag = (2 << 3) | 0;

// Keyed, like wireCache, by the hub's shared event arrays: the header and events of a revision
// are encoded once, and each watcher's message is its watch_id followed by those bytes
// (protobuf fields may come in any order, and a decoder merges them).
const encodedCache = new WeakMap<readonly Event[], Buffer>();

function sharedEncoding(key: readonly Event[], events: readonly WireEvent[], header: ResponseHeader): Buffer {
  let bytes = encodedCache.get(key);
  if (bytes === undefined) {
    bytes = encodeWatchResponse({ header, events });
    encodedCache.set(key, bytes);
  }
  return bytes;
}

/**
 * `watch_id` as an encoded varint field, which goes before a revision's shared bytes. Empty for
 * 0, the proto default, left out as an encoder would. Watch ids are ≥ 0 here (−1 is progress).
 */
function watchIdField(id: number): Buffer {
  if (id === 0) return Buffer.alloc(0);
  const head: number[] = [watchIdTag];
  let v = id;
  while (v >= 0x80) {
    head.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  head.push(v);
  return Buffer.from(head);
}

/** One watch of a stream: the hub's watcher under the id the client knows it by. */
interface StreamWatch {
  readonly id: number;
  /** The id as an encoded watch_id field, put before shared encodings. */
  readonly idField: Buffer;
  readonly watcher: Watcher;
  readonly progressNotify: boolean;
  readonly fragment: boolean;
  /** Events were sent since the last progress tick, so the next tick skips this watch (etcd). */
  sentEvents: boolean;
}

/**
 * The server side of one Watch call: its watches, and the pump that moves their responses from
 * the hub onto the call.
 *
 * Back-pressure: the hub never waits for a stream. A watcher that got something while the call
 * is still sending earlier responses keeps it; past maxQueuedEvents the hub lets it fall behind
 * and take() later feeds it from history. Responses are queued on the stream's sink and flushed
 * together (one HTTP/2 write for a whole pump); the pump only takes while the transport accepts
 * writes (a flush returning false means wait for 'drain'), and reading requests is paused meanwhile,
 * as etcd's receive loop blocks on a full control channel, so a client that does not read holds
 * at most a write buffer and one take per watch on the server.
 */
class WatchStream {
  private readonly watches = new Map<number, StreamWatch>();
  /** Watches with something to take, in the order they will be served. */
  private readonly ready = new Set<StreamWatch>();
  private readonly sink: FrameSink;
  private nextWatchId = 0;
  private blocked = false;
  private flushScheduled = false;
  private pumpScheduled = false;
  private progressRequested = false;
  private progressTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly call: WatchCall,
    private readonly opts: WatchServiceOptions,
  ) {
    call.on("data", (req: WatchRequest) => this.receive(req));
    this.sink = rawSink(call, () => this.drained()) ?? callSink(call, () => this.drained());
    // A client half-close is not an end: etcd keeps sending until the call is canceled.
    for (const ev of ["cancelled", "close", "error"]) call.on(ev, () => this.close());
  }

  private receive(req: WatchRequest): void {
    if (this.closed) return;
    try {
      switch (req.requestUnion) {
        case "createRequest":
          this.create(req.createRequest);
          return;
        case "cancelRequest":
          this.cancel(req.cancelRequest.watchId ?? 0);
          return;
        case "progressRequest":
          this.progressRequested = true;
          this.maybeSendProgress();
          return;
        default:
          // etcd ignores what it does not understand rather than end the stream's other watches
          this.ctx.logger.debug({ request: req }, "ignoring a watch request with no known request_union");
      }
    } catch (err) {
      this.ctx.logger.warn({ err }, "watch request failed");
    }
  }

  private create(creq: WatchCreateRequest): void {
    const store = this.ctx.sm.store;
    const revision = store.currentRevision;
    const key = creq.key !== undefined && creq.key.length > 0 ? creq.key : smallestKey;
    const rangeEnd = creq.rangeEnd ?? EMPTY_BYTES;
    const fromKey = rangeEnd.length === 1 && rangeEnd[0] === 0;
    if (rangeEnd.length > 0 && !fromKey && compareBytes(key, rangeEnd) >= 0) {
      this.refuse(revision, errEmptyRange);
      return;
    }
    let id = creq.watchId ?? 0;
    if (id === 0) {
      while (this.watches.has(this.nextWatchId)) this.nextWatchId++;
      id = this.nextWatchId++;
    } else if (this.watches.has(id)) {
      this.refuse(revision, errDuplicateId);
      return;
    }
    // etcd treats a negative start like any revision before the first: the whole kept history,
    // or a compacted cancel once anything was compacted
    const start = creq.startRevision ?? 0;
    const options: WatchOptions = {
      prevKv: creq.prevKv === true,
      filters: (creq.filters ?? []).filter((f): f is 0 | 1 => f === 0 || f === 1),
      progressNotify: creq.progressNotify === true,
      onReady: (w) => {
        const sw = this.watches.get(id);
        if (sw?.watcher === w) this.markReady(sw);
      },
      ...(this.opts.maxQueuedEvents === undefined ? {} : { maxQueuedEvents: this.opts.maxQueuedEvents }),
    };
    let watcher: Watcher;
    try {
      watcher = store.watch(key, rangeEnd, start < 0 ? 1 : start, options);
    } catch (err) {
      // e.g. a start revision beyond 2^53: refused like etcd's own refusals, the stream lives on
      this.refuse(revision, err instanceof Error ? err.message : String(err));
      return;
    }
    const sw: StreamWatch = { id, idField: watchIdField(id), watcher, progressNotify: creq.progressNotify === true, fragment: creq.fragment === true, sentEvents: false };
    this.watches.set(id, sw);
    this.write({ header: this.ctx.header(revision), watchId: id, created: true });
    // a start in the past (or a compacted one) has something to take already; watch() does not call onReady
    if (watcher.pending) this.markReady(sw);
    if (sw.progressNotify) this.startProgressTicker();
  }

  private refuse(revision: number, reason: string): void {
    this.write({ header: this.ctx.header(revision), watchId: -1, created: true, canceled: true, cancelReason: reason });
  }

  private cancel(id: number): void {
    const sw = this.watches.get(id);
    // etcd answers nothing for an id it does not know
    if (sw === undefined) return;
    sw.watcher.cancel();
    this.watches.delete(id);
    this.ready.delete(sw);
    this.write({ header: this.ctx.header(), watchId: id, canceled: true });
    this.maybeSendProgress();
  }

  private markReady(sw: StreamWatch): void {
    if (this.closed) return;
    this.ready.add(sw);
    this.schedulePump();
  }

  // onReady runs inside the store's write, on the raft apply path: encoding and sending wait
  // for a later turn, which also gathers the revisions applied together into one pump.
  private schedulePump(): void {
    if (this.pumpScheduled || this.blocked || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    for (const sw of this.ready) {
      if (this.blocked || this.closed) return;
      this.ready.delete(sw);
      const responses = sw.watcher.take();
      // one that is still catching up goes to the back, so it cannot starve the others
      if (sw.watcher.pending) this.ready.add(sw);
      for (const group of coalesce(responses)) this.sendGroup(sw, group);
    }
    this.maybeSendProgress();
  }

  /**
   * One message for a group of coalesce(). Revisions that every watcher of them gets whole are
   * encoded once and shared: a message of several is their encodings one after another behind
   * the watch_id. A decoder appends the repeated events and keeps the last header, the newest
   * revision's, as for one encoded message.
   */
  private sendGroup(sw: StreamWatch, group: readonly HubResponse[]): void {
    const last = group[group.length - 1] as HubResponse;
    if (group.length === 1) return this.send(sw, last);
    const maxBytes = this.opts.maxResponseBytes ?? defaultMaxResponseBytes;
    if (!sw.fragment && group.every(oneRevision)) {
      const parts: Buffer[] = [];
      let bytes = 0;
      for (const r of group) {
        // The first watcher of a revision encodes it; every later one only looks it up.
        const encoded = encodedCache.get(r.events) ?? sharedEncoding(r.events, wireEvents(r.events), this.ctx.header(r.revision));
        if (bytes > 0 && bytes + encoded.length > maxBytes) {
          this.write(Buffer.concat(parts, bytes), sw.idField);
          parts.length = 0;
          bytes = 0;
        }
        parts.push(encoded);
        bytes += encoded.length;
      }
      sw.sentEvents = true;
      this.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes), sw.idField);
      return;
    }
    const events: Event[] = [];
    for (const r of group) for (const e of r.events) events.push(e);
    this.send(sw, { ...last, events });
  }

  private send(sw: StreamWatch, r: HubResponse): void {
    const header = this.ctx.header(r.revision);
    if (r.canceled) {
      // compaction removed history it needs; the id stays taken until the client cancels it, as in etcd
      this.write({ header, watchId: sw.id, canceled: true, compactRevision: r.compactRevision });
      return;
    }
    if (r.events.length === 0) {
      this.write({ header, watchId: sw.id });
      return;
    }
    sw.sentEvents = true;
    const events = wireEvents(r.events);
    if (sw.fragment) {
      const runs = fragmentEvents(events, this.ctx.limits.maxRequestBytes + grpcOverheadBytes);
      runs.forEach((run, i) => this.write({ header, watchId: sw.id, events: run, fragment: i < runs.length - 1 }));
      return;
    }
    const runs = splitAtRevisions(events, this.opts.maxResponseBytes ?? defaultMaxResponseBytes);
    if (runs.length === 1) {
      // The common case: one revision that every watcher of it gets whole, encoded once.
      this.write(sharedEncoding(r.events, events, header), sw.idField);
      return;
    }
    runs.forEach((run, i) => {
      // all but the last report their own last revision: later ones are still to come
      const at = i === runs.length - 1 ? header : this.ctx.header(run[run.length - 1]?.kv.modRevision);
      this.write({ header: at, watchId: sw.id, events: run });
    });
  }

  /**
   * Answers a progress request once every watch of the stream has been sent everything up to
   * the current revision, so the revision it reports never runs ahead of delivered events
   * (etcd 3.4 answered at once and could; 3.5 waits the same way).
   */
  private maybeSendProgress(): void {
    if (!this.progressRequested || this.closed || this.ready.size > 0) return;
    this.progressRequested = false;
    this.write({ header: this.ctx.header(), watchId: streamWatchId });
  }

  private startProgressTicker(): void {
    if (this.progressTimer !== undefined) return;
    const interval = this.opts.progressIntervalMs ?? defaultProgressIntervalMs;
    this.progressTimer = setInterval(() => this.progressTick(), interval + Math.floor((Math.random() * interval) / 10));
    this.progressTimer.unref();
  }

  private progressTick(): void {
    const hub = this.ctx.sm.store.watchHub;
    for (const sw of this.watches.values()) {
      if (!sw.progressNotify) continue;
      // the hub answers only for a watcher at the head, and through its queue, after its events
      if (!sw.sentEvents) hub.requestProgress(sw.watcher);
      sw.sentEvents = false;
    }
  }

  /** Queue a response; encoded bytes may get a prefix, such as a watch_id field. */
  private write(res: WireResponse | Buffer, prefix?: Buffer): void {
    if (this.closed) return;
    this.sink.push(Buffer.isBuffer(res) ? res : encodeWatchResponse(res), prefix);
    if (this.sink.pendingBytes >= flushBytes) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    if (!this.sink.flush() && !this.blocked) {
      this.blocked = true;
      this.call.pause();
    }
  }

  private drained(): void {
    if (this.closed || !this.blocked) return;
    this.blocked = false;
    this.call.resume();
    if (this.ready.size > 0) this.schedulePump();
    else this.maybeSendProgress();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sw of this.watches.values()) sw.watcher.cancel();
    this.watches.clear();
    this.ready.clear();
    clearInterval(this.progressTimer);
  }
}

/**
 * etcdserverpb.Watch, as etcd 3.4's v3rpc watch server: many watches multiplexed on one
 * bidirectional stream, each announced by a created response, then fed whole revisions in
 * order from the store's watch hub.
 */
export function watchService(ctx: ServerContext, options: WatchServiceOptions = {}): UntypedServiceImplementation {
  return {
    Watch: (call: WatchCall) => {
      new WatchStream(ctx, call, options);
    },
  };
}
