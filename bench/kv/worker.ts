import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import { bucketOf, newHistogram } from "./histogram.js";
import { busyPercentSince, isMeasuring } from "./window.js";
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
  /** The shared control flags (see window.ts): requests count only while measuring is set. */
  readonly control: SharedArrayBuffer;
  readonly workerIndex: number;
  readonly timeoutMs: number;
}

/** The figures of one operation type in the measured window. */
export interface OperationStats {
  requests: number;
  errors: number;
  compareFailures: number;
  histogram: Float64Array;
  firstError: string | undefined;
}

/** What a worker reports when told to stop. */
export interface WorkerResult {
  readonly type: "result";
  /** By operation kind: the workload's name, or each mixed operation. */
  readonly operations: Record<string, OperationStats>;
  /** Event-loop utilisation of this thread over the window, %. */
  readonly busyPercent: number;
}

export type ControlMessage = { readonly type: "mark" } | { readonly type: "stop" };

type Callback = (err: Error | null, res?: object) => void;
type UnaryFn = (req: object, opts: grpc.CallOptions, cb: Callback) => void;
type KVClient = grpc.Client & Record<"Put" | "Range" | "Txn", UnaryFn>;

const spec = workerData as WorkerSpec;
const progress = new Float64Array(spec.progress);
const control = new Int32Array(spec.control);
const KV = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
const keepAliveMethod = serviceDefinition("Lease")["LeaseKeepAlive"] as grpc.MethodDefinition<object, object>;

/**
 * A channel's LeaseKeepAlive stream, shared by its clients as clientv3 shares one per client.
 * Both etcd and raftplane answer a stream's keep-alives in request order, so answers are paired
 * with requests first in, first out. A request unanswered by its deadline ends the stream (its
 * pairing can no longer be trusted) and fails every request waiting on it; the next request
 * opens a new one.
 */
class KeepAliveLane {
  private call: grpc.ClientDuplexStream<object, object> | undefined;
  private readonly waiting: { readonly callback: Callback; readonly timer: NodeJS.Timeout }[] = [];

  constructor(private readonly client: grpc.Client) {}

  send(request: object, callback: Callback): void {
    const call = this.call ?? this.open();
    const timer = setTimeout(() => this.fail(call, new Error(`keep-alive: no answer within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    this.waiting.push({ callback, timer });
    call.write(request);
  }

  close(): void {
    this.call?.cancel();
  }

  private open(): grpc.ClientDuplexStream<object, object> {
    const m = keepAliveMethod;
    const call = this.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
    call.on("data", (res: object) => {
      const next = this.waiting.shift();
      if (next === undefined) return;
      clearTimeout(next.timer);
      next.callback(null, res);
    });
    call.on("error", (err: Error) => this.fail(call, err));
    this.call = call;
    return call;
  }

  private fail(call: grpc.ClientDuplexStream<object, object>, err: Error): void {
    if (this.call !== call) return;
    this.call = undefined;
    call.cancel();
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.callback(err);
    }
  }
}

interface Channel {
  readonly kv: KVClient;
  readonly keepAlive: KeepAliveLane;
}

// A local subchannel pool per channel: grpc-js otherwise shares one connection among channels
// with the same target and options, and --conns would not mean connections. The Lease client
// rides on the KV client's channel, so keep-alives share its connection.
const channels: Channel[] = spec.channelEndpoints.map((e) => {
  const kv = new KV(e, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }) as unknown as KVClient;
  const lease = new grpc.Client(e, grpc.credentials.createInsecure(), { channelOverride: kv.getChannel() });
  return { kv, keepAlive: new KeepAliveLane(lease) };
});

let running = true;
let completed = 0;
const stats = new Map<string, OperationStats>();
let busyMark = performance.eventLoopUtilization();
let outstanding = 0;
let drained: (() => void) | undefined;

function statsOf(kind: string): OperationStats {
  let s = stats.get(kind);
  if (s === undefined) {
    s = { requests: 0, errors: 0, compareFailures: 0, histogram: newHistogram(), firstError: undefined };
    stats.set(kind, s);
  }
  return s;
}

function send(channel: Channel, op: Operation, callback: Callback): void {
  if (op.method === "LeaseKeepAlive") channel.keepAlive.send(op.request, callback);
  else channel.kv[op.method].call(channel.kv, op.request, { deadline: Date.now() + spec.timeoutMs }, callback);
}

function runClient(slot: number, globalIndex: number): void {
  const channel = channels[slot % channels.length] as Channel;
  const next = clientLoop(spec.options, globalIndex, Buffer.alloc(spec.options.valueBytes, 0x61));
  const issue = (): void => {
    if (!running) {
      if (--outstanding === 0) drained?.();
      return;
    }
    const op = next();
    const started = performance.now();
    send(channel, op, (err, res) => {
      const micros = (performance.now() - started) * 1000;
      let failure: unknown = err;
      if (!err && op.settle) {
        try {
          op.settle(res as object);
        } catch (e) {
          failure = e;
        }
      }
      if (isMeasuring(control)) {
        const s = statsOf(op.kind);
        if (failure instanceof CompareFailedError) s.compareFailures++;
        else if (failure) {
          s.errors++;
          s.firstError ??= (failure as Error).message;
        } else {
          s.requests++;
          completed++;
          const b = bucketOf(micros);
          s.histogram[b] = (s.histogram[b] ?? 0) + 1;
        }
        progress[spec.workerIndex] = completed;
      }
      issue();
    });
  };
  outstanding++;
  issue();
}

parentPort?.on("message", (m: ControlMessage) => {
  if (m.type === "mark") {
    // Only the busy figure needs a start: nothing is counted while the measuring flag is clear.
    busyMark = performance.eventLoopUtilization();
    return;
  }
  // Snapshot first: requests still in flight finish after the window and do not count.
  const result: WorkerResult = { type: "result", operations: Object.fromEntries(stats), busyPercent: busyPercentSince(busyMark) };
  parentPort?.postMessage(result);
  running = false;
  const close = (): void => {
    for (const c of channels) {
      c.keepAlive.close();
      c.kv.close();
    }
  };
  if (outstanding === 0) close();
  else drained = close;
});

spec.clientIndices.forEach((globalIndex, slot) => runClient(slot, globalIndex));
