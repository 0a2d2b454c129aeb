import type { LatencySummary, TargetResult } from "../kv/index.js";
import type { WatchErrorCounts } from "./watch-messages.js";

/**
 * The shape of bench/results/<date>-api-*.json: kv's TargetResult (so tables, the report and
 * the etcd peer share it), with what only the API benchmarks measure under `api`.
 */

/** The writer's side: api-write's whole result, api-watch-fanout's writes. */
export interface ApiWriteFigures {
  /** Writes per second asked of the writer. */
  readonly rate: number;
  /** Writes sent in the window per second (below `rate` only if the client fell behind). */
  readonly sentPerSecond: number;
  /** Writes acknowledged in the window, and per second: the achieved rate. */
  readonly acknowledged: number;
  readonly acknowledgedPerSecond: number;
  readonly errors: number;
  /** Errors by HTTP status, "0" for network errors and timeouts, since the writer started. */
  readonly errorsByStatus: Record<string, number>;
  /** Creates and updates acknowledged since the writer started. */
  readonly creates: number;
  readonly updates: number;
  readonly skipped: number;
  readonly unanswered: number;
  /** Average request body of the writes acknowledged in the window, bytes. */
  readonly requestBytes: number;
  readonly latencyMs: LatencySummary;
  readonly histogram: [number, number][];
}

export interface ApiWatchFigures {
  /** Where every watch started: the resourceVersion of a list of the empty namespace. */
  readonly startResourceVersion: string;
  readonly errors: WatchErrorCounts;
  /** Bytes of watch stream received in the window per event (the JSON line of one pod). */
  readonly bytesPerEvent: number;
  /** Watches still open when the drain ended. */
  readonly openWatchersAtEnd: number;
  /** Open watches that had not reached the last acknowledged write when the drain ended (late, not lost). */
  readonly behindWatchers: number;
  /** Watches that reached it with fewer events than writes acknowledged: events lost. */
  readonly gapWatchers: number;
}

/** One kind of list of api-list. */
export interface ApiListFigures {
  readonly kind: "cache" | "paged";
  /** The request, or the first page's request. */
  readonly path: string;
  /** Requests (pages, for paged lists) answered in the window, and their latency. */
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly latencyMs: LatencySummary;
  readonly histogram: [number, number][];
  /** Whole lists completed in the window (a paged list is one when its last page arrived), and their latency. */
  readonly lists: number;
  readonly listLatencyMs: LatencySummary;
  /** Objects received in the window, and per second of the window. */
  readonly objects: number;
  readonly objectsPerSecond: number;
  /** Bytes of one answer (page), on average, and MB/s received in the window. */
  readonly bytesPerRequest: number;
  readonly megabytesPerSecond: number;
  /** Lists whose object count was not the pods created (a paged list's pages together). */
  readonly wrongCounts: number;
  readonly clientCpuPercent: number;
  readonly serverCpuPercent: number;
  readonly otherCpuPercent: number;
  readonly seconds: number;
}

export interface ApiFigures {
  readonly writes?: ApiWriteFigures;
  readonly watch?: ApiWatchFigures;
  readonly lists?: ApiListFigures[];
  /** api-list: pods created before the lists, how long it took, and the servers' RSS then. */
  readonly preload?: { readonly pods: number; readonly seconds: number; readonly errors: number; readonly serverRssMB: number };
}

export interface ApiTargetResult extends TargetResult {
  readonly api?: ApiFigures;
}
