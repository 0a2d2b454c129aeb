import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import { bucketOf, newHistogram } from "./histogram.js";
import type { Operation, WorkloadOptions } from "./workloads.js";
import { clientLoop, CompareFailedError } from "./workloads.js";

/** What the main thread hands each load worker. */
export interface WorkerSpec {
  readonly options: WorkloadOptions;
  /** host:port per channel this worker opens; one TCP connection each. */
  readonly channelEndpoints: readonly string[];
  /** Global indices of this worker's clients; client i uses channel i mod channels. */
  readonly clientIndices: readonly number[];
  /** Completed requests of this worker at [workerIndex], read by the main thread for progress. */
  readonly progress: SharedArrayBuffer;
  readonly workerIndex: number;
  readonly timeoutMs: number;
}

/** What a worker reports when told to stop. */
export interface WorkerResult {
  readonly requests: number;
  readonly errors: number;
  readonly compareFailures: number;
  readonly histogram: Float64Array;
  readonly firstError: string | undefined;
}

export type ControlMessage = { readonly type: "measure" } | { readonly type: "stop" };

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;
type KVClient = grpc.Client & Record<Operation["method"], UnaryFn>;

const spec = workerData as WorkerSpec;
const progress = new Float64Array(spec.progress);
const KV = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
// A local subchannel pool per channel: grpc-js otherwise shares one connection among channels
// with the same target and options, and --conns would not mean connections.
const channels = spec.channelEndpoints.map(
  (e) => new KV(e, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }) as unknown as KVClient,
);

let measuring = false;
let running = true;
let requests = 0;
let errors = 0;
let compareFailures = 0;
let firstError: string | undefined;
let histogram = newHistogram();
let outstanding = 0;
let drained: (() => void) | undefined;

function runClient(slot: number, globalIndex: number): void {
  const client = channels[slot % channels.length] as KVClient;
  const next = clientLoop(spec.options, globalIndex, Buffer.alloc(spec.options.valueBytes, 0x61));
  const issue = (): void => {
    if (!running) {
      if (--outstanding === 0) drained?.();
      return;
    }
    const op = next();
    const started = performance.now();
    client[op.method].call(client, op.request, { deadline: Date.now() + spec.timeoutMs }, (err, res) => {
      const micros = (performance.now() - started) * 1000;
      let failure: unknown = err;
      if (!err && op.settle) {
        try {
          op.settle(res);
        } catch (e) {
          failure = e;
        }
      }
      if (measuring) {
        if (failure instanceof CompareFailedError) compareFailures++;
        else if (failure) {
          errors++;
          firstError ??= (failure as Error).message;
        } else {
          requests++;
          const b = bucketOf(micros);
          histogram[b] = (histogram[b] ?? 0) + 1;
        }
        progress[spec.workerIndex] = requests;
      }
      issue();
    });
  };
  outstanding++;
  issue();
}

parentPort?.on("message", (m: ControlMessage) => {
  if (m.type === "measure") {
    requests = 0;
    errors = 0;
    compareFailures = 0;
    firstError = undefined;
    histogram = newHistogram();
    measuring = true;
  } else {
    // Snapshot first: requests still in flight finish after the window and do not count.
    measuring = false;
    const result: WorkerResult = { requests, errors, compareFailures, histogram, firstError };
    parentPort?.postMessage(result);
    running = false;
    const close = (): void => {
      for (const c of channels) c.close();
    };
    if (outstanding === 0) close();
    else drained = close;
  }
});

spec.clientIndices.forEach((globalIndex, slot) => runClient(slot, globalIndex));
