import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LatencySummary, TargetResult } from "./results.js";
import { mixedKindLabels } from "./table.js";
import type { Workload } from "./workloads.js";
import { Workloads } from "./workloads.js";

/**
 * Turns the JSON files `npm run bench` leaves in bench/results into a chart
 * (bench/results/summary.svg) and a Markdown summary (bench/results/README.md). The SVG is
 * written by hand so the repository needs no chart library for one picture.
 */

interface RunFile {
  readonly file: string;
  readonly date: string;
  readonly variant: string;
  readonly flags: {
    readonly workload: string;
    readonly clients?: number;
    readonly conns: number;
    readonly durationMs: number;
    readonly consistency?: string;
    readonly watchers?: number;
    readonly streams?: number;
    readonly rate?: number;
    readonly writers?: number;
    readonly pods?: number;
  };
  readonly machine: { readonly cores: number; readonly cpuModel: string; readonly node: string; readonly etcd: string; readonly raftplaneCommit: string; readonly raftplaneTreeDirty: boolean; readonly loadAverageAtStart: number[] };
  readonly results: (TargetResult & { readonly api?: { readonly lists?: ApiListFigures[] } })[];
  readonly failures: { readonly target: string; readonly error: string }[];
  readonly memberExits?: { readonly target: string; readonly member: string; readonly how: string }[];
}

/** `npm run bench:api`'s workloads (bench/api), reported after the KV ones. */
const ApiWorkloads = ["api-watch-fanout", "api-write", "api-list"];

/** What an api-list result adds (bench/api/results.ts): each kind of list apart. */
interface ApiListFigures {
  readonly kind: string;
  readonly requests: number;
  readonly errors: number;
  readonly wrongCounts: number;
  readonly latencyMs: LatencySummary;
  readonly lists: number;
  readonly listLatencyMs: LatencySummary;
  readonly objectsPerSecond: number;
  readonly bytesPerRequest: number;
  readonly megabytesPerSecond: number;
  readonly clientCpuPercent: number;
  readonly serverCpuPercent: number;
  readonly otherCpuPercent: number;
}

const dir = fileURLToPath(new URL("../../../bench/results/", import.meta.url));
// Grouped by workload in the harnesses' order (KV, then API), then by file name (date, then variant).
const workloadRank = (w: string): number => (ApiWorkloads.includes(w) ? Workloads.length + ApiWorkloads.indexOf(w) : Workloads.indexOf(w as Workload));
const runs: RunFile[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as Omit<RunFile, "file">) }))
  .sort((a, b) => workloadRank(a.flags.workload) - workloadRank(b.flags.workload));
if (runs.length === 0) {
  console.error(`bench:report: no results in ${dir}; run \`npm run bench -- put\` first`);
  process.exit(2);
}

const colors: Record<string, string> = { raftplane: "#2b6cb0", etcd: "#dd6b20" };
const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? "—" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 || !Number.isFinite(a / b) ? "—" : (a / b).toFixed(2));

/** A run's name in two parts: the workload, and what was varied. */
function labelParts(r: RunFile): [string, string] {
  const f = r.flags;
  switch (f.workload) {
    case "watch-fanout": {
      const speed = (f.rate ?? 0) > 0 ? `${fmt(f.rate)} puts/s` : `full speed${(f.writers ?? 1) > 1 ? ` (${f.writers} writers)` : ""}`;
      return ["watch-fanout", `${fmt(f.watchers)} watches / ${f.streams} streams, ${speed}`];
    }
    case "mixed":
      return ["mixed", `${f.clients} clients / ${f.conns} conns, ${f.watchers} watches`];
    case "api-watch-fanout":
      return ["api-watch-fanout", `${fmt(f.watchers)} HTTP watches, ${fmt(f.rate)} writes/s`];
    case "api-write":
      return ["api-write", `pod creates at ${fmt(f.rate)}/s`];
    case "api-list":
      return ["api-list", `${fmt(f.pods)} pods`];
    default:
      return [
        `${f.workload}${f.consistency ? ` (${f.consistency === "l" ? "linearizable" : "serializable"})` : ""}`,
        `${f.clients} client${f.clients === 1 ? "" : "s"} / ${f.conns} conn${f.conns === 1 ? "" : "s"}`,
      ];
  }
}

const label = (r: RunFile): string => labelParts(r).join(", ");

const units: Readonly<Record<string, string>> = { "watch-fanout": "events/s", mixed: "ops/s", "api-watch-fanout": "events/s", "api-write": "creates/s", "api-list": "objects/s" };
const unitOf = (workload: string): string => units[workload] ?? "req/s";

/** One bar pair of the chart: a target's throughput and latency, or one operation's in a mixed run. */
interface Series {
  readonly name: string;
  readonly target: string;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
}

function seriesOf(run: RunFile): Series[] {
  return run.results.flatMap((t): Series[] => {
    const total = { name: t.target, target: t.target, throughput: t.throughput, latencyMs: t.latencyMs };
    if (run.flags.workload !== "mixed" && run.flags.workload !== "api-list") return [total];
    const operations = (t.operations ?? []).map((op) => ({ name: `${t.target} ${op.kind}`, target: t.target, throughput: op.throughput, latencyMs: op.latencyMs }));
    // api-list's two ways of listing are measured one after the other: there is no mix to total
    return run.flags.workload === "api-list" ? operations : [{ ...total, name: `${t.target} all` }, ...operations];
  });
}

function svg(): string {
  const width = 1100;
  const labelWidth = 300;
  const panelWidth = (width - labelWidth - 60) / 2;
  const rowHeight = 18;
  const top = 104;
  const blocks = runs.map((run) => ({ run, series: seriesOf(run) }));
  const blockHeight = (n: number): number => Math.max(3, n) * rowHeight + 12;
  const plotHeight = blocks.reduce((a, b) => a + blockHeight(b.series.length), 0);
  const height = top + plotHeight + 60;
  // Bars are scaled within a workload: delivered watch events and requests differ by 10×.
  const maxThroughput = new Map<string, number>();
  for (const b of blocks) {
    const w = b.run.flags.workload;
    maxThroughput.set(w, Math.max(maxThroughput.get(w) ?? 1, ...b.series.map((s) => s.throughput)));
  }
  // Latencies span 0.1 ms to hundreds of ms across workloads: a log axis keeps both readable.
  const minMs = 0.1;
  const maxMs = Math.max(1, ...blocks.flatMap((b) => b.series.map((s) => s.latencyMs.p999)));
  // The rightmost bar leaves room for its four figures.
  const logX = (ms: number): number => (Math.log10(Math.max(ms, minMs) / minMs) / Math.log10(maxMs / minMs)) * (panelWidth - 240);
  const x1 = labelWidth;
  const x2 = labelWidth + panelWidth + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">raftplane vs etcd ${escape(runs[0]?.machine.etcd.replace("etcd Version: ", "") ?? "")}: 3-member clusters on loopback</text>`,
    `<text x="${x1}" y="${top - 54}" font-weight="bold">Throughput (higher is better)</text>`,
    `<text x="${x1}" y="${top - 40}" fill="#666">req/s; watch-fanout: delivered events/s; mixed: ops/s</text>`,
    `<text x="${x1}" y="${top - 26}" fill="#666">bars scaled within each workload</text>`,
    `<text x="${x2}" y="${top - 54}" font-weight="bold">Latency, ms, log scale (lower is better)</text>`,
    `<text x="${x2}" y="${top - 40}" fill="#666">watch-fanout: put-to-delivery; bar to p50, marks at p90, p99, p99.9</text>`,
    `<text x="${x2}" y="${top - 26}" fill="#666">figures p50 / p90 / p99 / p99.9</text>`,
  ];
  for (const tick of [0.1, 1, 10, 100, 1000, 10000].filter((t) => t <= maxMs * 1.01)) {
    const x = x2 + logX(tick);
    out.push(`<line x1="${x}" y1="${top - 12}" x2="${x}" y2="${top + plotHeight}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${top - 4}" text-anchor="middle" fill="#666">${tick}</text>`);
  }
  let y0 = top;
  for (const { run, series } of blocks) {
    const [workload, detail] = labelParts(run);
    out.push(`<text x="10" y="${y0 + 12}" font-weight="bold">${escape(workload)}</text>`);
    out.push(`<text x="10" y="${y0 + 26}">${escape(detail)}</text>`);
    out.push(`<text x="10" y="${y0 + 40}" fill="#666">${escape(run.date.slice(0, 10))}, ${run.flags.durationMs / 1000}s</text>`);
    const unit = unitOf(run.flags.workload);
    const scale = maxThroughput.get(run.flags.workload) ?? 1;
    series.forEach((s, j) => {
      const y = y0 + j * rowHeight;
      const color = colors[s.target] ?? "#555";
      const w = (s.throughput / scale) * (panelWidth - 150);
      out.push(`<rect x="${x1}" y="${y}" width="${w}" height="${rowHeight - 4}" fill="${color}"/>`);
      out.push(`<text x="${x1 + w + 4}" y="${y + rowHeight - 7}">${escape(s.name)} ${fmt(s.throughput)} ${unit}</text>`);
      const l = s.latencyMs;
      out.push(`<rect x="${x2}" y="${y}" width="${logX(l.p50)}" height="${rowHeight - 4}" fill="${color}"/>`);
      out.push(`<line x1="${x2 + logX(l.p50)}" y1="${y + (rowHeight - 4) / 2}" x2="${x2 + logX(l.p999)}" y2="${y + (rowHeight - 4) / 2}" stroke="${color}"/>`);
      for (const p of [l.p90, l.p99, l.p999]) out.push(`<rect x="${x2 + logX(p) - 2}" y="${y + 2}" width="4" height="${rowHeight - 8}" fill="${color}"/>`);
      out.push(`<text x="${x2 + logX(l.p999) + 6}" y="${y + rowHeight - 7}">${fmt(l.p50, 1)} / ${fmt(l.p90, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.p999, 1)}</text>`);
    });
    y0 += blockHeight(series.length);
  }
  const m = runs[runs.length - 1]?.machine;
  if (m) out.push(`<text x="10" y="${height - 20}" fill="#666">${escape(`${m.cores} × ${m.cpuModel}, node ${m.node}, ${m.etcd}; client, 3 raftplane or 3 etcd members on the same machine`)}</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

const pair = (run: RunFile): { rp: TargetResult | undefined; etcd: TargetResult | undefined } => ({
  rp: run.results.find((t) => t.target === "raftplane"),
  etcd: run.results.find((t) => t.target === "etcd"),
});

function failureRows(run: RunFile, columns: number): string[] {
  const blanks = " |".repeat(columns - 3);
  return [
    ...run.failures.map((f) => `| ${label(run)} | ${f.target} | failed: ${escape(f.error)} |${blanks}`),
    ...(run.memberExits ?? []).map((e) => `| ${label(run)} | ${e.target} | member ${e.member} ${escape(e.how)} during the run |${blanks}`),
  ];
}

function requestTable(selected: readonly RunFile[]): string[] {
  const lines = [
    "| run | target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | client CPU % | server CPU % | other CPU % | req/s ratio | p99 ratio |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of selected) {
    const { rp, etcd } = pair(run);
    for (const t of run.results) {
      const ratios = t.target === "raftplane" && rp && etcd ? `${ratio(rp.throughput, etcd.throughput)} | ${ratio(rp.latencyMs.p99, etcd.latencyMs.p99)}` : " | ";
      lines.push(`| ${label(run)} | ${t.target} | ${fmt(t.throughput)} | ${fmt(t.latencyMs.p50, 2)} | ${fmt(t.latencyMs.p90, 2)} | ${fmt(t.latencyMs.p99, 2)} | ${fmt(t.latencyMs.p999, 2)} | ${t.errors} | ${fmt(t.clientCpuPercent)} | ${fmt(t.serverCpuPercent)} | ${fmt(t.otherCpuPercent)} | ${ratios} |`);
    }
    lines.push(...failureRows(run, 13));
  }
  return lines;
}

function watchFanoutTable(selected: readonly RunFile[]): string[] {
  const lines = [
    "| run | target | puts/s | delivered events/s | of expected | delivery p50 ms | p99 ms | p99.9 ms | create all, s | complete watches | MB per 1,000 watches | peak member RSS MB | errors | client CPU % | busiest watcher thread % | server CPU % | other CPU % | events/s ratio | p99 ratio |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of selected) {
    const { rp, etcd } = pair(run);
    for (const t of run.results) {
      const w = t.watch;
      const l = t.latencyMs;
      const complete = w?.completion ? `${fmt(w.completion.completeWatchers)} of ${fmt(w.watchers)}${w.completion.drained ? "" : " (drain timed out)"}` : "—";
      const peak = w ? Math.max(...w.memory.members.map((m) => m.peakMB)) : undefined;
      const ratios = t.target === "raftplane" && rp && etcd ? `${ratio(rp.throughput, etcd.throughput)} | ${ratio(rp.latencyMs.p99, etcd.latencyMs.p99)}` : " | ";
      const ofExpected = w && w.expectedEventsPerSecond > 0 ? `${fmt((w.eventsPerSecond / w.expectedEventsPerSecond) * 100)} %` : "—";
      lines.push(
        `| ${label(run)} | ${t.target} | ${fmt(w?.putRate)} | ${fmt(t.throughput)} | ${ofExpected} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} | ${fmt(l.p999, 2)} | ${fmt(w?.createSeconds, 2)} | ${complete} | ${fmt(w?.memory.mbPer1000Watchers, 1)} | ${fmt(peak)} | ${t.errors} | ${fmt(t.clientCpuPercent)} | ${fmt(w?.busiestWatchThreadPercent)} | ${fmt(t.serverCpuPercent)} | ${fmt(t.otherCpuPercent)} | ${ratios} |`,
      );
    }
    lines.push(...failureRows(run, 19));
  }
  return lines;
}

function mixedTable(selected: readonly RunFile[]): string[] {
  const lines = [
    "| run | target | operation | ops/s | p50 ms | p99 ms | p99.9 ms | errors | client CPU % | server CPU % | other CPU % | ops/s ratio | p99 ratio |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of selected) {
    const { rp, etcd } = pair(run);
    for (const t of run.results) {
      const row = (operation: string, rate: number | undefined, l: LatencySummary | undefined, errors: number | undefined, cpu: boolean, ratios: string): string =>
        `| ${label(run)} | ${t.target} | ${operation} | ${fmt(rate)} | ${fmt(l?.p50, 2)} | ${fmt(l?.p99, 2)} | ${fmt(l?.p999, 2)} | ${fmt(errors)} | ${cpu ? `${fmt(t.clientCpuPercent)} | ${fmt(t.serverCpuPercent)} | ${fmt(t.otherCpuPercent)}` : " |  | "} | ${ratios} |`;
      const mine = t.target === "raftplane" && rp && etcd;
      for (const op of t.operations ?? []) {
        const other = etcd?.operations?.find((o) => o.kind === op.kind);
        lines.push(row(mixedKindLabels[op.kind] ?? op.kind, op.throughput, op.latencyMs, op.errors, false, mine ? `${ratio(op.throughput, other?.throughput)} | ${ratio(op.latencyMs.p99, other?.latencyMs.p99)}` : " | "));
      }
      lines.push(row("all operations", t.throughput, t.latencyMs, t.errors - (t.watch?.watchErrors ?? 0), true, mine ? `${ratio(rp.throughput, etcd.throughput)} | ${ratio(rp.latencyMs.p99, etcd.latencyMs.p99)}` : " | "));
      const w = t.watch;
      if (w) {
        lines.push(
          row(`watch events delivered (${w.watchers} watches), events/s; update-to-delivery latency`, w.eventsPerSecond, w.deliveryLatencyMs, w.watchErrors, false, mine ? `${ratio(w.eventsPerSecond, etcd.watch?.eventsPerSecond)} | ${ratio(w.deliveryLatencyMs.p99, etcd.watch?.deliveryLatencyMs.p99)}` : " | "),
        );
      }
    }
    lines.push(...failureRows(run, 13));
  }
  return lines;
}

function apiListTable(selected: readonly RunFile[]): string[] {
  const lines = [
    "| run | list | requests | p50 ms | p99 ms | whole lists | whole list p50 ms | whole list p99 ms | bytes per request | objects/s | MB/s | errors | client CPU % | server CPU % | other CPU % |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const names: Readonly<Record<string, string>> = { cache: "watch cache (resourceVersion=0)", paged: "store, paged (limit)" };
  for (const run of selected) {
    for (const t of run.results) {
      for (const l of t.api?.lists ?? []) {
        lines.push(
          `| ${label(run)} | ${names[l.kind] ?? l.kind} | ${fmt(l.requests)} | ${fmt(l.latencyMs.p50, 2)} | ${fmt(l.latencyMs.p99, 2)} | ${fmt(l.lists)} | ${fmt(l.listLatencyMs.p50, 2)} | ${fmt(l.listLatencyMs.p99, 2)} | ${fmt(l.bytesPerRequest)} | ${fmt(l.objectsPerSecond)} | ${fmt(l.megabytesPerSecond, 1)} | ${l.errors + l.wrongCounts} | ${fmt(l.clientCpuPercent)} | ${fmt(l.serverCpuPercent)} | ${fmt(l.otherCpuPercent)} |`,
        );
      }
    }
    lines.push(...failureRows(run, 15));
  }
  return lines;
}

function markdown(): string {
  const requests = runs.filter((r) => !["watch-fanout", "mixed", ...ApiWorkloads].includes(r.flags.workload));
  const fanout = runs.filter((r) => r.flags.workload === "watch-fanout");
  const mixed = runs.filter((r) => r.flags.workload === "mixed");
  const apiFanout = runs.filter((r) => r.flags.workload === "api-watch-fanout");
  const apiWrite = runs.filter((r) => r.flags.workload === "api-write");
  const apiList = runs.filter((r) => r.flags.workload === "api-list");
  const lines = [
    "# Benchmark results: raftplane's KV vs etcd, and its API server",
    "",
    "Generated by `npm run bench:report` from the JSON files here (one per `npm run bench` or `npm run bench:api` run); do not edit by hand.",
    "Each run starts a 3-member cluster of each target on loopback with the same flags and drives it with the same",
    "client (bench/kv). Ratios are raftplane ÷ etcd: above 1 is better for throughput, worse for latency.",
    "",
    "![summary](summary.svg)",
  ];
  if (requests.length > 0) lines.push("", "## put, range, txn", "", ...requestTable(requests));
  if (fanout.length > 0) {
    lines.push(
      "",
      "## watch-fanout",
      "",
      "Delivered events/s to all watches, and put-to-delivery latency (from the writer's send to the watcher's receipt).",
      "\"of expected\" is delivered ÷ (puts/s × watches): under 100 % means the watches fell behind the writer. \"complete",
      "watches\" had every acknowledged put once the writer stopped and the drain ended. MB per 1,000 watches is the growth",
      "of the three members' RSS while the watches were created.",
      "",
      ...watchFanoutTable(fanout),
    );
  }
  if (mixed.length > 0) lines.push("", "## mixed", "", "Each operation type of the mix apart, all of them together, and the watches' delivered events.", "", ...mixedTable(mixed));
  if (apiFanout.length > 0) {
    lines.push(
      "",
      "## API server: api-watch-fanout",
      "",
      "`npm run bench:api`: HTTP watches on one namespace's pods over three `raftplane server` replicas, a writer creating and",
      "updating pods through the API at a fixed rate; \"etcd\" is kv's watch-fanout against etcd with the same watches and rate.",
      "puts/s are the writes acknowledged per second; \"complete watches\" had every acknowledged write once the drain ended.",
      "",
      ...watchFanoutTable(apiFanout),
    );
  }
  if (apiWrite.length > 0) lines.push("", "## API server: api-write", "", "Pod creates through the API at a fixed rate (req/s: creates acknowledged per second).", "", ...requestTable(apiWrite));
  if (apiList.length > 0) lines.push("", "## API server: api-list", "", "Lists of every pod from the watch cache, and paged lists of one namespace from the store.", "", ...apiListTable(apiList));
  lines.push("", "CPU figures are % of one core over the measured window; the client and all three members share the machine.", "", "Runs:", "");
  for (const run of runs) {
    const m = run.machine;
    lines.push(`- \`${run.file}\`: ${run.date}, ${m.cores} × ${m.cpuModel}, node ${m.node}, ${m.etcd}, raftplane ${m.raftplaneCommit}${m.raftplaneTreeDirty ? " (uncommitted changes)" : ""}, load average at start ${m.loadAverageAtStart.join(" ")}`);
  }
  // Observations need a person's judgement, so they live in a hand-written file kept beside.
  if (existsSync(`${dir}notes.md`)) lines.push("", readFileSync(`${dir}notes.md`, "utf8").trimEnd());
  return `${lines.join("\n")}\n`;
}

writeFileSync(`${dir}summary.svg`, svg());
writeFileSync(`${dir}README.md`, markdown());
console.log(`wrote ${dir}summary.svg and ${dir}README.md from ${runs.length} result file(s)`);
