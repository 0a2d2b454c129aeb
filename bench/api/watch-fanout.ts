import { Worker } from "node:worker_threads";
import type { BenchCluster } from "../kv/index.js";
import { memoryResult, mergeInto, messageOf, newControl, newHistogram, nonEmptyBuckets, runWindow, sleep, summarize, ThreadGroup } from "../kv/index.js";
import { ensureNamespace, listResourceVersion } from "./http.js";
import type { ApiTargetResult } from "./results.js";
import type { ApiWatchWorkerCommand, ApiWatchWorkerEstablished, ApiWatchWorkerResult, ApiWatchWorkerSpec, WatchErrorCounts } from "./watch-messages.js";
import { counterSlots, newDrain, requestDrain } from "./watch-messages.js";
import { ApiWriter, writeFigures } from "./writers.js";

/**
 * api-watch-fanout: W HTTP watches on the pods of one namespace, dealt round-robin over the API
 * servers and over watcher threads, all starting at the resourceVersion of a list of the empty
 * namespace; then a writer creates and updates pods there at a fixed rate. Measures delivered
 * events/s, write-to-delivery latency, the time to establish every watch and the servers' RSS
 * per 1,000 watches; then stops the writer and checks every watch received every write.
 */

export interface ApiWatchFanoutOptions {
  readonly watchers: number;
  readonly threads: number;
  /** Writes per second. */
  readonly rate: number;
  /** Pods the writer keeps: it creates them, then updates them in turn. */
  readonly pods: number;
  readonly namespace: string;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** After the window: how long the writer's last writes and every watch's catching up may take together. */
  readonly drainTimeoutMs: number;
  /** Pause between establishing the watches and reading the servers' memory. */
  readonly settleMs: number;
}

/** Establishing watches has its own, generous deadline: 10,000 of them may take a while. */
const establishTimeoutMs = 180_000;
/** Watch requests a thread has waiting for their response headers at once. */
const establishConcurrency = 100;

export async function measureApiWatchFanout(cluster: BenchCluster, o: ApiWatchFanoutOptions): Promise<ApiTargetResult> {
  const servers = cluster.apiUrls;
  const first = servers[0] as string;
  await ensureNamespace(first, o.namespace, o.timeoutMs);
  // As a reflector does: list, then watch from the list's resourceVersion.
  const startRv = await listResourceVersion(first, `/api/v1/namespaces/${o.namespace}/pods`, o.timeoutMs);
  const path = `/api/v1/namespaces/${o.namespace}/pods?watch=true&resourceVersion=${startRv}`;
  const control = newControl();
  const stampBase = process.hrtime.bigint();
  const memoryBefore = cluster.memory();

  const threads = Math.max(1, Math.min(o.threads, o.watchers));
  const counterBuffer = new SharedArrayBuffer(8 * counterSlots * threads);
  const counters = new Float64Array(counterBuffer);
  const drain = newDrain();
  const sum = (slot: number): number => {
    let n = 0;
    for (let i = slot; i < counters.length; i += counterSlots) n += counters[i] ?? 0;
    return n;
  };
  // Watch i goes to server i mod S and to thread i mod T: equal shares of both.
  const workers = Array.from({ length: threads }, (_, t) => {
    const mine: string[] = [];
    for (let i = t; i < o.watchers; i += threads) mine.push(servers[i % servers.length] as string);
    const spec: ApiWatchWorkerSpec = { workerIndex: t, servers: mine, path, concurrency: establishConcurrency, control: control.buffer as SharedArrayBuffer, counters: counterBuffer, drain, stampBase };
    return new Worker(new URL("./watch-worker.js", import.meta.url), { workerData: spec });
  });
  const watchers = new ThreadGroup(workers);
  let writer: ApiWriter | undefined;
  try {
    await Promise.race([Promise.all(workers.map((w) => messageOf(w, "ready"))), watchers.failed]);
    process.stderr.write(`  raftplane: establishing ${o.watchers.toLocaleString("en-US")} watches (${servers.length} API servers, ${threads} threads) from resourceVersion ${startRv}\n`);
    const establishedParts = watchers.collect<ApiWatchWorkerEstablished>("established");
    watchers.post({ type: "establish" } satisfies ApiWatchWorkerCommand);
    const progress = setInterval(() => process.stderr.write(`\r  raftplane: ${sum(1).toLocaleString("en-US")} of ${o.watchers.toLocaleString("en-US")} watches established `), 1000);
    let parts: ApiWatchWorkerEstablished[] | undefined;
    try {
      parts = await Promise.race([establishedParts, sleep(establishTimeoutMs).then(() => undefined)]);
    } finally {
      clearInterval(progress);
    }
    if (parts === undefined) throw new Error(`only ${sum(1)} of ${o.watchers} watches were established after ${establishTimeoutMs / 1000} s`);
    const established = parts.reduce((a, p) => a + p.established, 0);
    const firstSent = Math.min(...parts.map((p) => p.firstSentMicros).filter((t) => !Number.isNaN(t)));
    const lastEstablished = Math.max(...parts.map((p) => p.lastEstablishedMicros).filter((t) => !Number.isNaN(t)));
    const establishSeconds = established > 0 ? Math.max(0, lastEstablished - firstSent) / 1e6 : Number.NaN;
    process.stderr.write(`\r  raftplane: ${established.toLocaleString("en-US")} watches established in ${establishSeconds.toFixed(2)} s${sum(3) > 0 ? ` (${sum(3)} errors)` : ""}\n`);
    await sleep(o.settleMs);
    const memoryWatchers = cluster.memory();

    writer = await ApiWriter.start({ apiUrls: servers, namespace: o.namespace, rate: o.rate, pool: o.pods, control: control.buffer as SharedArrayBuffer, stampBase, timeoutMs: o.timeoutMs });
    const w = writer;
    const failed = Promise.race([watchers.failed, w.group.failed]);
    failed.catch(() => undefined);
    w.post({ type: "start" });

    let delivered = 0;
    let bytes = 0;
    const usage = await runWindow({
      label: "raftplane",
      cluster,
      control,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      failed,
      onOpen: () => {
        watchers.post({ type: "mark" } satisfies ApiWatchWorkerCommand);
        w.post({ type: "mark" });
      },
      progress: (seconds) =>
        `${Math.round(sum(0) / seconds).toLocaleString("en-US")} events/s, ${Math.round(w.acknowledged() / seconds).toLocaleString("en-US")} writes/s${sum(3) > 0 ? `, ${sum(3)} watch errors` : ""}`,
      onClose: () => {
        delivered = sum(0);
        bytes = sum(2);
      },
    });
    const memoryEnd = cluster.memory();

    // The writer's last writes and the watches' catching up share one drain deadline, but the
    // watches get at least half of it: a server far behind holds writes to their timeouts.
    const drainStart = performance.now();
    const drainEnd = drainStart + o.drainTimeoutMs;
    const written = await Promise.race([w.stop(o.drainTimeoutMs / 2), failed]);
    const left = Math.max(0, drainEnd - performance.now());
    process.stderr.write(
      `  raftplane: writer stopped at resourceVersion ${written.lastRevision}${written.unanswered > 0 ? ` with ${written.unanswered} writes unanswered` : ""}; waiting up to ${(left / 1000).toFixed(1)} s for every watch to reach it\n`,
    );
    const results = watchers.collect<ApiWatchWorkerResult>("result");
    requestDrain(drain, written.lastRevision, written.acknowledged, Date.now() + left);
    watchers.post({ type: "finish" } satisfies ApiWatchWorkerCommand);
    const finished = await Promise.race([results, failed]);
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const histogram = newHistogram();
    for (const p of finished) mergeInto(histogram, p.histogram);
    const errors: WatchErrorCounts = { establish: 0, errorEvents: 0, streamsEnded: 0, malformed: 0, unexpected: 0, outOfOrder: 0 };
    for (const p of finished) for (const k of Object.keys(errors) as (keyof WatchErrorCounts)[]) errors[k] += p.errors[k];
    const watchErrors = Object.values(errors).reduce((a, b) => a + b, 0);
    const firstWatchError = finished.find((p) => p.firstError !== undefined)?.firstError;
    const latency = summarize(histogram);
    const writes = writeFigures(written, o.rate, usage.seconds);
    const completeWatchers = finished.reduce((a, p) => a + p.completeWatchers, 0);
    return {
      target: "raftplane",
      requests: delivered,
      errors: writes.errors + watchErrors,
      compareFailures: 0,
      firstError: written.firstError ?? firstWatchError,
      seconds: usage.seconds,
      throughput: delivered / usage.seconds,
      latencyMs: latency,
      clientCpuPercent: usage.clientCpuPercent,
      serverCpuPercent: usage.serverCpuPercent,
      otherCpuPercent: usage.otherCpuPercent,
      histogram: nonEmptyBuckets(histogram),
      watch: {
        watchers: o.watchers,
        // one HTTP connection, and so one stream, per watch
        streams: o.watchers,
        createdWatchers: established,
        createSeconds: establishSeconds,
        rate: o.rate,
        writers: 1,
        puts: writes.acknowledged,
        putRate: writes.acknowledgedPerSecond,
        putErrors: writes.errors,
        putsSkipped: written.skipped,
        putsUnanswered: written.unanswered,
        putLatencyMs: writes.latencyMs,
        deliveredEvents: delivered,
        // one event per line: the HTTP stream has no batches to count
        responses: 0,
        eventsPerSecond: delivered / usage.seconds,
        expectedEventsPerSecond: writes.acknowledgedPerSecond * o.watchers,
        deliveryLatencyMs: latency,
        deliveryHistogram: nonEmptyBuckets(histogram),
        completion: {
          drained: finished.every((p) => p.drained) && written.unanswered === 0,
          drainSeconds,
          completeWatchers,
          missingEvents: finished.reduce((a, p) => a + p.missingEvents, 0),
        },
        watchErrors,
        firstWatchError,
        busiestWatchThreadPercent: Math.max(0, ...finished.map((p) => p.busyPercent)),
        memory: memoryResult(memoryBefore, memoryWatchers, memoryEnd, o.watchers),
      },
      api: {
        writes,
        watch: {
          startResourceVersion: startRv,
          errors,
          bytesPerEvent: delivered > 0 ? bytes / delivered : Number.NaN,
          openWatchersAtEnd: finished.reduce((a, p) => a + p.openWatchers, 0),
          behindWatchers: finished.reduce((a, p) => a + p.behindWatchers, 0),
          gapWatchers: finished.reduce((a, p) => a + p.gapWatchers, 0),
        },
      },
    };
  } finally {
    await writer?.terminate();
    await watchers.terminate();
  }
}
