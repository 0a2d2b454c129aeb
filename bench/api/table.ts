import type { Row, Target } from "../kv/index.js";
import { cpuRows, latencyRows } from "../kv/index.js";
import type { ApiListFigures, ApiTargetResult } from "./results.js";

/** The rows `npm run bench:api` prints: one per metric, one column per target, as bench/kv's. */

type ApiRow = Row<ApiTargetResult>;

export const columnLabels: Readonly<Record<Target, string>> = {
  raftplane: "raftplane API server (HTTP watch)",
  etcd: "etcd 3.4 (gRPC watch, kv watch-fanout)",
};

/** kv's CPU rows, the servers being three processes here (three etcd members in the peer's column). */
const cpu: ApiRow[] = cpuRows.map((row) => (row.name.startsWith("server CPU") ? { ...row, name: "server CPU (3 processes), % of one core" } : row));

const memberSum = (r: ApiTargetResult, get: (m: { beforeMB: number; watchersMB: number; endMB: number }) => number): number | undefined =>
  r.watch?.memory.members.reduce((a, m) => a + get(m), 0);

export function apiWatchFanoutRows(): ApiRow[] {
  const rpOnly = (get: (r: ApiTargetResult) => number | undefined): ((r: ApiTargetResult) => number | undefined) => (r) => (r.target === "raftplane" ? get(r) : undefined);
  return [
    { name: "watches established", get: (r) => r.watch?.createdWatchers, digits: 0 },
    { name: "time to establish all watches, s (lower is better)", get: (r) => r.watch?.createSeconds, digits: 2 },
    { name: "writes/s asked (fixed rate, open loop)", get: (r) => r.watch?.rate, digits: 0, noRatio: true },
    { name: "writes acknowledged in the window (API: pod creates/updates; etcd: puts)", get: (r) => r.watch?.puts, digits: 0 },
    { name: "writes/s achieved", get: (r) => r.watch?.putRate, digits: 0 },
    { name: "write errors", get: (r) => r.watch?.putErrors, digits: 0 },
    ...latencyRows("write latency", (r) => r.watch?.putLatencyMs, ["p50", "p99"]),
    { name: "delivered events", get: (r) => r.requests, digits: 0 },
    { name: "delivered events/s (higher is better)", get: (r) => r.throughput, digits: 0 },
    { name: "events/s if every write reached every watch at once", get: (r) => r.watch?.expectedEventsPerSecond, digits: 0 },
    {
      name: "delivered, % of that",
      get: (r) => (r.watch && r.watch.expectedEventsPerSecond > 0 ? (r.watch.eventsPerSecond / r.watch.expectedEventsPerSecond) * 100 : undefined),
      digits: 0,
    },
    ...latencyRows("write-to-delivery latency", (r) => r.latencyMs, ["p50", "p90", "p99", "p999"]),
    { name: "write-to-delivery latency max, ms", get: (r) => r.latencyMs.max, digits: 2 },
    { name: "bytes per event received (API: one JSON line)", get: rpOnly((r) => r.api?.watch?.bytesPerEvent), digits: 0 },
    { name: "events per watch response (etcd batches)", get: (r) => (r.watch && r.watch.responses > 0 ? r.watch.deliveredEvents / r.watch.responses : undefined), digits: 2 },
    { name: "watch errors (all kinds)", get: (r) => r.watch?.watchErrors, digits: 0 },
    { name: "ERROR events (e.g. 410: closed as too slow)", get: rpOnly((r) => r.api?.watch?.errors.errorEvents), digits: 0 },
    { name: "streams ended or broken during the run", get: rpOnly((r) => r.api?.watch?.errors.streamsEnded), digits: 0 },
    { name: "events out of order (resourceVersion not increasing)", get: rpOnly((r) => r.api?.watch?.errors.outOfOrder), digits: 0 },
    { name: "malformed or unexpected events", get: rpOnly((r) => (r.api?.watch ? r.api.watch.errors.malformed + r.api.watch.errors.unexpected : undefined)), digits: 0 },
    { name: "writes still unanswered when the drain ended", get: (r) => r.watch?.putsUnanswered, digits: 0 },
    { name: "watches that got every write, after the drain", get: (r) => r.watch?.completion?.completeWatchers, digits: 0 },
    { name: "events missing after the drain", get: (r) => r.watch?.completion?.missingEvents, digits: 0 },
    { name: "watches still behind the last write when the drain ended", get: rpOnly((r) => r.api?.watch?.behindWatchers), digits: 0 },
    { name: "watches that reached it with events missing (gaps)", get: rpOnly((r) => r.api?.watch?.gapWatchers), digits: 0 },
    { name: "drain: time for the last writes and every watch to catch up, s", get: (r) => r.watch?.completion?.drainSeconds, digits: 2 },
    { name: "servers' RSS before the watches, MB (3 processes)", get: (r) => memberSum(r, (m) => m.beforeMB), digits: 0 },
    { name: "servers' RSS with the watches, MB (3 processes)", get: (r) => memberSum(r, (m) => m.watchersMB), digits: 0 },
    { name: "servers' RSS at the end of the window, MB (3 processes)", get: (r) => memberSum(r, (m) => m.endMB), digits: 0 },
    { name: "largest server's peak RSS, MB", get: (r) => (r.watch ? Math.max(...r.watch.memory.members.map((m) => m.peakMB)) : undefined), digits: 0 },
    { name: "RSS per 1,000 watches, MB (lower is better)", get: (r) => r.watch?.memory.mbPer1000Watchers, digits: 1 },
    cpu[0] as ApiRow,
    { name: "busiest watcher thread, % busy", get: (r) => r.watch?.busiestWatchThreadPercent, digits: 0 },
    ...cpu.slice(1),
  ];
}

export function apiWriteRows(): ApiRow[] {
  return [
    { name: "creates/s asked (fixed rate, open loop)", get: (r) => r.api?.writes?.rate, digits: 0 },
    { name: "creates/s sent", get: (r) => r.api?.writes?.sentPerSecond, digits: 1 },
    { name: "creates acknowledged in the window", get: (r) => r.api?.writes?.acknowledged, digits: 0 },
    { name: "creates/s achieved (higher is better)", get: (r) => r.throughput, digits: 1 },
    { name: "errors", get: (r) => r.errors, digits: 0 },
    { name: "creates still unanswered after the window and a grace of --timeout", get: (r) => r.api?.writes?.unanswered, digits: 0 },
    ...latencyRows("create latency", (r) => r.latencyMs, ["p50", "p90", "p99", "p999"]),
    { name: "create latency max, ms (lower is better)", get: (r) => r.latencyMs.max, digits: 2 },
    { name: "request body, bytes", get: (r) => r.api?.writes?.requestBytes, digits: 0 },
    ...cpu,
  ];
}

export function apiListRows(): ApiRow[] {
  const list = (r: ApiTargetResult, kind: ApiListFigures["kind"]): ApiListFigures | undefined => r.api?.lists?.find((l) => l.kind === kind);
  const kindRows = (kind: ApiListFigures["kind"], label: string, unit: string): ApiRow[] => [
    { name: `${label}: ${unit} answered in the window`, get: (r) => list(r, kind)?.requests, digits: 0 },
    ...latencyRows(`${label}: ${unit.replace(/s$/, "")} latency`, (r) => list(r, kind)?.latencyMs, ["p50", "p90", "p99"]),
    ...(kind === "paged"
      ? [
          { name: `${label}: whole lists (all pages) in the window`, get: (r: ApiTargetResult) => list(r, kind)?.lists, digits: 0 },
          ...latencyRows(`${label}: whole list latency`, (r) => list(r, kind)?.listLatencyMs, ["p50", "p99"]),
        ]
      : []),
    { name: `${label}: bytes per ${unit.replace(/s$/, "")}`, get: (r) => list(r, kind)?.bytesPerRequest, digits: 0 },
    { name: `${label}: objects/s (higher is better)`, get: (r) => list(r, kind)?.objectsPerSecond, digits: 0 },
    { name: `${label}: MB/s received`, get: (r) => list(r, kind)?.megabytesPerSecond, digits: 1 },
    { name: `${label}: errors`, get: (r) => list(r, kind)?.errors, digits: 0 },
    { name: `${label}: lists with a wrong object count`, get: (r) => list(r, kind)?.wrongCounts, digits: 0 },
    { name: `${label}: client CPU, % of one core`, get: (r) => list(r, kind)?.clientCpuPercent, digits: 0 },
    { name: `${label}: server CPU (3 processes), % of one core`, get: (r) => list(r, kind)?.serverCpuPercent, digits: 0 },
    { name: `${label}: other processes' CPU, % of one core`, get: (r) => list(r, kind)?.otherCpuPercent, digits: 0 },
  ];
  return [
    { name: "pods created first", get: (r) => r.api?.preload?.pods, digits: 0 },
    { name: "creating them took, s", get: (r) => r.api?.preload?.seconds, digits: 1 },
    { name: "servers' RSS with them, MB (3 processes)", get: (r) => r.api?.preload?.serverRssMB, digits: 0 },
    ...kindRows("cache", "watch cache (resourceVersion=0, all namespaces)", "lists"),
    ...kindRows("paged", "store, paged", "pages"),
  ];
}
