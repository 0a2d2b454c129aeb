import type { Target } from "./cluster.js";
import type { LatencySummary, OperationResult, TargetResult, WatchResult } from "./results.js";

/** The Markdown tables `npm run bench` prints: one row per metric, one column per target. */

export interface Row<R extends TargetResult = TargetResult> {
  readonly name: string;
  readonly get: (r: R) => number | undefined;
  readonly digits: number;
  /** Context rather than a property of either target (other processes' CPU): no ratio. */
  readonly noRatio?: boolean;
}

function cell(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * One column per target that has a result, and a raftplane ÷ etcd ratio column when both have;
 * `labels` names the columns (default: the target names).
 */
export function formatTable<R extends TargetResult>(
  targets: readonly Target[],
  results: readonly R[],
  rows: readonly Row<R>[],
  labels: Readonly<Partial<Record<Target, string>>> = {},
): string {
  const byTarget = (t: Target): R | undefined => results.find((r) => r.target === t);
  const shown = targets.filter((t) => byTarget(t) !== undefined);
  const both = shown.length === 2;
  const head = `| metric | ${shown.map((t) => labels[t] ?? t).join(" | ")} |${both ? " ratio (raftplane ÷ etcd) |" : ""}`;
  const rule = `| --- | ${shown.map(() => "---:").join(" | ")} |${both ? " ---: |" : ""}`;
  const lines = rows.map((row) => {
    const cells = shown.map((t) => cell(row.get(byTarget(t) as R), row.digits));
    if (!both) return `| ${row.name} | ${cells.join(" | ")} |`;
    const a = row.get(byTarget("raftplane") as R);
    const b = row.get(byTarget("etcd") as R);
    const ratio = row.noRatio || a === undefined || b === undefined || b === 0 || !Number.isFinite(a / b) ? "—" : (a / b).toFixed(2);
    return `| ${row.name} | ${cells.join(" | ")} | ${ratio} |`;
  });
  return [head, rule, ...lines].join("\n");
}

export function latencyRows(what: string, get: (r: TargetResult) => LatencySummary | undefined, which: readonly ("p50" | "p90" | "p99" | "p999")[]): Row[] {
  const names = { p50: "p50", p90: "p90", p99: "p99", p999: "p99.9" } as const;
  return which.map((q) => ({ name: `${what} ${names[q]}, ms (lower is better)`, get: (r) => get(r)?.[q], digits: 2 }));
}

export const cpuRows: Row[] = [
  { name: "client CPU, % of one core", get: (r) => r.clientCpuPercent, digits: 0 },
  { name: "server CPU (3 members), % of one core", get: (r) => r.serverCpuPercent, digits: 0 },
  { name: "other processes' CPU, % of one core", get: (r) => r.otherCpuPercent, digits: 0, noRatio: true },
];

/** put, range, txn. */
export function requestRows(withCompares: boolean): Row[] {
  return [
    { name: "requests", get: (r) => r.requests, digits: 0 },
    { name: "errors", get: (r) => r.errors, digits: 0 },
    ...(withCompares ? [{ name: "failed compares", get: (r: TargetResult) => r.compareFailures, digits: 0 }] : []),
    { name: "throughput, req/s (higher is better)", get: (r) => r.throughput, digits: 0 },
    ...latencyRows("latency", (r) => r.latencyMs, ["p50", "p90", "p99", "p999"]),
    ...cpuRows,
  ];
}

const sum = (w: WatchResult | undefined, get: (m: WatchResult["memory"]["members"][number]) => number): number | undefined =>
  w?.memory.members.reduce((a, m) => a + get(m), 0);

function memoryRows(perWatcher: boolean): Row[] {
  return [
    { name: "members' RSS before the watches, MB (3 members)", get: (r) => sum(r.watch, (m) => m.beforeMB), digits: 0 },
    { name: "members' RSS with the watches, MB (3 members)", get: (r) => sum(r.watch, (m) => m.watchersMB), digits: 0 },
    { name: "members' RSS at the end of the window, MB (3 members)", get: (r) => sum(r.watch, (m) => m.endMB), digits: 0 },
    { name: "largest member's peak RSS, MB", get: (r) => (r.watch ? Math.max(...r.watch.memory.members.map((m) => m.peakMB)) : undefined), digits: 0 },
    ...(perWatcher ? [{ name: "RSS per 1,000 watches, MB (lower is better)", get: (r: TargetResult) => r.watch?.memory.mbPer1000Watchers, digits: 1 }] : []),
  ];
}

export function watchFanoutRows(): Row[] {
  return [
    { name: "watches created", get: (r) => r.watch?.createdWatchers, digits: 0 },
    { name: "time to create all watches, s (lower is better)", get: (r) => r.watch?.createSeconds, digits: 2 },
    { name: "puts acknowledged in the window", get: (r) => r.watch?.puts, digits: 0 },
    { name: "puts/s achieved", get: (r) => r.watch?.putRate, digits: 0 },
    { name: "put errors", get: (r) => r.watch?.putErrors, digits: 0 },
    ...latencyRows("put latency", (r) => r.watch?.putLatencyMs, ["p50", "p99"]),
    { name: "delivered events", get: (r) => r.requests, digits: 0 },
    { name: "delivered events/s (higher is better)", get: (r) => r.throughput, digits: 0 },
    { name: "events/s if every put reached every watch at once", get: (r) => r.watch?.expectedEventsPerSecond, digits: 0 },
    { name: "events per watch response", get: (r) => (r.watch && r.watch.responses > 0 ? r.watch.deliveredEvents / r.watch.responses : undefined), digits: 2 },
    ...latencyRows("put-to-delivery latency", (r) => r.latencyMs, ["p50", "p90", "p99", "p999"]),
    { name: "watch errors", get: (r) => r.watch?.watchErrors, digits: 0 },
    { name: "puts still unanswered when the drain ended", get: (r) => r.watch?.putsUnanswered, digits: 0 },
    { name: "watches that got every put, after the drain", get: (r) => r.watch?.completion?.completeWatchers, digits: 0 },
    { name: "events missing after the drain", get: (r) => r.watch?.completion?.missingEvents, digits: 0 },
    { name: "drain: time for the last puts and every watch to catch up, s", get: (r) => r.watch?.completion?.drainSeconds, digits: 2 },
    ...memoryRows(true),
    ...cpuRows.slice(0, 1),
    { name: "busiest watcher thread, % busy", get: (r) => r.watch?.busiestWatchThreadPercent, digits: 0 },
    ...cpuRows.slice(1),
  ];
}

export const mixedKindLabels: Readonly<Record<string, string>> = {
  update: "update (txn CAS)",
  list: "list (namespace, limit)",
  keepalive: "lease keep-alive",
};

export function mixedRows(kinds: readonly string[]): Row[] {
  const op = (r: TargetResult, kind: string): OperationResult | undefined => r.operations?.find((o) => o.kind === kind);
  return [
    ...kinds.flatMap((kind): Row[] => {
      const label = mixedKindLabels[kind] ?? kind;
      return [
        { name: `${label}: ops/s (higher is better)`, get: (r) => op(r, kind)?.throughput, digits: 0 },
        ...latencyRows(`${label}: latency`, (r) => op(r, kind)?.latencyMs, ["p50", "p99", "p999"]),
        { name: `${label}: errors`, get: (r) => op(r, kind)?.errors, digits: 0 },
        ...(kind === "update" ? [{ name: `${label}: failed compares`, get: (r: TargetResult) => op(r, kind)?.compareFailures, digits: 0 }] : []),
      ];
    }),
    { name: "all operations: ops/s (higher is better)", get: (r) => r.throughput, digits: 0 },
    ...latencyRows("all operations: latency", (r) => r.latencyMs, ["p50", "p99", "p999"]),
    { name: "watch: delivered events/s (higher is better)", get: (r) => r.watch?.eventsPerSecond, digits: 0 },
    { name: "watch: events/s if every update reached its watches at once", get: (r) => r.watch?.expectedEventsPerSecond, digits: 0 },
    ...latencyRows("watch: update-to-delivery latency", (r) => r.watch?.deliveryLatencyMs, ["p50", "p99"]),
    { name: "watch errors", get: (r) => r.watch?.watchErrors, digits: 0 },
    ...memoryRows(false),
    ...cpuRows.slice(0, 1),
    { name: "busiest watcher thread, % busy", get: (r) => r.watch?.busiestWatchThreadPercent, digits: 0 },
    ...cpuRows.slice(1),
  ];
}
