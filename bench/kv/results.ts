import type { Target } from "./cluster.js";
import { bucketUpperMicros, quantileMicros } from "./histogram.js";

/** The shape of bench/results/*.json, shared by the harness and `npm run bench:report`. */

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** One operation type of a mixed run (update, list, keepalive), measured in the same window. */
export interface OperationResult {
  readonly kind: string;
  readonly requests: number;
  readonly errors: number;
  readonly compareFailures: number;
  readonly firstError: string | undefined;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
  readonly histogram: [number, number][];
}

/** Resident memory of one member, MB (2^20 bytes), from /proc/<pid>/status. */
export interface MemberMemory {
  readonly name: string;
  /** VmRSS before any watch was created. */
  readonly beforeMB: number;
  /** VmRSS once every watch was created (after a 1 s pause). */
  readonly watchersMB: number;
  /** VmRSS at the end of the measured window. */
  readonly endMB: number;
  /** VmHWM: the highest RSS the member ever had, read at the end of the window. */
  readonly peakMB: number;
}

/** The watch side of a run: watch-fanout's whole result, or the watchers of a mixed run. */
export interface WatchResult {
  readonly watchers: number;
  readonly streams: number;
  /** Watches that got their created response. */
  readonly createdWatchers: number;
  /** From the first create request sent to the last created response received. */
  readonly createSeconds: number;
  /** Puts per second asked of the writer; 0 means closed-loop writers at full speed. */
  readonly rate: number;
  /** Closed-loop writers (puts in flight) at full speed; unused at a fixed rate. */
  readonly writers: number;
  /** Puts acknowledged in the measured window, and per second. */
  readonly puts: number;
  readonly putRate: number;
  readonly putErrors: number;
  /** Puts the rate-limited writer could not send because 10,000 were already in flight. */
  readonly putsSkipped: number;
  /** Puts still unanswered when the drain deadline ended the wait for them. */
  readonly putsUnanswered: number;
  readonly putLatencyMs: LatencySummary;
  /** Events received by all watchers in the measured window, and per second. */
  readonly deliveredEvents: number;
  readonly eventsPerSecond: number;
  /** Watch responses (gRPC messages) that carried those events: a server may batch revisions. */
  readonly responses: number;
  /** putRate × watchers: what delivery would be if every event reached every watch at once. */
  readonly expectedEventsPerSecond: number;
  /** Put-to-delivery latency of the events received in the window, and its histogram. */
  readonly deliveryLatencyMs: LatencySummary;
  readonly deliveryHistogram: [number, number][];
  /**
   * After the window the writer stops and every watch must reach its last put's revision;
   * undefined for mixed runs, whose watches do not all see every write.
   */
  readonly completion:
    | {
        /** Whether every put was answered and every watch caught up before the drain timeout. */
        readonly drained: boolean;
        /** From stopping the writer to the last watch catching up, or to the timeout. */
        readonly drainSeconds: number;
        /** Watches that had every acknowledged put. */
        readonly completeWatchers: number;
        /** Σ over watches of acknowledged puts not received. */
        readonly missingEvents: number;
      }
    | undefined;
  readonly watchErrors: number;
  readonly firstWatchError: string | undefined;
  /** Event-loop utilisation of the busiest watcher thread over the window, %. */
  readonly busiestWatchThreadPercent: number;
  readonly memory: {
    readonly members: MemberMemory[];
    /** (Σ watchersMB − Σ beforeMB) per 1,000 watchers, all members together. */
    readonly mbPer1000Watchers: number;
  };
}

export interface TargetResult {
  readonly target: Target;
  /** Requests (put, range, txn, mixed: all operations) or, for watch-fanout, delivered events. */
  readonly requests: number;
  readonly errors: number;
  readonly compareFailures: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  /** Requests/s, or delivered events/s for watch-fanout. */
  readonly throughput: number;
  /** Request latency, or put-to-delivery latency for watch-fanout. */
  readonly latencyMs: LatencySummary;
  /** Client process CPU (all threads) over the measured window, % of one core. */
  readonly clientCpuPercent: number;
  /** The three members' CPU over the measured window, % of one core. */
  readonly serverCpuPercent: number;
  /**
   * Everything else the machine ran in the window (other processes, the kernel), % of one
   * core: when it is large the figures were taken on a shared, busy machine.
   */
  readonly otherCpuPercent: number;
  /** Non-empty histogram buckets: [upper bound µs, count]. */
  readonly histogram: [number, number][];
  /** mixed: each operation type apart. */
  readonly operations?: OperationResult[];
  /** watch-fanout and mixed. */
  readonly watch?: WatchResult;
}

export function summarize(h: Float64Array): LatencySummary {
  const ms = (q: number): number => quantileMicros(h, q) / 1000;
  let max = 0;
  h.forEach((count, i) => {
    if (count > 0) max = bucketUpperMicros(i) / 1000;
  });
  return { p50: ms(0.5), p90: ms(0.9), p99: ms(0.99), p999: ms(0.999), max };
}

export function nonEmptyBuckets(h: Float64Array): [number, number][] {
  const buckets: [number, number][] = [];
  h.forEach((count, i) => {
    if (count > 0) buckets.push([bucketUpperMicros(i), count]);
  });
  return buckets;
}
