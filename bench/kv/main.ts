import { parseArgs } from "node:util";
import type { BenchCluster, Target } from "./cluster.js";
import { Targets } from "./cluster.js";
import type { ClosedLoopOptions } from "./closed-loop.js";
import { measureClosedLoop, preload } from "./closed-loop.js";
import { measureMixed } from "./mixed.js";
import type { TargetResult } from "./results.js";
import { flagParsers, machineInfo, machineLine, printProblems, roundsLine, runTargets, writeRunFile } from "./run.js";
import { formatTable, mixedRows, requestRows, watchFanoutRows } from "./table.js";
import type { Row } from "./table.js";
import { measureWatchFanout } from "./watch-fanout.js";
import type { WatchFanoutOptions } from "./watch-fanout.js";
import { stampBytes } from "./watch-wire.js";
import type { MixedOperation, Workload } from "./workloads.js";
import { keyOf, MixedOperations, Workloads } from "./workloads.js";

/**
 * raftplane's etcd-compatible KV against real etcd, one after the other in the same run, with
 * the same client, flags and machine: see bench/README.md.
 */

const usage = `usage: npm run bench -- <put|range|txn|watch-fanout|mixed> [--target raftplane|etcd|both]
  [--duration 20s] [--warmup 3s] [--rounds 1] [--workers 2] [--keyspace N] [--value-size N] [--timeout 10s] [--smoke]
  put, range, txn, mixed: [--clients 100] [--conns 10]; range: [--consistency l|s]
  watch-fanout: [--watchers 1000] [--streams 10] [--conns 10] [--rate 0 (puts/s, 0 = full speed)]
                [--writers 1] [--drain-timeout 10s]
  mixed: [--watchers 10] [--streams 10] [--leases 10] [--mix update:75,list:5,keepalive:20]
         [--pods-per-namespace 100] [--list-limit 100]`;

function fail(message: string): never {
  console.error(`bench: ${message}\n${usage}`);
  process.exit(2);
}

const { args: parseCommandLine, duration: parseDuration, count: parseCount } = flagParsers(fail);

function parseMix(text: string): Record<MixedOperation, number> {
  const weights: Record<MixedOperation, number> = { update: 0, list: 0, keepalive: 0 };
  for (const part of text.split(",")) {
    const [name, weight] = part.split(":");
    if (!MixedOperations.includes(name as MixedOperation) || weight === undefined) {
      fail(`--mix takes operation:weight pairs of ${MixedOperations.join(", ")}, such as update:75,list:5,keepalive:20; not "${text}"`);
    }
    weights[name as MixedOperation] = parseCount("mix", weight, 0);
  }
  if (MixedOperations.every((k) => weights[k] === 0)) fail("--mix needs at least one operation with a weight above 0");
  return weights;
}

const { values, positionals } = parseCommandLine(() =>
  parseArgs({
    allowPositionals: true,
    options: {
      target: { type: "string", default: "both" },
      duration: { type: "string", default: "20s" },
      warmup: { type: "string", default: "3s" },
      rounds: { type: "string", default: "1" },
      clients: { type: "string", default: "100" },
      conns: { type: "string", default: "10" },
      workers: { type: "string", default: "2" },
      keyspace: { type: "string" },
      consistency: { type: "string", default: "l" },
      "value-size": { type: "string" },
      timeout: { type: "string", default: "10s" },
      smoke: { type: "boolean", default: false },
      watchers: { type: "string" },
      streams: { type: "string", default: "10" },
      rate: { type: "string", default: "0" },
      writers: { type: "string", default: "1" },
      "drain-timeout": { type: "string", default: "10s" },
      leases: { type: "string", default: "10" },
      mix: { type: "string", default: "update:75,list:5,keepalive:20" },
      "pods-per-namespace": { type: "string", default: "100" },
      "list-limit": { type: "string", default: "100" },
    },
  }),
);

const workload = positionals[0] as Workload | undefined;
if (workload === undefined || !Workloads.includes(workload)) fail(`name a workload: ${Workloads.join(", ")}`);
if (values.target !== "both" && !Targets.includes(values.target as Target)) fail(`--target is raftplane, etcd or both`);
if (values.consistency !== "l" && values.consistency !== "s") fail(`--consistency is l (linearizable) or s (serializable)`);
const targets: Target[] = values.target === "both" ? [...Targets] : [values.target as Target];
const smoke = values.smoke;
// A smoke run only proves the harness works end to end: short, small, and it writes no results.
const durationMs = smoke ? 2000 : parseDuration("duration", values.duration);
const warmupMs = smoke ? 500 : parseDuration("warmup", values.warmup);
const roundCount = smoke ? 1 : parseCount("rounds", values.rounds);
const timeoutMs = parseDuration("timeout", values.timeout);
const clients = parseCount("clients", values.clients);
const workers = parseCount("workers", values.workers);
// Range and mixed read what they preload, so their keyspace is what we can afford to load first;
// watch-fanout's writer spreads its puts over a few keys.
const defaultKeyspace = { put: 100_000, range: 10_000, txn: 10_000, "watch-fanout": 1000, mixed: 10_000 }[workload];
const keyspace = smoke ? 1000 : parseCount("keyspace", values.keyspace ?? String(defaultKeyspace));
// Pods are larger than etcd's benchmark values; 1 KiB stands for a small pod's JSON.
const valueBytes = parseCount("value-size", values["value-size"] ?? (workload === "mixed" ? "1024" : "256"), workload === "watch-fanout" || workload === "mixed" ? stampBytes : 1);
const watchers = smoke ? (workload === "mixed" ? 4 : 100) : parseCount("watchers", values.watchers ?? (workload === "mixed" ? "10" : "1000"));
const streams = Math.min(smoke ? 4 : parseCount("streams", values.streams), watchers);
const rate = parseCount("rate", values.rate, 0);
const writers = parseCount("writers", values.writers);
const drainTimeoutMs = smoke ? 2000 : parseDuration("drain-timeout", values["drain-timeout"]);
const leases = parseCount("leases", values.leases);
const weights = parseMix(values.mix);
const podsPerNamespace = parseCount("pods-per-namespace", values["pods-per-namespace"]);
const listLimit = parseCount("list-limit", values["list-limit"]);
// Watch streams are dealt over the connections; more connections than streams would sit idle.
const conns = Math.min(parseCount("conns", values.conns), workload === "watch-fanout" ? streams : clients);
const threads = Math.min(workers, conns);

const closedLoop: ClosedLoopOptions = {
  options: { workload: workload === "watch-fanout" ? "put" : workload, keyspace, valueBytes, consistency: values.consistency, clients },
  clients,
  conns,
  workers: threads,
  timeoutMs,
  warmupMs,
  durationMs,
};

// Memory figures of a smoke run mean nothing; its seconds are better spent elsewhere.
const settleMs = smoke ? 250 : 1000;

const watchFanout: WatchFanoutOptions = {
  watchers,
  streams,
  conns,
  threads,
  rate,
  writers,
  keyspace,
  valueBytes,
  timeoutMs,
  warmupMs,
  durationMs,
  drainTimeoutMs,
  settleMs,
};

async function measure(cluster: BenchCluster): Promise<TargetResult> {
  switch (workload) {
    case "watch-fanout":
      return measureWatchFanout(cluster, watchFanout);
    case "mixed":
      return measureMixed(cluster, { closedLoop, weights, podsPerNamespace, listLimit, leases, watchers, streams: Math.min(streams, watchers), settleMs });
    case "range":
      process.stderr.write(`  ${cluster.target}: preloading ${keyspace} keys\n`);
      await preload(cluster.endpoints, keyspace, keyOf, Buffer.alloc(valueBytes, 0x62), timeoutMs);
      return measureClosedLoop(cluster, closedLoop);
    default:
      return measureClosedLoop(cluster, closedLoop);
  }
}

const machine = machineInfo(true);

const watching = workload === "watch-fanout" || workload === "mixed";
const flags = {
  workload,
  targets,
  durationMs,
  warmupMs,
  ...(workload === "watch-fanout" ? {} : { clients }),
  conns,
  workers: threads,
  keyspace,
  valueBytes,
  keyBytes: workload === "mixed" ? undefined : workload === "watch-fanout" ? 8 + 13 : 8,
  consistency: workload === "range" ? values.consistency : undefined,
  timeoutMs,
  smoke,
  rounds: roundCount,
  members: 3,
  heartbeatMs: 100,
  electionMs: 1000,
  ...(watching ? { watchers, streams } : {}),
  ...(workload === "watch-fanout" ? { rate, writers: rate > 0 ? 1 : writers, drainTimeoutMs } : {}),
  ...(workload === "mixed" ? { mix: weights, leases, podsPerNamespace, listLimit } : {}),
};

const { results, failures, memberExits, rounds } = await runTargets<TargetResult>(
  "bench",
  workload,
  targets,
  (target) => ({ what: `3-member ${target}` }),
  (_target, cluster) => measure(cluster),
  { count: roundCount, figure: (r) => r.throughput },
);

const speed = rate > 0 ? `r${rate}` : `full${writers > 1 ? `-x${writers}` : ""}`;
const variant =
  workload === "watch-fanout"
    ? `w${watchers}-s${streams}-${speed}`
    : `${workload === "range" ? `${values.consistency}-` : ""}c${clients}-n${conns}${workload === "mixed" ? `-w${watchers}` : ""}`;
// A run of one target gets its own file, so it never replaces the same day's side-by-side run.
const fileVariant = targets.length === 1 ? `${variant}-${targets[0]}` : variant;
console.log(`\n### ${title()}\n`);
console.log(formatTable(targets, results, rows()));
if (roundCount > 1) console.log(`\n${roundsLine(rounds, workload === "watch-fanout" ? "delivered events/s" : "req/s")}`);
console.log(`\n${machineLine(machine)}`);
console.log(`CPU figures are % of one core (the machine has ${machine.cores * 100} %); the client shares the machine with all three members and with whatever else runs.`);
if (watching) console.log("Ratios are raftplane ÷ etcd: above 1 is better for rates, worse for latencies, times and memory.");
printProblems(results, failures, memberExits);
if (!smoke) writeRunFile(workload, fileVariant, { flags, machine, results, rounds, failures, memberExits });
process.exit(failures.length > 0 ? 1 : 0);

function title(): string {
  const window = `${durationMs / 1000}s after ${warmupMs / 1000}s warm-up`;
  switch (workload) {
    case "watch-fanout":
      return `watch-fanout: ${watchers.toLocaleString("en-US")} watches on one prefix over ${streams} streams, ${conns} connections, ${threads} watcher threads; writer ${rate > 0 ? `at ${rate.toLocaleString("en-US")} puts/s` : `at full speed (${writers} put${writers === 1 ? "" : "s"} in flight)`}; ${window}`;
    case "mixed":
      return `mixed (${MixedOperations.map((k) => `${k} ${weights[k]}`).join(", ")}): ${clients} clients, ${conns} connections, ${threads} workers, ${keyspace.toLocaleString("en-US")} pods, ${leases} leases, ${watchers} watches on ${Math.min(streams, watchers)} streams; ${window}`;
    default:
      return `${workload}${workload === "range" ? ` (${values.consistency === "l" ? "linearizable" : "serializable"})` : ""}: ${clients} clients, ${conns} connections, ${threads} workers, ${window}`;
  }
}

function rows(): Row[] {
  switch (workload) {
    case "watch-fanout":
      return watchFanoutRows();
    case "mixed":
      return mixedRows(MixedOperations.filter((k) => weights[k] > 0));
    default:
      return requestRows(workload === "txn");
  }
}
