import { Worker } from "node:worker_threads";
import { messageOf, nonEmptyBuckets, summarize, ThreadGroup } from "../kv/index.js";
import type { ApiWriteFigures } from "./results.js";
import type { ApiWriterCommand, ApiWriterResult, ApiWriterSpec } from "./writer.js";

/** The main thread's handle on the writer thread (writer.ts). */
export class ApiWriter {
  private constructor(
    readonly worker: Worker,
    readonly group: ThreadGroup,
    private readonly counters: Float64Array,
  ) {}

  static async start(spec: Omit<ApiWriterSpec, "counters">): Promise<ApiWriter> {
    const counters = new SharedArrayBuffer(8);
    const worker = new Worker(new URL("./writer.js", import.meta.url), { workerData: { ...spec, counters } satisfies ApiWriterSpec });
    const group = new ThreadGroup([worker]);
    await Promise.race([messageOf(worker, "ready"), group.failed]);
    return new ApiWriter(worker, group, new Float64Array(counters));
  }

  /** Writes acknowledged in the measured window so far. */
  acknowledged(): number {
    return this.counters[0] ?? 0;
  }

  post(command: ApiWriterCommand): void {
    this.worker.postMessage(command);
  }

  /** Stops the writer; its answer once its writes in flight were answered or graceMs passed. */
  async stop(graceMs: number): Promise<ApiWriterResult> {
    const result = messageOf<ApiWriterResult>(this.worker, "result");
    this.post({ type: "stop", graceMs });
    const late = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), graceMs + 5000).unref());
    const answer = await Promise.race([result, this.group.failed, late]);
    if (answer === undefined) throw new Error(`the writer thread did not answer within ${graceMs / 1000 + 5} s of being stopped`);
    return answer;
  }

  async terminate(): Promise<void> {
    await this.group.terminate();
  }
}

/** The table's and the JSON's figures of a writer's result over a window of `seconds`. */
export function writeFigures(r: ApiWriterResult, rate: number, seconds: number): ApiWriteFigures {
  return {
    rate,
    sentPerSecond: r.windowSent / seconds,
    acknowledged: r.windowAcknowledged,
    acknowledgedPerSecond: r.windowAcknowledged / seconds,
    errors: r.windowErrors,
    errorsByStatus: r.errorsByStatus,
    creates: r.creates,
    updates: r.updates,
    skipped: r.skipped,
    unanswered: r.unanswered,
    requestBytes: r.windowAcknowledged > 0 ? r.windowRequestBytes / r.windowAcknowledged : Number.NaN,
    latencyMs: summarize(r.histogram),
    histogram: nonEmptyBuckets(r.histogram),
  };
}
