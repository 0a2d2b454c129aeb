import { parseArgs } from "node:util";
import type { BenchCluster, Target, WatchFanoutOptions } from "../kv/index.js";
import { apiStoreTimeoutMs, flagParsers, formatTable, machineInfo, machineLine, measureWatchFanout, printProblems, runTargets, stampBytes, Targets, writeRunFile } from "../kv/index.js";
import { measureApiList } from "./list.js";
import { benchPod } from "./pods.js";
import type { ApiTargetResult } from "./results.js";
import { apiListRows, apiWatchFanoutRows, apiWriteRows, columnLabels } from "./table.js";
import { measureApiWatchFanout } from "./watch-fanout.js";
import { measureApiWrite } from "./write.js";

/**
 * The Kubernetes API server's benchmarks on a 3-replica `raftplane server` cluster, measured and
 * reported as bench/kv's are; api-watch-fanout also runs kv's watch-fanout against etcd in the
 * same run as its peer. See bench/README.md.
 */

const ApiWorkloads = ["api-watch-fanout", "api-write", "api-list"] as const;
type ApiWorkload = (typeof ApiWorkloads)[number];

const usage = `usage: npm run bench:api -- <api-watch-fanout|api-write|api-list> [--target raftplane|etcd|both]
  [--duration 10s] [--warmup 3s] [--timeout 10s] [--smoke]
  api-watch-fanout: [--watchers 1000] [--rate 1000 (writes/s)] [--pods 1000 (pods the writer keeps)]
                    [--workers 2 (watcher threads)] [--drain-timeout 10s] [--streams 10 (etcd peer)]
  api-write: [--rate 100 (creates/s)]
  api-list: [--pods 10000] [--page-size 500] [--clients 1] [--preload-concurrency 32]`;

function fail(message: string): never {
  console.error(`bench:api: ${message}\n${usage}`);
  process.exit(2);
}

const { args: parseCommandLine, duration: parseDuration, count: parseCount } = flagParsers(fail);

const { values, positionals } = parseCommandLine(() =>
  parseArgs({
    allowPositionals: true,
    options: {
      target: { type: "string", default: "both" },
      duration: { type: "string", default: "10s" },
      warmup: { type: "string", default: "3s" },
      timeout: { type: "string", default: "10s" },
      smoke: { type: "boolean", default: false },
      watchers: { type: "string", default: "1000" },
      rate: { type: "string" },
      pods: { type: "string" },
      workers: { type: "string", default: "2" },
      "drain-timeout": { type: "string", default: "10s" },
      streams: { type: "string", default: "10" },
      "page-size": { type: "string", default: "500" },
      clients: { type: "string", default: "1" },
      "preload-concurrency": { type: "string", default: "32" },
    },
  }),
);

function parseWorkload(name: string | undefined): ApiWorkload {
  if (name === undefined || !ApiWorkloads.includes(name as ApiWorkload)) fail(`name a workload: ${ApiWorkloads.join(", ")}`);
  return name as ApiWorkload;
}

const workload = parseWorkload(positionals[0]);
if (values.target !== "both" && !Targets.includes(values.target as Target)) fail("--target is raftplane, etcd or both");
// etcd has no Kubernetes API: only the watch fan-out has a peer there (kv's watch-fanout).
if (workload !== "api-watch-fanout" && values.target === "etcd") fail(`${workload} measures the API server only: etcd has no peer for it`);
const targets: Target[] = workload !== "api-watch-fanout" ? ["raftplane"] : values.target === "both" ? [...Targets] : [values.target as Target];
const smoke = values.smoke;
// A smoke run only proves the harness works end to end: short, small, and it writes no results.
const durationMs = smoke ? 2000 : parseDuration("duration", values.duration);
const warmupMs = smoke ? 500 : parseDuration("warmup", values.warmup);
const timeoutMs = parseDuration("timeout", values.timeout);
const watchers = smoke ? 100 : parseCount("watchers", values.watchers);
// A smoke run writes at a rate the API server sustains on a small machine, so that it checks the
// whole path (every watch gets every write) rather than the server's overload.
const rate = parseCount("rate", values.rate ?? (workload === "api-write" || smoke ? "100" : "1000"));
const pods = smoke ? (workload === "api-list" ? 1000 : 100) : parseCount("pods", values.pods ?? (workload === "api-list" ? "10000" : "1000"));
const threads = parseCount("workers", values.workers);
const drainTimeoutMs = smoke ? 2000 : parseDuration("drain-timeout", values["drain-timeout"]);
const streams = Math.min(smoke ? 4 : parseCount("streams", values.streams), watchers);
const pageSize = parseCount("page-size", values["page-size"]);
const clients = parseCount("clients", values.clients);
const preloadConcurrency = parseCount("preload-concurrency", values["preload-concurrency"]);
// Memory figures of a smoke run mean nothing; its seconds are better spent elsewhere.
const settleMs = smoke ? 250 : 1000;
/** The etcd peer's values are as large as the pod the API writer sends (the server's stored pod is larger). */
const peerValueBytes = Math.max(stampBytes, Buffer.byteLength(JSON.stringify(benchPod("bench-watch", 0, 0))));
const namespace = { "api-watch-fanout": "bench-watch", "api-write": "bench-write", "api-list": "bench-list" }[workload];

async function measure(target: Target, cluster: BenchCluster): Promise<ApiTargetResult> {
  switch (workload) {
    case "api-watch-fanout": {
      if (target === "raftplane") {
        return measureApiWatchFanout(cluster, { watchers, threads, rate, pods, namespace, timeoutMs, warmupMs, durationMs, drainTimeoutMs, settleMs });
      }
      const peer: WatchFanoutOptions = {
        watchers,
        streams,
        conns: streams,
        threads: Math.min(threads, streams),
        rate,
        writers: 1,
        keyspace: pods,
        valueBytes: peerValueBytes,
        timeoutMs,
        warmupMs,
        durationMs,
        drainTimeoutMs,
        settleMs,
      };
      return measureWatchFanout(cluster, peer);
    }
    case "api-write":
      return measureApiWrite(cluster, { rate, namespace, timeoutMs, warmupMs, durationMs });
    case "api-list":
      return measureApiList(cluster, { pods, namespace, pageSize, clients, preloadConcurrency, timeoutMs, warmupMs, durationMs });
  }
}

const machine = machineInfo(targets.includes("etcd"));

const flags = {
  workload,
  targets,
  durationMs,
  warmupMs,
  timeoutMs,
  smoke,
  members: 3,
  heartbeatMs: 100,
  electionMs: 1000,
  apiServer: { replicas: 3, storeRequestTimeoutMs: apiStoreTimeoutMs, logLevel: "warn" },
  rate,
  ...(workload === "api-watch-fanout" ? { watchers, workers: threads, pods, drainTimeoutMs, etcdPeer: { streams, conns: streams, valueBytes: peerValueBytes, keyspace: pods } } : {}),
  ...(workload === "api-list" ? { pods, pageSize, clients, preloadConcurrency } : {}),
};

const { results, failures, memberExits } = await runTargets<ApiTargetResult>(
  "bench:api",
  workload,
  targets,
  (target) => ({
    what: target === "raftplane" ? "3-replica raftplane server (KV member + API server each)" : "3-member etcd",
    options: { apiServer: target === "raftplane" },
  }),
  measure,
);

const variant = { "api-watch-fanout": `w${watchers}-r${rate}`, "api-write": `r${rate}`, "api-list": `p${pods}` }[workload];
console.log(`\n### ${title()}\n`);
const labels = workload === "api-watch-fanout" ? columnLabels : { raftplane: "raftplane API server" };
console.log(formatTable(targets, results, workload === "api-watch-fanout" ? apiWatchFanoutRows() : workload === "api-write" ? apiWriteRows() : apiListRows(), labels));
console.log(`\n${machineLine(machine)}`);
console.log(`CPU figures are % of one core (the machine has ${machine.cores * 100} %); the client shares the machine with all three servers and with whatever else runs.`);
if (workload === "api-watch-fanout") {
  console.log("Each raftplane process is a KV member and an API server; each watch is its own HTTP connection. The etcd peer multiplexes its watches over gRPC streams.");
  if (targets.length === 2) console.log("Ratios are raftplane ÷ etcd: above 1 is better for rates, worse for latencies, times and memory.");
}
printProblems(results, failures, memberExits);
if (!smoke) writeRunFile(workload, variant, { flags, machine, results, failures, memberExits });
process.exit(failures.length > 0 ? 1 : 0);

function title(): string {
  const window = `${durationMs / 1000}s after ${warmupMs / 1000}s warm-up`;
  switch (workload) {
    case "api-watch-fanout":
      return `api-watch-fanout: ${watchers.toLocaleString("en-US")} watches on one namespace's pods over 3 API servers, ${threads} watcher threads; writer at ${rate.toLocaleString("en-US")} writes/s over ${pods.toLocaleString("en-US")} pods (etcd peer: the same watches on ${streams} streams, ${peerValueBytes}-byte values); ${window}`;
    case "api-write":
      return `api-write: pod creates at ${rate.toLocaleString("en-US")}/s over 3 API servers; ${window}`;
    case "api-list":
      return `api-list: ${pods.toLocaleString("en-US")} pods in one namespace; lists from the watch cache, then pages of ${pageSize} from the store, ${clients} client${clients === 1 ? "" : "s"}; ${window} each`;
  }
}
