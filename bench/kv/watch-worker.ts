import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import { bucketOf, newHistogram } from "./histogram.js";
import type { WatchMessage } from "./watch-wire.js";
import { decodeWatchResponse, stampNow } from "./watch-wire.js";
import { busyPercentSince, isMeasuring } from "./window.js";

/**
 * A watcher thread: its share of the Watch streams, each carrying many watches, as etcd's
 * clientv3 multiplexes them. Watches of a stream are created one after another (the next create
 * is sent when the previous one's created response arrives), as clientv3 does.
 */

export interface WatchRange {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

export interface WatchWorkerSpec {
  readonly workerIndex: number;
  /** host:port per channel (one TCP connection each) this thread opens. */
  readonly channelEndpoints: readonly string[];
  /** The distinct ranges watched; streams name them by index. */
  readonly ranges: readonly WatchRange[];
  /** Each stream: its channel (an index into channelEndpoints) and the range of each watch. */
  readonly streams: readonly { readonly channel: number; readonly watches: readonly number[] }[];
  /** The shared control flags (see window.ts). */
  readonly control: SharedArrayBuffer;
  /**
   * Float64Array, three slots per thread: [3w] events received in the measured window,
   * [3w + 1] watches created, [3w + 2] responses with events received in the window; read by
   * the main thread for progress and at the window's edges.
   */
  readonly counters: SharedArrayBuffer;
  readonly stampBase: bigint;
}

export type WatchWorkerCommand =
  | { readonly type: "create" }
  | { readonly type: "mark" }
  | {
      readonly type: "finish";
      /** Wait until every watch has seen this revision (or the deadline); none: answer at once. */
      readonly untilRevision: number | undefined;
      /** Events every watch should have received in all: the puts acknowledged. */
      readonly expectedEvents: number;
      readonly deadlineMs: number;
    };

export interface WatchWorkerCreated {
  readonly type: "created";
  readonly created: number;
  /** stampNow() of the first create request sent and of the last created response received. */
  readonly firstSentMicros: number;
  readonly lastCreatedMicros: number;
}

export interface WatchWorkerResult {
  readonly type: "result";
  readonly histogram: Float64Array;
  readonly drained: boolean;
  readonly completeWatchers: number;
  readonly missingEvents: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly busyPercent: number;
}

const spec = workerData as WatchWorkerSpec;
const control = new Int32Array(spec.control);
const counters = new Float64Array(spec.counters);
const watchMethod = serviceDefinition("Watch")["Watch"] as grpc.MethodDefinition<object, object>;
const serialize = watchMethod.requestSerialize as (request: object) => Buffer;
// A local subchannel pool per channel: grpc-js otherwise shares one connection among channels
// with the same target and options.
const channels = spec.channelEndpoints.map((e) => new grpc.Client(e, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));

const totalWatches = spec.streams.reduce((a, s) => a + s.watches.length, 0);
/** Per watch slot (numbered across this thread's streams): events received, last mod_revision. */
const received = new Float64Array(totalWatches);
const lastRevision = new Float64Array(totalWatches);

const histogram = newHistogram();
let deliveredInWindow = 0;
let responsesInWindow = 0;
let created = 0;
let errors = 0;
let firstError: string | undefined;
let firstSentMicros = Number.NaN;
let lastCreatedMicros = Number.NaN;
let streamsCreating = spec.streams.length;
let busyMark = performance.eventLoopUtilization();
let drainTarget = Number.POSITIVE_INFINITY;
let waitingToDrain = 0;
let onDrained: (() => void) | undefined;

function fail(message: string): void {
  errors++;
  firstError ??= message;
}

function streamCreated(): void {
  if (--streamsCreating > 0) return;
  parentPort?.postMessage({ type: "created", created, firstSentMicros, lastCreatedMicros } satisfies WatchWorkerCreated);
}

function openStream(channel: grpc.Client, watches: readonly number[], firstSlot: number): void {
  const call = channel.makeBidiStreamRequest<object, WatchMessage>(watchMethod.path, serialize, decodeWatchResponse);
  const slots = new Map<number, number>();
  let next = 0;
  let creating = true;
  const createNext = (): void => {
    if (next === watches.length) {
      creating = false;
      streamCreated();
      return;
    }
    const range = spec.ranges[watches[next++] as number] as WatchRange;
    if (Number.isNaN(firstSentMicros)) firstSentMicros = stampNow(spec.stampBase);
    call.write({ createRequest: { key: range.key, rangeEnd: range.rangeEnd } });
  };
  call.on("data", (m: WatchMessage) => {
    if (m.created) {
      if (m.canceled) fail(`watch create refused: ${m.cancelReason}`);
      else {
        slots.set(m.watchId, firstSlot + slots.size);
        created++;
        counters[3 * spec.workerIndex + 1] = created;
        lastCreatedMicros = stampNow(spec.stampBase);
      }
      createNext();
      return;
    }
    if (m.canceled) {
      fail(`watch ${m.watchId} canceled by the server${m.compactRevision > 0 ? ` (compacted at ${m.compactRevision})` : ""}: ${m.cancelReason || "no reason given"}`);
      return;
    }
    const slot = slots.get(m.watchId);
    if (m.events === 0 || slot === undefined) return;
    received[slot] = (received[slot] ?? 0) + m.events;
    const before = lastRevision[slot] ?? 0;
    lastRevision[slot] = m.lastModRevision;
    if (isMeasuring(control)) {
      deliveredInWindow += m.events;
      counters[3 * spec.workerIndex] = deliveredInWindow;
      counters[3 * spec.workerIndex + 2] = ++responsesInWindow;
      const now = stampNow(spec.stampBase);
      for (const sent of m.stamps) {
        const b = bucketOf(now - sent);
        histogram[b] = (histogram[b] ?? 0) + 1;
      }
    }
    if (before < drainTarget && m.lastModRevision >= drainTarget && --waitingToDrain === 0) onDrained?.();
  });
  call.on("error", (err: Error) => {
    fail(`watch stream: ${err.message}`);
    if (creating) {
      creating = false;
      streamCreated();
    }
  });
  createNext();
}

function report(drained: boolean, expectedEvents: number, busyPercent: number): void {
  let completeWatchers = 0;
  let missingEvents = 0;
  for (let slot = 0; slot < totalWatches; slot++) {
    const got = received[slot] ?? 0;
    if (got >= expectedEvents) completeWatchers++;
    else missingEvents += expectedEvents - got;
  }
  const result: WatchWorkerResult = {
    type: "result",
    histogram,
    drained,
    completeWatchers,
    missingEvents,
    errors,
    firstError,
    busyPercent,
  };
  parentPort?.postMessage(result);
}

parentPort?.on("message", (command: WatchWorkerCommand) => {
  switch (command.type) {
    case "create": {
      let slot = 0;
      spec.streams.forEach((s) => {
        openStream(channels[s.channel] as grpc.Client, s.watches, slot);
        slot += s.watches.length;
      });
      if (spec.streams.length === 0) streamCreated();
      return;
    }
    case "mark":
      // Only the busy figure needs a start: nothing is counted while the measuring flag is clear.
      busyMark = performance.eventLoopUtilization();
      return;
    case "finish": {
      // The busy figure is the window's (from "mark" to now), not the drain's that follows.
      const busyPercent = busyPercentSince(busyMark);
      const finish = (drained: boolean): void => {
        onDrained = undefined;
        report(drained, command.expectedEvents, busyPercent);
      };
      if (command.untilRevision === undefined) return finish(true);
      drainTarget = command.untilRevision;
      waitingToDrain = 0;
      for (let slot = 0; slot < totalWatches; slot++) if ((lastRevision[slot] ?? 0) < drainTarget) waitingToDrain++;
      if (waitingToDrain === 0) return finish(true);
      const timer = setTimeout(() => finish(false), command.deadlineMs);
      onDrained = () => {
        clearTimeout(timer);
        finish(true);
      };
      return;
    }
  }
});

parentPort?.postMessage({ type: "ready" });
