import { parentPort, workerData } from "node:worker_threads";
import { bucketOf, busyPercentSince, isMeasuring, newHistogram, stampNow } from "../kv/index.js";
import { failureOf, keepAliveAgents, send } from "./http.js";
import type { Json } from "./pods.js";
import { benchPod, podName, restamped } from "./pods.js";

/**
 * The API benchmarks' writer thread: pod writes through the API at a fixed rate, open loop (a
 * write is sent when it is due, answered or not), dealt round-robin over the API servers as a
 * load balancer would. Each write carries its send time in an annotation.
 *
 * `pool` 0: every write creates a new pod (api-write). `pool` N: the first N writes create pods
 * 0..N-1; every later one updates the next pod, in turn, whose create was acknowledged (a PUT of
 * the object the server last returned, restamped), so the namespace keeps N pods
 * (api-watch-fanout). While no create has been acknowledged yet, a due write creates one more
 * pod rather than wait: nothing is updated before it exists, and no write is held back.
 */

export interface ApiWriterSpec {
  readonly apiUrls: readonly string[];
  readonly namespace: string;
  /** Writes per second. */
  readonly rate: number;
  readonly pool: number;
  readonly control: SharedArrayBuffer;
  /** Float64Array; [0] is set to the writes acknowledged in the measured window. */
  readonly counters: SharedArrayBuffer;
  readonly stampBase: bigint;
  readonly timeoutMs: number;
}

export type ApiWriterCommand =
  | { readonly type: "start" }
  | { readonly type: "mark" }
  /** Stop sending; answer once every write in flight is answered, or after graceMs at most. */
  | { readonly type: "stop"; readonly graceMs: number };

export interface ApiWriterResult {
  readonly type: "result";
  /** Writes acknowledged since start, window or not: what every watcher must receive. */
  readonly acknowledged: number;
  readonly creates: number;
  readonly updates: number;
  /** Writes sent in the window, acknowledged in the window, and errors in the window / since start. */
  readonly windowSent: number;
  readonly windowAcknowledged: number;
  readonly windowErrors: number;
  readonly errors: number;
  /** Writes that were due but not sent because maxInFlight were outstanding. */
  readonly skipped: number;
  /** Writes still unanswered when the writer answered (its grace ran out). */
  readonly unanswered: number;
  /** The highest resourceVersion an acknowledged write returned. */
  readonly lastRevision: number;
  /** Request bytes (bodies) and answers' bytes of the writes acknowledged in the window. */
  readonly windowRequestBytes: number;
  /** Write latency (send to the answer's last byte) in the window. */
  readonly histogram: Float64Array;
  readonly firstError: string | undefined;
  /** Errors by HTTP status ("0" for network errors and timeouts). */
  readonly errorsByStatus: Record<string, number>;
  readonly busyPercent: number;
}

/** A rate the server cannot follow must not grow the client without bound. */
const maxInFlight = 10_000;

const spec = workerData as ApiWriterSpec;
const control = new Int32Array(spec.control);
const counters = new Float64Array(spec.counters);
// Enough connections per server that a slow answer never holds back a due write at 1,000/s.
const agents = keepAliveAgents(spec.apiUrls.length, 256);
/** The object the server last returned for each pod created, by pod index. */
const served = new Map<number, Json>();
/** Pods whose create was acknowledged, in that order: the ones updates take turns on. */
const createdPods: number[] = [];
let nextPod = 0;
let updateTurn = 0;
const collection = `/api/v1/namespaces/${spec.namespace}/pods`;

let running = false;
let next = 0;
let inFlight = 0;
let acknowledged = 0;
let creates = 0;
let updates = 0;
let windowSent = 0;
let windowAcknowledged = 0;
let windowErrors = 0;
let errors = 0;
let skipped = 0;
let lastRevision = 0;
let windowRequestBytes = 0;
let firstError: string | undefined;
const errorsByStatus: Record<string, number> = {};
const histogram = newHistogram();
let busyMark = performance.eventLoopUtilization();
let stopped: (() => void) | undefined;

function failed(status: number, message: string, measuring: boolean): void {
  errors++;
  if (measuring) windowErrors++;
  errorsByStatus[String(status)] = (errorsByStatus[String(status)] ?? 0) + 1;
  firstError ??= message;
}

function write(): void {
  const server = next++ % spec.apiUrls.length;
  const started = stampNow(spec.stampBase);
  const update = nextPod >= spec.pool && createdPods.length > 0;
  const pod = update ? (createdPods[updateTurn++ % createdPods.length] as number) : nextPod++;
  const previous = served.get(pod);
  const body = JSON.stringify(update && previous !== undefined ? restamped(previous, started) : benchPod(spec.namespace, pod, started));
  const method = update ? "PUT" : "POST";
  const path = update ? `${collection}/${podName(pod)}` : collection;
  if (isMeasuring(control)) windowSent++;
  inFlight++;
  send(agents[server], spec.apiUrls[server] as string, method, path, body, spec.timeoutMs).then(
    (answer) => {
      inFlight--;
      const measuring = isMeasuring(control);
      if (answer.status !== 200 && answer.status !== 201) failed(answer.status, `${method} ${path}: ${failureOf(answer)}`, measuring);
      else {
        const object = JSON.parse(answer.body.toString("utf8")) as Json;
        const rv = Number((object["metadata"] as { resourceVersion?: string } | undefined)?.resourceVersion);
        if (rv > lastRevision) lastRevision = rv;
        if (spec.pool > 0) {
          if (!update) createdPods.push(pod);
          // Answers may arrive out of order: keep the newest state of each pod.
          const known = served.get(pod);
          if (known === undefined || Number((known["metadata"] as { resourceVersion?: string }).resourceVersion) < rv) served.set(pod, object);
        }
        acknowledged++;
        if (update) updates++;
        else creates++;
        if (measuring) {
          windowAcknowledged++;
          windowRequestBytes += Buffer.byteLength(body);
          counters[0] = windowAcknowledged;
          const b = bucketOf(stampNow(spec.stampBase) - started);
          histogram[b] = (histogram[b] ?? 0) + 1;
        }
      }
      if (!running && inFlight === 0) stopped?.();
    },
    (err: unknown) => {
      inFlight--;
      failed(0, `${method} ${path}: ${(err as Error).message}`, isMeasuring(control));
      if (!running && inFlight === 0) stopped?.();
    },
  );
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
      write();
    }
    setTimeout(tick, 1);
  };
  tick();
}

parentPort?.on("message", (command: ApiWriterCommand) => {
  switch (command.type) {
    case "start":
      running = true;
      paced();
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
        const result: ApiWriterResult = {
          type: "result",
          acknowledged,
          creates,
          updates,
          windowSent,
          windowAcknowledged,
          windowErrors,
          errors,
          skipped,
          unanswered: inFlight,
          lastRevision,
          windowRequestBytes,
          histogram,
          firstError,
          errorsByStatus,
          busyPercent,
        };
        parentPort?.postMessage(result);
        for (const a of agents) a.destroy();
      };
      // Writes still in flight may yet create revisions the watchers must reach: wait for
      // them, but not past the grace, as a server far behind would hold them to their timeouts.
      const grace = setTimeout(answer, command.graceMs);
      if (inFlight === 0) answer();
      else stopped = answer;
      return;
    }
  }
});

parentPort?.postMessage({ type: "ready" });
