/**
 * What api-watch-fanout's main thread and its watcher threads (watch-worker.ts) say to each
 * other; apart from the worker, so that importing these never starts one.
 */

export interface ApiWatchWorkerSpec {
  readonly workerIndex: number;
  /** The API server (http://host:port) of each of this thread's watches. */
  readonly servers: readonly string[];
  /** The watch's path and query, resourceVersion included. */
  readonly path: string;
  /** Watch requests of this thread waiting for their response headers at once, at most. */
  readonly concurrency: number;
  readonly control: SharedArrayBuffer;
  /**
   * Float64Array, four slots per thread: [4w] events received in the measured window,
   * [4w + 1] watches established, [4w + 2] bytes received in the window, [4w + 3] errors.
   */
  readonly counters: SharedArrayBuffer;
  /**
   * The drain's request: Int32 [0] set to 1 once the Float64s at byte 8 hold the last write's
   * resourceVersion, the writes acknowledged, and the deadline (Date.now() ms). See newDrain.
   */
  readonly drain: SharedArrayBuffer;
  readonly stampBase: bigint;
}

export function newDrain(): SharedArrayBuffer {
  return new SharedArrayBuffer(32);
}

/** Asks every watcher thread sharing `drain` to drain: the values first, then the flag. */
export function requestDrain(drain: SharedArrayBuffer, untilRevision: number, expectedEvents: number, deadline: number): void {
  new Float64Array(drain, 8, 3).set([untilRevision, expectedEvents, deadline]);
  Atomics.store(new Int32Array(drain, 0, 1), 0, 1);
}

export const counterSlots = 4;

export type ApiWatchWorkerCommand =
  | { readonly type: "establish" }
  | { readonly type: "mark" }
  /** The drain was asked for in `drain`: look now (the shared memory is read on every chunk too). */
  | { readonly type: "finish" };

export interface ApiWatchWorkerEstablished {
  readonly type: "established";
  readonly established: number;
  /** stampNow() of the first watch request sent and of the last response headers received. */
  readonly firstSentMicros: number;
  readonly lastEstablishedMicros: number;
}

/** What went wrong, by kind: a watch error is never just a number. */
export interface WatchErrorCounts {
  /** Watch requests answered with another status than 200, or failing before an answer. */
  establish: number;
  /** ERROR events (e.g. 410 Expired: the server closed a watch whose client read too slowly). */
  errorEvents: number;
  /** Streams that ended or broke while the run still needed them. */
  streamsEnded: number;
  /** Lines that were not JSON, or events without a type, object or resourceVersion. */
  malformed: number;
  /** Events of an unexpected type (not ADDED or MODIFIED) or kind (not Pod). */
  unexpected: number;
  /** Events whose resourceVersion was not above the watch's previous event's. */
  outOfOrder: number;
}

export interface ApiWatchWorkerResult {
  readonly type: "result";
  readonly histogram: Float64Array;
  readonly drained: boolean;
  readonly completeWatchers: number;
  readonly missingEvents: number;
  /** Open watches that had not reached the last write's resourceVersion when the drain ended. */
  readonly behindWatchers: number;
  /** Watches that reached it but had fewer events than writes acknowledged: they missed some. */
  readonly gapWatchers: number;
  /** Watches still open when the result was taken. */
  readonly openWatchers: number;
  readonly errors: WatchErrorCounts;
  readonly firstError: string | undefined;
  readonly busyPercent: number;
}
