import { Worker } from "node:worker_threads";
import type { BenchCluster } from "./cluster.js";
import { nonEmptyBuckets, summarize } from "./results.js";
import type { TargetResult } from "./results.js";
import { memoryResult, watcherFigures, Watchers } from "./watchers.js";
import type { WriterCommand, WriterResult, WriterSpec } from "./writer.js";
import { messageOf, newControl, runWindow, sleep, ThreadGroup } from "./window.js";
import { keyOf, prefixEnd } from "./workloads.js";

/**
 * watch-fanout: W watches on one prefix over C streams, one writer putting under that prefix
 * (to the leader) at full speed or at a fixed rate. Measures delivered events/s, put-to-delivery
 * latency, the time to create every watch and the members' memory per 1,000 watches; then
 * stops the writer and checks that every watch received every acknowledged put.
 */

export interface WatchFanoutOptions {
  readonly watchers: number;
  readonly streams: number;
  readonly conns: number;
  /** Watcher threads. */
  readonly threads: number;
  /** Puts per second; 0 = `writers` closed-loop writers at full speed. */
  readonly rate: number;
  readonly writers: number;
  readonly keyspace: number;
  readonly valueBytes: number;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /**
   * After the window: how long the writer's last puts and every watch's catching up to the
   * last put may take together.
   */
  readonly drainTimeoutMs: number;
  /** Pause between creating the watches and reading the members' memory. */
  readonly settleMs: number;
}

export const watchPrefix = Buffer.from("/bench/watch/");

/** Creating watches has its own, generous deadline: 10,000 of them may take a while. */
const createTimeoutMs = 120_000;

export async function measureWatchFanout(cluster: BenchCluster, o: WatchFanoutOptions): Promise<TargetResult> {
  const target = cluster.target;
  const control = newControl();
  const stampBase = process.hrtime.bigint();
  const leader = await cluster.leaderEndpoint();
  const memoryBefore = cluster.memory();
  const watchers = await Watchers.start(
    cluster.endpoints,
    { watchers: o.watchers, streams: o.streams, conns: o.conns, threads: o.threads, ranges: [{ key: watchPrefix, rangeEnd: prefixEnd(watchPrefix) }], rangeOf: () => 0 },
    control,
    stampBase,
  );
  let writerGroup: ThreadGroup | undefined;
  try {
    process.stderr.write(`  ${target}: creating ${o.watchers.toLocaleString("en-US")} watches on ${o.streams} streams\n`);
    const created = await watchers.create(createTimeoutMs);
    process.stderr.write(`  ${target}: ${created.created.toLocaleString("en-US")} watches created in ${created.seconds.toFixed(2)} s\n`);
    // Let the members settle before reading their memory.
    await sleep(o.settleMs);
    const memoryWatchers = cluster.memory();

    const writerCounters = new Float64Array(new SharedArrayBuffer(8));
    const writerSpec: WriterSpec = {
      endpoint: leader,
      rate: o.rate,
      writers: o.writers,
      keys: Array.from({ length: o.keyspace }, (_, i) => Buffer.concat([watchPrefix, keyOf(i)])),
      valueBytes: o.valueBytes,
      control: control.buffer as SharedArrayBuffer,
      counters: writerCounters.buffer as SharedArrayBuffer,
      stampBase,
      timeoutMs: o.timeoutMs,
    };
    const writer = new Worker(new URL("./writer.js", import.meta.url), { workerData: writerSpec });
    writerGroup = new ThreadGroup([writer]);
    const failed = Promise.race([watchers.group.failed, writerGroup.failed]);
    failed.catch(() => undefined);
    await Promise.race([messageOf(writer, "ready"), failed]);
    writer.postMessage({ type: "start" } satisfies WriterCommand);

    let delivered = 0;
    let responses = 0;
    let puts = 0;
    const usage = await runWindow({
      label: target,
      cluster,
      control,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      failed,
      onOpen: () => {
        watchers.mark();
        writer.postMessage({ type: "mark" } satisfies WriterCommand);
      },
      progress: (seconds) => `${Math.round(watchers.delivered() / seconds).toLocaleString("en-US")} events/s, ${Math.round((writerCounters[0] ?? 0) / seconds).toLocaleString("en-US")} puts/s`,
      onClose: () => {
        delivered = watchers.delivered();
        responses = watchers.responses();
        puts = writerCounters[0] ?? 0;
      },
    });
    const memoryEnd = cluster.memory();

    // The writer's last puts and the watches' catching up share one drain deadline.
    const drainStart = performance.now();
    const drainEnd = drainStart + o.drainTimeoutMs;
    const result = messageOf<WriterResult>(writer, "result");
    writer.postMessage({ type: "stop", graceMs: o.drainTimeoutMs } satisfies WriterCommand);
    const written = await Promise.race([result, failed, sleepThenNothing(o.drainTimeoutMs + 5000)]);
    if (written === undefined) throw new Error(`the writer thread did not answer within ${o.drainTimeoutMs / 1000 + 5} s of being stopped`);
    const left = Math.max(0, drainEnd - performance.now());
    process.stderr.write(
      `  ${target}: writer stopped at revision ${written.lastRevision}${written.unanswered > 0 ? ` with ${written.unanswered} puts unanswered` : ""}; waiting up to ${(left / 1000).toFixed(1)} s for every watch to reach it\n`,
    );
    const finished = await Promise.race([watchers.finish(written.lastRevision, written.acknowledged, left), failed]);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const w = watcherFigures(finished);
    return {
      target,
      requests: delivered,
      errors: written.windowErrors + w.errors,
      compareFailures: 0,
      firstError: written.firstError ?? w.firstError,
      seconds: usage.seconds,
      throughput: delivered / usage.seconds,
      latencyMs: w.latency,
      clientCpuPercent: usage.clientCpuPercent,
      serverCpuPercent: usage.serverCpuPercent,
      otherCpuPercent: usage.otherCpuPercent,
      histogram: nonEmptyBuckets(w.histogram),
      watch: {
        watchers: o.watchers,
        streams: o.streams,
        createdWatchers: created.created,
        createSeconds: created.seconds,
        rate: o.rate,
        writers: o.rate > 0 ? 1 : o.writers,
        puts,
        putRate: puts / usage.seconds,
        putErrors: written.windowErrors,
        putsSkipped: written.skipped,
        putsUnanswered: written.unanswered,
        putLatencyMs: summarize(written.histogram),
        deliveredEvents: delivered,
        responses,
        eventsPerSecond: delivered / usage.seconds,
        expectedEventsPerSecond: (puts / usage.seconds) * o.watchers,
        deliveryLatencyMs: w.latency,
        deliveryHistogram: nonEmptyBuckets(w.histogram),
        completion: { drained: w.drained && written.unanswered === 0, drainSeconds, completeWatchers: w.completeWatchers, missingEvents: w.missingEvents },
        watchErrors: w.errors,
        firstWatchError: w.firstError,
        busiestWatchThreadPercent: w.busiestPercent,
        memory: memoryResult(memoryBefore, memoryWatchers, memoryEnd, o.watchers),
      },
    };
  } finally {
    await writerGroup?.terminate();
    await watchers.terminate();
  }
}

const sleepThenNothing = (ms: number): Promise<undefined> => sleep(ms).then(() => undefined);
