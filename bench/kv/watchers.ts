import { Worker } from "node:worker_threads";
import type { BenchCluster } from "./cluster.js";
import { mergeInto, newHistogram } from "./histogram.js";
import type { MemberMemory, WatchResult } from "./results.js";
import { summarize } from "./results.js";
import type { WatchRange, WatchWorkerCommand, WatchWorkerCreated, WatchWorkerResult, WatchWorkerSpec } from "./watch-worker.js";
import { messageOf, sleep, ThreadGroup } from "./window.js";

/**
 * W watches over C Watch streams over N connections in T threads, dealt round-robin at every
 * level: watch i on stream i mod C, stream s on connection s mod N, connection c in thread
 * c mod T and to member c mod 3. So members, connections and threads get equal shares.
 */
export interface WatcherPlan {
  readonly watchers: number;
  readonly streams: number;
  readonly conns: number;
  readonly threads: number;
  readonly ranges: readonly WatchRange[];
  /** Which of `ranges` watch i watches. */
  readonly rangeOf: (watcher: number) => number;
}

export class Watchers {
  private constructor(
    readonly plan: WatcherPlan,
    readonly group: ThreadGroup,
    private readonly counters: Float64Array,
  ) {}

  /** Starts the threads and waits until each has loaded; no stream is opened yet. */
  static async start(endpoints: readonly string[], plan: WatcherPlan, control: Int32Array, stampBase: bigint): Promise<Watchers> {
    const threads = Math.min(plan.threads, plan.conns);
    const counters = new SharedArrayBuffer(24 * threads);
    const url = new URL("./watch-worker.js", import.meta.url);
    const workers = Array.from({ length: threads }, (_, w) => {
      const channels: number[] = [];
      for (let c = w; c < plan.conns; c += threads) channels.push(c);
      const streams = [];
      for (let s = 0; s < plan.streams; s++) {
        const channel = channels.indexOf(s % plan.conns);
        if (channel < 0) continue;
        const watches: number[] = [];
        for (let i = s; i < plan.watchers; i += plan.streams) watches.push(plan.rangeOf(i));
        streams.push({ channel, watches });
      }
      const spec: WatchWorkerSpec = {
        workerIndex: w,
        channelEndpoints: channels.map((c) => endpoints[c % endpoints.length] as string),
        ranges: plan.ranges,
        streams,
        control: control.buffer as SharedArrayBuffer,
        counters,
        stampBase,
      };
      return new Worker(url, { workerData: spec });
    });
    const group = new ThreadGroup(workers);
    await Promise.race([Promise.all(workers.map((w) => messageOf(w, "ready"))), group.failed]);
    return new Watchers(plan, group, new Float64Array(counters));
  }

  /** Creates every watch; resolves with how many were created and how long it took. */
  async create(timeoutMs: number): Promise<{ readonly created: number; readonly seconds: number }> {
    const done = this.group.collect<WatchWorkerCreated>("created");
    this.group.post({ type: "create" } satisfies WatchWorkerCommand);
    const timedOut = sleep(timeoutMs).then(() => undefined);
    const parts = await Promise.race([done, timedOut]);
    if (parts === undefined) throw new Error(`only ${this.created()} of ${this.plan.watchers} watches were created after ${timeoutMs / 1000} s`);
    const first = Math.min(...parts.map((p) => p.firstSentMicros).filter((t) => !Number.isNaN(t)));
    const last = Math.max(...parts.map((p) => p.lastCreatedMicros).filter((t) => !Number.isNaN(t)));
    return { created: parts.reduce((a, p) => a + p.created, 0), seconds: Math.max(0, last - first) / 1e6 };
  }

  created(): number {
    return this.sum(1);
  }

  /** Events received by all watches since the measured window opened. */
  delivered(): number {
    return this.sum(0);
  }

  /** Watch responses carrying events received since the measured window opened. */
  responses(): number {
    return this.sum(2);
  }

  private sum(slot: number): number {
    let n = 0;
    for (let i = slot; i < this.counters.length; i += 3) n += this.counters[i] ?? 0;
    return n;
  }

  mark(): void {
    this.group.post({ type: "mark" } satisfies WatchWorkerCommand);
  }

  /**
   * Collects every thread's figures; with untilRevision, first waits until every watch has
   * reached it or the deadline passed.
   */
  finish(untilRevision: number | undefined, expectedEvents: number, deadlineMs: number): Promise<WatchWorkerResult[]> {
    const parts = this.group.collect<WatchWorkerResult>("result");
    this.group.post({ type: "finish", untilRevision, expectedEvents, deadlineMs } satisfies WatchWorkerCommand);
    return parts;
  }

  async terminate(): Promise<void> {
    await this.group.terminate();
  }
}

export type MemorySnapshot = ReturnType<BenchCluster["memory"]>;

/** Per-member figures from three snapshots: before the watches, after them, at the window's end. */
export function memoryResult(before: MemorySnapshot, watchers: MemorySnapshot, end: MemorySnapshot, count: number): WatchResult["memory"] {
  const members: MemberMemory[] = before.map((b, i) => ({
    name: b.name,
    beforeMB: b.rssMB,
    watchersMB: watchers[i]?.rssMB ?? Number.NaN,
    endMB: end[i]?.rssMB ?? Number.NaN,
    peakMB: end[i]?.peakMB ?? Number.NaN,
  }));
  const grown = members.reduce((a, m) => a + m.watchersMB - m.beforeMB, 0);
  return { members, mbPer1000Watchers: (grown / count) * 1000 };
}

/** The watchers' side of a result, from their threads' figures. */
export function watcherFigures(parts: readonly WatchWorkerResult[]): {
  readonly histogram: Float64Array;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly busiestPercent: number;
  readonly completeWatchers: number;
  readonly missingEvents: number;
  readonly drained: boolean;
  readonly latency: ReturnType<typeof summarize>;
} {
  const histogram = newHistogram();
  for (const p of parts) mergeInto(histogram, p.histogram);
  return {
    histogram,
    errors: parts.reduce((a, p) => a + p.errors, 0),
    firstError: parts.find((p) => p.firstError !== undefined)?.firstError,
    busiestPercent: Math.max(0, ...parts.map((p) => p.busyPercent)),
    completeWatchers: parts.reduce((a, p) => a + p.completeWatchers, 0),
    missingEvents: parts.reduce((a, p) => a + p.missingEvents, 0),
    drained: parts.every((p) => p.drained),
    latency: summarize(histogram),
  };
}
