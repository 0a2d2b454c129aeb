import type { BenchCluster } from "../kv/index.js";
import { newControl, runWindow } from "../kv/index.js";
import { ensureNamespace } from "./http.js";
import type { ApiTargetResult } from "./results.js";
import { ApiWriter, writeFigures } from "./writers.js";

/**
 * api-write: pod creates through the API at a fixed rate (open loop), dealt over the API
 * servers; latency from a create's due time to its answer's last byte, errors by status.
 */

export interface ApiWriteOptions {
  readonly rate: number;
  readonly namespace: string;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export async function measureApiWrite(cluster: BenchCluster, o: ApiWriteOptions): Promise<ApiTargetResult> {
  const servers = cluster.apiUrls;
  await ensureNamespace(servers[0] as string, o.namespace, o.timeoutMs);
  const control = newControl();
  const writer = await ApiWriter.start({
    apiUrls: servers,
    namespace: o.namespace,
    rate: o.rate,
    pool: 0,
    control: control.buffer as SharedArrayBuffer,
    stampBase: process.hrtime.bigint(),
    timeoutMs: o.timeoutMs,
  });
  try {
    writer.post({ type: "start" });
    const usage = await runWindow({
      label: "raftplane",
      cluster,
      control,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      failed: writer.group.failed,
      onOpen: () => writer.post({ type: "mark" }),
      progress: (seconds) => `${Math.round(writer.acknowledged() / seconds).toLocaleString("en-US")} creates/s`,
    });
    // Creates answered after the window are not counted, but they are waited for: the next
    // run must not start with this one's writes in flight.
    const written = await writer.stop(o.timeoutMs);
    const writes = writeFigures(written, o.rate, usage.seconds);
    return {
      target: "raftplane",
      requests: writes.acknowledged,
      errors: writes.errors,
      compareFailures: 0,
      firstError: written.firstError,
      seconds: usage.seconds,
      throughput: writes.acknowledgedPerSecond,
      latencyMs: writes.latencyMs,
      clientCpuPercent: usage.clientCpuPercent,
      serverCpuPercent: usage.serverCpuPercent,
      otherCpuPercent: usage.otherCpuPercent,
      histogram: writes.histogram,
      api: { writes },
    };
  } finally {
    await writer.terminate();
  }
}
