import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import type { Target } from "./cluster.js";
import { BenchCluster, etcdBinary, Targets } from "./cluster.js";
import { bucketUpperMicros, mergeInto, newHistogram, quantileMicros } from "./histogram.js";
import type { ControlMessage, WorkerResult, WorkerSpec } from "./worker.js";
import type { Workload, WorkloadOptions } from "./workloads.js";
import { ImplementedWorkloads, keyOf, Workloads } from "./workloads.js";

/**
 * raftplane's etcd-compatible KV against real etcd, one after the other in the same run, with
 * the same client, flags and machine: see bench/README.md.
 */

const usage =
  "usage: npm run bench -- <put|range|txn|watch-fanout|mixed> [--target raftplane|etcd|both] " +
  "[--duration 20s] [--warmup 3s] [--clients 100] [--conns 10] [--workers 2] [--keyspace N] " +
  "[--consistency l|s] [--value-size 256] [--smoke]";

function fail(message: string): never {
  console.error(`bench: ${message}\n${usage}`);
  process.exit(2);
}

/** "20s", "500ms", "1m" or bare seconds, in milliseconds. */
function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) fail(`--${flag} takes a duration such as 20s or 500ms, not "${text}"`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}

function parsePositive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) fail(`--${flag} takes a positive integer, not "${text}"`);
  return n;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: "string", default: "both" },
    duration: { type: "string", default: "20s" },
    warmup: { type: "string", default: "3s" },
    clients: { type: "string", default: "100" },
    conns: { type: "string", default: "10" },
    workers: { type: "string", default: "2" },
    keyspace: { type: "string" },
    consistency: { type: "string", default: "l" },
    "value-size": { type: "string", default: "256" },
    "timeout": { type: "string", default: "10s" },
    smoke: { type: "boolean", default: false },
  },
});

const workload = positionals[0] as Workload | undefined;
if (workload === undefined || !Workloads.includes(workload)) fail(`name a workload: ${Workloads.join(", ")}`);
if (!ImplementedWorkloads.includes(workload)) {
  console.error(`bench: workload "${workload}" is not implemented yet (available: ${ImplementedWorkloads.join(", ")})`);
  process.exit(2);
}
if (values.target !== "both" && !Targets.includes(values.target as Target)) fail(`--target is raftplane, etcd or both`);
if (values.consistency !== "l" && values.consistency !== "s") fail(`--consistency is l (linearizable) or s (serializable)`);
const targets: Target[] = values.target === "both" ? [...Targets] : [values.target as Target];
const smoke = values.smoke;
// A smoke run only proves the harness works end to end: short, small, and it writes no results.
const durationMs = smoke ? 2000 : parseDuration("duration", values.duration);
const warmupMs = smoke ? 500 : parseDuration("warmup", values.warmup);
const clients = parsePositive("clients", values.clients);
const conns = Math.min(parsePositive("conns", values.conns), clients);
const workers = Math.min(parsePositive("workers", values.workers), conns);
// Range reads preloaded keys, so its keyspace is what we can afford to load first.
const defaultKeyspace = workload === "put" ? 100_000 : 10_000;
const keyspace = smoke ? 1000 : parsePositive("keyspace", values.keyspace ?? String(defaultKeyspace));
const options: WorkloadOptions = {
  workload,
  keyspace,
  valueBytes: parsePositive("value-size", values["value-size"]),
  consistency: values.consistency,
  clients,
};
const timeoutMs = parseDuration("timeout", values.timeout);

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;

/** Write every key of the keyspace once, round-robin over the members, 64 at a time. */
async function preload(endpoints: readonly string[]): Promise<void> {
  const KV = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
  const kv = endpoints.map((e) => new KV(e, grpc.credentials.createInsecure()) as grpc.Client & Record<string, UnaryFn>);
  const value = Buffer.alloc(options.valueBytes, 0x62);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < keyspace) {
      const i = next++;
      const c = kv[i % kv.length] as grpc.Client & Record<string, UnaryFn>;
      await new Promise<void>((resolve, reject) =>
        (c["Put"] as UnaryFn).call(c, { key: keyOf(i), value }, { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve())),
      );
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  for (const c of kv) c.close();
}

export interface TargetResult {
  readonly target: Target;
  readonly requests: number;
  readonly errors: number;
  readonly compareFailures: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number };
  /** Client process CPU (all threads) over the measured window, % of one core. */
  readonly clientCpuPercent: number;
  /** The three members' CPU over the measured window, % of one core. */
  readonly serverCpuPercent: number;
  /**
   * Everything else the machine ran in the window (other processes, the kernel), % of one
   * core: when it is large the figures were taken on a shared, busy machine.
   */
  readonly otherCpuPercent: number;
  /** Non-empty histogram buckets: [upper bound µs, count]. */
  readonly histogram: [number, number][];
}

function startWorkers(endpoints: readonly string[], progress: SharedArrayBuffer): Worker[] {
  const url = new URL("./worker.js", import.meta.url);
  return Array.from({ length: workers }, (_, w) => {
    // Connections and clients are dealt round-robin, so members get equal shares of both.
    const channelEndpoints: string[] = [];
    for (let c = w; c < conns; c += workers) channelEndpoints.push(endpoints[c % endpoints.length] as string);
    const clientIndices: number[] = [];
    for (let i = w; i < clients; i += workers) clientIndices.push(i);
    const spec: WorkerSpec = { options, channelEndpoints, clientIndices, progress, workerIndex: w, timeoutMs };
    return new Worker(url, { workerData: spec });
  });
}

/** Busy CPU seconds of the whole machine so far, from /proc/stat (idle and iowait excluded). */
function machineBusySeconds(): number {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(target: Target, cluster: BenchCluster): Promise<TargetResult> {
  const progressBuffer = new SharedArrayBuffer(8 * workers);
  const progress = new Float64Array(progressBuffer);
  const pool = startWorkers(cluster.endpoints, progressBuffer);
  const errored = new Promise<never>((_, reject) => {
    for (const w of pool) w.once("error", reject);
  });
  const send = (m: ControlMessage): void => {
    for (const w of pool) w.postMessage(m);
  };
  try {
    process.stderr.write(`  ${target}: warming up ${warmupMs / 1000}s\n`);
    await Promise.race([sleep(warmupMs), errored]);
    send({ type: "measure" });
    const cpuStart = process.cpuUsage();
    const serverCpuStart = cluster.serverCpuSeconds();
    const machineBusyStart = machineBusySeconds();
    const start = performance.now();
    for (let s = 1; s * 1000 < durationMs; s++) {
      await Promise.race([sleep(start + s * 1000 - performance.now()), errored]);
      const done = progress.reduce((a, b) => a + b, 0);
      process.stderr.write(`\r  ${target} ${s}s: ${Math.round(done / ((performance.now() - start) / 1000)).toLocaleString("en-US")} req/s `);
    }
    await Promise.race([sleep(start + durationMs - performance.now()), errored]);
    const results = Promise.all(pool.map((w) => new Promise<WorkerResult>((resolve) => w.once("message", resolve))));
    send({ type: "stop" });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const serverCpu = cluster.serverCpuSeconds() - serverCpuStart;
    const machineBusy = machineBusySeconds() - machineBusyStart;
    const parts = await Promise.race([results, errored]);
    process.stderr.write("\n");
    const histogram = newHistogram();
    for (const p of parts) mergeInto(histogram, p.histogram);
    const requests = parts.reduce((a, p) => a + p.requests, 0);
    const ms = (q: number): number => quantileMicros(histogram, q) / 1000;
    const buckets: [number, number][] = [];
    histogram.forEach((count, i) => {
      if (count > 0) buckets.push([bucketUpperMicros(i), count]);
    });
    let max = 0;
    for (const [upper] of buckets) max = Math.max(max, upper / 1000);
    return {
      target,
      requests,
      errors: parts.reduce((a, p) => a + p.errors, 0),
      compareFailures: parts.reduce((a, p) => a + p.compareFailures, 0),
      firstError: parts.find((p) => p.firstError !== undefined)?.firstError,
      seconds,
      throughput: requests / seconds,
      latencyMs: { p50: ms(0.5), p90: ms(0.9), p99: ms(0.99), p999: ms(0.999), max },
      clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      serverCpuPercent: (serverCpu / seconds) * 100,
      otherCpuPercent: Math.max(0, ((machineBusy - serverCpu - (cpu.user + cpu.system) / 1e6) / seconds) * 100),
      histogram: buckets,
    };
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

function commandOutput(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

const machine = {
  cores: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown CPU",
  node: process.version,
  etcd: commandOutput(etcdBinary, ["--version"]).split("\n")[0] ?? "unknown",
  raftplaneCommit: commandOutput("git", ["rev-parse", "--short", "HEAD"]),
  // Other engineers edit the server while benches run: say whether the tree was clean.
  raftplaneTreeDirty: commandOutput("git", ["status", "--porcelain"]) !== "",
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  dataDir: "os.tmpdir() (same disk for both targets)",
};

const flags = {
  workload,
  targets,
  durationMs,
  warmupMs,
  clients,
  conns,
  workers,
  keyspace,
  valueBytes: options.valueBytes,
  keyBytes: 8,
  consistency: workload === "range" ? options.consistency : undefined,
  timeoutMs,
  smoke,
  members: 3,
  heartbeatMs: 100,
  electionMs: 1000,
};

const results: TargetResult[] = [];
const failures: { target: Target; error: string }[] = [];
for (const target of targets) {
  process.stderr.write(`bench ${workload}: starting a 3-member ${target} cluster\n`);
  let cluster: BenchCluster | undefined;
  try {
    cluster = await BenchCluster.start(target);
    if (workload === "range") {
      process.stderr.write(`  ${target}: preloading ${keyspace} keys\n`);
      await preload(cluster.endpoints);
    }
    results.push(await measure(target, cluster));
  } catch (err) {
    process.stderr.write(`\nbench: ${target} failed: ${(err as Error).message}\n`);
    failures.push({ target, error: (err as Error).message });
  } finally {
    await cluster?.destroy();
  }
}

const variant = `${workload === "range" ? `${options.consistency}-` : ""}c${clients}-n${conns}`;
console.log(`\n### ${workload}${workload === "range" ? ` (${options.consistency === "l" ? "linearizable" : "serializable"})` : ""}: ${clients} clients, ${conns} connections, ${workers} workers, ${durationMs / 1000}s after ${warmupMs / 1000}s warm-up\n`);
console.log(formatTable(results));
console.log(`\nmachine: ${machine.cores} × ${machine.cpuModel}, node ${machine.node}, ${machine.etcd}, raftplane ${machine.raftplaneCommit}${machine.raftplaneTreeDirty ? " (uncommitted changes)" : ""}, load average at start ${machine.loadAverageAtStart.join(" ")}`);
console.log(`CPU figures are % of one core (the machine has ${machine.cores * 100} %); the client shares the machine with all three members and with whatever else runs.`);
for (const r of results) if (r.firstError) console.log(`${r.target} first error: ${r.firstError}`);
for (const f of failures) console.log(`${f.target} FAILED: ${f.error}`);

if (!smoke) {
  const dir = fileURLToPath(new URL("../../../bench/results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = `${dir}${date}-${workload}-${variant}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), variant, flags, machine, results, failures }, null, 2)}\n`);
  process.stderr.write(`results written to ${file}\n`);
}
process.exit(failures.length > 0 ? 1 : 0);

function formatTable(rs: readonly TargetResult[]): string {
  const byTarget = (t: Target): TargetResult | undefined => rs.find((r) => r.target === t);
  const shown = targets.filter((t) => byTarget(t) !== undefined);
  const rows: [string, (r: TargetResult) => number, number][] = [
    ["requests", (r) => r.requests, 0],
    ["errors", (r) => r.errors, 0],
    ...(workload === "txn" ? [["failed compares", (r: TargetResult) => r.compareFailures, 0] as [string, (r: TargetResult) => number, number]] : []),
    ["throughput, req/s (higher is better)", (r) => r.throughput, 0],
    ["latency p50, ms (lower is better)", (r) => r.latencyMs.p50, 2],
    ["latency p90, ms (lower is better)", (r) => r.latencyMs.p90, 2],
    ["latency p99, ms (lower is better)", (r) => r.latencyMs.p99, 2],
    ["latency p99.9, ms (lower is better)", (r) => r.latencyMs.p999, 2],
    ["client CPU, % of one core", (r) => r.clientCpuPercent, 0],
    ["server CPU (3 members), % of one core", (r) => r.serverCpuPercent, 0],
    ["other processes' CPU, % of one core", (r) => r.otherCpuPercent, 0],
  ];
  const both = shown.length === 2;
  const head = `| metric | ${shown.join(" | ")} |${both ? " ratio (raftplane ÷ etcd) |" : ""}`;
  const rule = `| --- | ${shown.map(() => "---:").join(" | ")} |${both ? " ---: |" : ""}`;
  const lines = rows.map(([name, get, digits]) => {
    const cells = shown.map((t) => get(byTarget(t) as TargetResult).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
    if (!both) return `| ${name} | ${cells.join(" | ")} |`;
    const a = get(byTarget("raftplane") as TargetResult);
    const b = get(byTarget("etcd") as TargetResult);
    // Other processes' CPU is context, not a property of either target: no ratio.
    const ratio = b === 0 || name.startsWith("other") ? "—" : (a / b).toFixed(2);
    return `| ${name} | ${cells.join(" | ")} | ${ratio} |`;
  });
  return [head, rule, ...lines].join("\n");
}
