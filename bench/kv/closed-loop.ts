import { Worker } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import type { BenchCluster } from "./cluster.js";
import { mergeInto, newHistogram } from "./histogram.js";
import type { OperationResult, TargetResult } from "./results.js";
import { nonEmptyBuckets, summarize } from "./results.js";
import type { ControlMessage, WorkerResult, WorkerSpec } from "./worker.js";
import type { WindowUsage } from "./window.js";
import { newControl, runWindow, ThreadGroup } from "./window.js";
import type { MixedOperation, WorkloadOptions } from "./workloads.js";
import { MixedOperations } from "./workloads.js";

/** Closed-loop clients (one request in flight each) in worker threads: put, range, txn, mixed. */

export interface ClosedLoopOptions {
  readonly options: WorkloadOptions;
  readonly clients: number;
  readonly conns: number;
  readonly workers: number;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface Clients {
  readonly group: ThreadGroup;
  /** Completed requests in the window, one slot per thread. */
  readonly progress: Float64Array;
}

export function startClients(endpoints: readonly string[], o: ClosedLoopOptions, control: Int32Array): Clients {
  const progress = new SharedArrayBuffer(8 * o.workers);
  const url = new URL("./worker.js", import.meta.url);
  const workers = Array.from({ length: o.workers }, (_, w) => {
    // Connections and clients are dealt round-robin, so members get equal shares of both.
    const channelEndpoints: string[] = [];
    for (let c = w; c < o.conns; c += o.workers) channelEndpoints.push(endpoints[c % endpoints.length] as string);
    const clientIndices: number[] = [];
    for (let i = w; i < o.clients; i += o.workers) clientIndices.push(i);
    const spec: WorkerSpec = {
      options: o.options,
      channelEndpoints,
      clientIndices,
      progress,
      control: control.buffer as SharedArrayBuffer,
      workerIndex: w,
      timeoutMs: o.timeoutMs,
    };
    return new Worker(url, { workerData: spec });
  });
  return { group: new ThreadGroup(workers), progress: new Float64Array(progress) };
}

export function completed(clients: Clients): number {
  return clients.progress.reduce((a, b) => a + b, 0);
}

export async function stopClients(clients: Clients): Promise<WorkerResult[]> {
  const results = clients.group.collect<WorkerResult>("result");
  clients.group.post({ type: "stop" } satisfies ControlMessage);
  return results;
}

/** Each operation kind's figures over all threads; mixed ones in MixedOperations' order. */
export function operationResults(parts: readonly WorkerResult[], seconds: number): OperationResult[] {
  const rank = (kind: string): number => {
    const i = MixedOperations.indexOf(kind as MixedOperation);
    return i < 0 ? MixedOperations.length : i;
  };
  const kinds = [...new Set(parts.flatMap((p) => Object.keys(p.operations)))].sort((a, b) => rank(a) - rank(b));
  return kinds.map((kind) => {
    const histogram = newHistogram();
    let requests = 0;
    let errors = 0;
    let compareFailures = 0;
    let firstError: string | undefined;
    for (const p of parts) {
      const s = p.operations[kind];
      if (s === undefined) continue;
      mergeInto(histogram, s.histogram);
      requests += s.requests;
      errors += s.errors;
      compareFailures += s.compareFailures;
      firstError ??= s.firstError;
    }
    return { kind, requests, errors, compareFailures, firstError, throughput: requests / seconds, latencyMs: summarize(histogram), histogram: nonEmptyBuckets(histogram) };
  });
}

/** A target's result from its operations: the totals over all kinds, and each kind apart. */
export function closedLoopResult(target: BenchCluster["target"], parts: readonly WorkerResult[], usage: WindowUsage, withOperations: boolean): TargetResult {
  const operations = operationResults(parts, usage.seconds);
  const total = newHistogram();
  for (const p of parts) for (const s of Object.values(p.operations)) mergeInto(total, s.histogram);
  const requests = operations.reduce((a, op) => a + op.requests, 0);
  return {
    target,
    requests,
    errors: operations.reduce((a, op) => a + op.errors, 0),
    compareFailures: operations.reduce((a, op) => a + op.compareFailures, 0),
    firstError: operations.find((op) => op.firstError !== undefined)?.firstError,
    seconds: usage.seconds,
    throughput: requests / usage.seconds,
    latencyMs: summarize(total),
    clientCpuPercent: usage.clientCpuPercent,
    serverCpuPercent: usage.serverCpuPercent,
    otherCpuPercent: usage.otherCpuPercent,
    histogram: nonEmptyBuckets(total),
    ...(withOperations ? { operations } : {}),
  };
}

export async function measureClosedLoop(cluster: BenchCluster, o: ClosedLoopOptions): Promise<TargetResult> {
  const control = newControl();
  const clients = startClients(await cluster.endpointsLeaderFirst(), o, control);
  try {
    const usage = await runWindow({
      label: cluster.target,
      cluster,
      control,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      failed: clients.group.failed,
      onOpen: () => clients.group.post({ type: "mark" } satisfies ControlMessage),
      progress: (seconds) => `${Math.round(completed(clients) / seconds).toLocaleString("en-US")} req/s`,
    });
    const parts = await stopClients(clients);
    return closedLoopResult(cluster.target, parts, usage, false);
  } finally {
    await clients.group.terminate();
  }
}

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;

/**
 * Writes keys 0..count-1 once, round-robin over the members, 64 at a time; returns each key's
 * mod_revision.
 */
export async function preload(endpoints: readonly string[], count: number, keyAt: (i: number) => Buffer, value: Buffer, timeoutMs: number): Promise<number[]> {
  const KV = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
  const kv = endpoints.map((e) => new KV(e, grpc.credentials.createInsecure()) as grpc.Client & Record<string, UnaryFn>);
  const revisions = new Array<number>(count).fill(0);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const c = kv[i % kv.length] as grpc.Client & Record<string, UnaryFn>;
      revisions[i] = await new Promise<number>((resolve, reject) =>
        (c["Put"] as UnaryFn).call(c, { key: keyAt(i), value }, { deadline: Date.now() + timeoutMs }, (err, res) =>
          err ? reject(err) : resolve((res as { header?: { revision?: number } }).header?.revision ?? 0),
        ),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: 64 }, lane));
  } finally {
    for (const c of kv) c.close();
  }
  return revisions;
}
