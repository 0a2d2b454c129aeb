import type { ClientRequest, IncomingMessage } from "node:http";
import { request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { bucketOf, busyPercentSince, isMeasuring, newHistogram, stampNow } from "../kv/index.js";
import { sentAnnotation } from "./pods.js";
import type { ApiWatchWorkerCommand, ApiWatchWorkerEstablished, ApiWatchWorkerResult, ApiWatchWorkerSpec, WatchErrorCounts } from "./watch-messages.js";
import { counterSlots } from "./watch-messages.js";

/**
 * A watcher thread of api-watch-fanout: its share of the HTTP watches, each its own connection
 * (HTTP/1.1 has no multiplexing) and its own GET ...?watch=true, as an informer's reflector
 * opens it. Every watch's stream is read for real: the body (chunked) is split into lines, each
 * line is JSON.parse'd, its type checked, and the object's resourceVersion must increase from one
 * event to the next; the annotation the writer stamped gives write-to-delivery latency.
 */

interface WatchEvent {
  readonly type?: unknown;
  readonly object?: {
    readonly kind?: unknown;
    readonly message?: unknown;
    readonly metadata?: { readonly resourceVersion?: unknown; readonly annotations?: Readonly<Record<string, unknown>> };
  };
}

const spec = workerData as ApiWatchWorkerSpec;
const control = new Int32Array(spec.control);
const counters = new Float64Array(spec.counters);
const base = counterSlots * spec.workerIndex;
const count = spec.servers.length;
/** Per watch: events received since it started, the last event's resourceVersion, open or not. */
const received = new Float64Array(count);
const lastRevision = new Float64Array(count);
const open = new Uint8Array(count);
const requests: (ClientRequest | undefined)[] = new Array<ClientRequest | undefined>(count).fill(undefined);

const histogram = newHistogram();
const errors: WatchErrorCounts = { establish: 0, errorEvents: 0, streamsEnded: 0, malformed: 0, unexpected: 0, outOfOrder: 0 };
let errorCount = 0;
let firstError: string | undefined;
let deliveredInWindow = 0;
let bytesInWindow = 0;
let established = 0;
let firstSentMicros = Number.NaN;
let lastEstablishedMicros = Number.NaN;
let busyMark = performance.eventLoopUtilization();
let finishing = false;
const drainFlag = new Int32Array(spec.drain, 0, 1);
/** [the last write's resourceVersion, writes acknowledged (events every watch should have), deadline as Date.now() ms]. */
const drainValues = new Float64Array(spec.drain, 8, 3);
let drainStarted = false;
let reported = false;
let drainTarget = Number.POSITIVE_INFINITY;
let drainDeadline = Number.POSITIVE_INFINITY;
let expectedEvents = 0;
let busyPercent = 0;
let waitingToDrain = 0;
let onDrained: (() => void) | undefined;

function fail(kind: keyof WatchErrorCounts, message: string): void {
  errors[kind]++;
  counters[base + 3] = ++errorCount;
  firstError ??= message;
}

/** A watch that can no longer deliver does not hold up the drain. */
function closed(i: number): void {
  if (open[i] === 0) return;
  open[i] = 0;
  if ((lastRevision[i] ?? 0) < drainTarget && --waitingToDrain === 0) onDrained?.();
}

function onEvent(i: number, line: string): void {
  let event: WatchEvent;
  try {
    event = JSON.parse(line) as WatchEvent;
  } catch {
    fail("malformed", `watch ${i}: a line that is not JSON: ${line.slice(0, 120)}`);
    return;
  }
  const type = event.type;
  const object = event.object;
  if (type === "ERROR") {
    fail("errorEvents", `watch ${i}: ERROR event: ${typeof object?.message === "string" ? object.message : line.slice(0, 200)}`);
    return;
  }
  if (type === "BOOKMARK") return;
  if (typeof type !== "string" || object === undefined) {
    fail("malformed", `watch ${i}: an event without type or object: ${line.slice(0, 120)}`);
    return;
  }
  if ((type !== "ADDED" && type !== "MODIFIED") || object.kind !== "Pod") {
    fail("unexpected", `watch ${i}: unexpected ${type} event of a ${String(object.kind)}`);
    return;
  }
  const rv = Number(object.metadata?.resourceVersion);
  if (!Number.isInteger(rv) || rv <= 0) {
    fail("malformed", `watch ${i}: an event without a resourceVersion`);
    return;
  }
  const before = lastRevision[i] ?? 0;
  if (rv <= before) fail("outOfOrder", `watch ${i}: resourceVersion ${rv} after ${before}`);
  else lastRevision[i] = rv;
  received[i] = (received[i] ?? 0) + 1;
  if (isMeasuring(control)) {
    counters[base] = ++deliveredInWindow;
    const sent = Number(object.metadata?.annotations?.[sentAnnotation]);
    if (Number.isFinite(sent)) {
      const b = bucketOf(stampNow(spec.stampBase) - sent);
      histogram[b] = (histogram[b] ?? 0) + 1;
    }
  }
  if (before < drainTarget && rv >= drainTarget && --waitingToDrain === 0) onDrained?.();
}

/** Splits a watch's body into lines, a line possibly spread over several reads. */
function follow(i: number, res: IncomingMessage): void {
  let partial: Buffer | undefined;
  res.on("data", (chunk: Buffer) => {
    checkDrain();
    if (isMeasuring(control)) {
      bytesInWindow += chunk.length;
      counters[base + 2] = bytesInWindow;
    }
    let data = chunk;
    if (partial !== undefined) {
      data = Buffer.concat([partial, chunk]);
      partial = undefined;
    }
    let start = 0;
    for (;;) {
      const end = data.indexOf(0x0a, start);
      if (end < 0) break;
      if (end > start) onEvent(i, data.toString("utf8", start, end));
      start = end + 1;
    }
    if (start < data.length) partial = data.subarray(start);
  });
  const ended = (how: string): void => {
    if (open[i] === 0) return;
    if (!finishing) fail("streamsEnded", `watch ${i}: the stream ${how}`);
    closed(i);
  };
  res.on("end", () => ended("ended"));
  res.on("error", (err) => ended(`broke: ${err.message}`));
  res.on("close", () => ended("was closed"));
}

function establishAll(): void {
  let nextWatch = 0;
  let waiting = 0;
  let settled = 0;
  const done = (): void => {
    if (++settled === count) {
      parentPort?.postMessage({ type: "established", established, firstSentMicros, lastEstablishedMicros } satisfies ApiWatchWorkerEstablished);
    }
  };
  const startNext = (): void => {
    while (waiting < spec.concurrency && nextWatch < count) {
      const i = nextWatch++;
      waiting++;
      const url = new URL(spec.servers[i] as string);
      if (Number.isNaN(firstSentMicros)) firstSentMicros = stampNow(spec.stampBase);
      let answered = false;
      const settle = (): void => {
        if (answered) return;
        answered = true;
        waiting--;
        done();
        startNext();
      };
      const req = request({ host: url.hostname, port: url.port, path: spec.path, agent: false, headers: { accept: "application/json", "user-agent": "raftplane-bench/0.1 (watch)" } }, (res) => {
        if (res.statusCode !== 200) {
          fail("establish", `watch ${i}: HTTP ${res.statusCode}`);
          res.resume();
          settle();
          return;
        }
        open[i] = 1;
        counters[base + 1] = ++established;
        lastEstablishedMicros = stampNow(spec.stampBase);
        follow(i, res);
        settle();
      });
      req.on("error", (err) => {
        if (!answered) {
          fail("establish", `watch ${i}: ${err.message}`);
          settle();
        }
      });
      req.end();
      requests[i] = req;
    }
  };
  if (count === 0) done();
  startNext();
}

function report(drained: boolean): void {
  let completeWatchers = 0;
  let missingEvents = 0;
  let openWatchers = 0;
  let behindWatchers = 0;
  let gapWatchers = 0;
  for (let i = 0; i < count; i++) {
    const got = received[i] ?? 0;
    const reached = (lastRevision[i] ?? 0) >= drainTarget;
    if (got >= expectedEvents) completeWatchers++;
    else {
      missingEvents += expectedEvents - got;
      if (reached) gapWatchers++;
    }
    if (open[i] === 1 && !reached) behindWatchers++;
    openWatchers += open[i] ?? 0;
  }
  finishing = true;
  // The run is over: close the watches here, so the servers see their clients go.
  for (const r of requests) r?.destroy();
  const result: ApiWatchWorkerResult = { type: "result", histogram, drained, completeWatchers, missingEvents, behindWatchers, gapWatchers, openWatchers, errors, firstError, busyPercent };
  parentPort?.postMessage(result);
}

/**
 * The drain: once the main thread asks (in shared memory), every open watch must reach the
 * last write's resourceVersion by the deadline. Read on every chunk received as well as on the
 * "finish" message: a saturated thread may see a message, or a timer, seconds late.
 */
function checkDrain(): void {
  if (reported) return;
  if (!drainStarted) {
    if (Atomics.load(drainFlag, 0) === 1) startDrain();
  } else if (Date.now() > drainDeadline) finish(false);
}

function startDrain(): void {
  drainStarted = true;
  // The busy figure is the window's (from "mark" to the drain), not the drain's.
  busyPercent = busyPercentSince(busyMark);
  drainTarget = drainValues[0] ?? 0;
  expectedEvents = drainValues[1] ?? 0;
  drainDeadline = drainValues[2] ?? 0;
  waitingToDrain = 0;
  for (let i = 0; i < count; i++) if (open[i] === 1 && (lastRevision[i] ?? 0) < drainTarget) waitingToDrain++;
  if (waitingToDrain === 0) return finish(true);
  onDrained = () => finish(true);
  setTimeout(() => finish(false), Math.max(0, drainDeadline - Date.now()));
}

function finish(drained: boolean): void {
  if (reported) return;
  reported = true;
  onDrained = undefined;
  report(drained);
}

parentPort?.on("message", (command: ApiWatchWorkerCommand) => {
  switch (command.type) {
    case "establish":
      establishAll();
      return;
    case "mark":
      // Only the busy figure needs a start: nothing is counted while the measuring flag is clear.
      busyMark = performance.eventLoopUtilization();
      return;
    case "finish":
      checkDrain();
      return;
  }
});

parentPort?.postMessage({ type: "ready" });
