import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import { bucketOf, newHistogram } from "./histogram.js";
import { stampedValue, stampNow } from "./watch-wire.js";
import { busyPercentSince, isMeasuring } from "./window.js";

/**
 * watch-fanout's writer thread: puts of stamped values under the watched prefix, either at a
 * fixed rate (open loop: a put is sent when it is due, whether or not earlier ones were
 * answered) or as fast as `writers` closed-loop clients with one put in flight each can go.
 */

export interface WriterSpec {
  /** host:port of the member the puts go to (the leader). */
  readonly endpoint: string;
  /** Puts per second; 0 means closed-loop writers at full speed. */
  readonly rate: number;
  readonly writers: number;
  /** Keys written, picked at random for each put. */
  readonly keys: readonly Uint8Array[];
  readonly valueBytes: number;
  readonly control: SharedArrayBuffer;
  /** Float64Array; [0] is set to the puts acknowledged in the measured window. */
  readonly counters: SharedArrayBuffer;
  readonly stampBase: bigint;
  readonly timeoutMs: number;
}

export type WriterCommand =
  | { readonly type: "start" }
  | { readonly type: "mark" }
  /** Stop sending; answer once every put in flight is answered, or after graceMs at most. */
  | { readonly type: "stop"; readonly graceMs: number };

export interface WriterResult {
  readonly type: "result";
  /** Puts acknowledged since start, window or not: what every watch must receive. */
  readonly acknowledged: number;
  /** Errors in the measured window, and since start. */
  readonly windowErrors: number;
  readonly errors: number;
  /** Puts that were due but not sent because maxInFlight were outstanding (rate mode only). */
  readonly skipped: number;
  /** Puts still unanswered when the writer answered (its grace ran out). */
  readonly unanswered: number;
  /** The highest revision any acknowledged put created. */
  readonly lastRevision: number;
  /** Put latency in the window. */
  readonly histogram: Float64Array;
  readonly firstError: string | undefined;
  readonly busyPercent: number;
}

/** A rate the server cannot follow must not grow the client without bound. */
const maxInFlight = 10_000;

type PutFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { header?: { revision?: number } }) => void) => void;

const spec = workerData as WriterSpec;
const control = new Int32Array(spec.control);
const counters = new Float64Array(spec.counters);
const KV = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
const client = new KV(spec.endpoint, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }) as unknown as grpc.Client & { Put: PutFn };
const template = Buffer.alloc(spec.valueBytes, 0x77);

let running = false;
let inFlight = 0;
let acknowledged = 0;
let windowAcknowledged = 0;
let windowErrors = 0;
let errors = 0;
let skipped = 0;
let lastRevision = 0;
let firstError: string | undefined;
const histogram = newHistogram();
let busyMark = performance.eventLoopUtilization();
let stopped: (() => void) | undefined;

function put(then: () => void): void {
  const key = spec.keys[Math.floor(Math.random() * spec.keys.length)] as Uint8Array;
  const started = stampNow(spec.stampBase);
  inFlight++;
  client.Put({ key, value: stampedValue(template, spec.stampBase) }, { deadline: Date.now() + spec.timeoutMs }, (err, res) => {
    inFlight--;
    const measuring = isMeasuring(control);
    if (err) {
      errors++;
      if (measuring) windowErrors++;
      firstError ??= `put: ${err.message}`;
    } else {
      acknowledged++;
      lastRevision = Math.max(lastRevision, res?.header?.revision ?? 0);
      if (measuring) {
        windowAcknowledged++;
        counters[0] = windowAcknowledged;
        const b = bucketOf(stampNow(spec.stampBase) - started);
        histogram[b] = (histogram[b] ?? 0) + 1;
      }
    }
    if (!running && inFlight === 0) stopped?.();
    then();
  });
}

function closedLoop(): void {
  if (running) put(closedLoop);
}

function paced(): void {
  const start = performance.now();
  let sent = 0;
  const tick = (): void => {
    if (!running) return;
    const due = Math.floor(((performance.now() - start) / 1000) * spec.rate);
    for (; sent < due; sent++) {
      if (inFlight >= maxInFlight) {
        skipped += due - sent;
        sent = due;
        break;
      }
      put(() => undefined);
    }
    setTimeout(tick, 1);
  };
  tick();
}

parentPort?.on("message", (command: WriterCommand) => {
  switch (command.type) {
    case "start":
      running = true;
      if (spec.rate > 0) paced();
      else for (let i = 0; i < spec.writers; i++) closedLoop();
      return;
    case "mark":
      // Only the busy figure needs a start: nothing is counted while the measuring flag is clear.
      busyMark = performance.eventLoopUtilization();
      return;
    case "stop": {
      const busyPercent = busyPercentSince(busyMark);
      running = false;
      let answered = false;
      const answer = (): void => {
        if (answered) return;
        answered = true;
        clearTimeout(grace);
        const result: WriterResult = { type: "result", acknowledged, windowErrors, errors, skipped, unanswered: inFlight, lastRevision, histogram, firstError, busyPercent };
        parentPort?.postMessage(result);
      };
      // Puts still in flight may yet create revisions the watches must reach: wait for them,
      // but not past the grace, as a server far behind would hold them to their deadlines.
      const grace = setTimeout(answer, command.graceMs);
      if (inFlight === 0) answer();
      else stopped = answer;
      return;
    }
  }
});

parentPort?.postMessage({ type: "ready" });
