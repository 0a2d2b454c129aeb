import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TargetResult } from "./main.js";

/**
 * Turns the JSON files `npm run bench` leaves in bench/results into a chart
 * (bench/results/summary.svg) and a Markdown summary (bench/results/README.md). The SVG is
 * written by hand so the repository needs no chart library for one picture.
 */

interface RunFile {
  readonly file: string;
  readonly date: string;
  readonly variant: string;
  readonly flags: { readonly workload: string; readonly clients: number; readonly conns: number; readonly durationMs: number; readonly consistency?: string };
  readonly machine: { readonly cores: number; readonly cpuModel: string; readonly node: string; readonly etcd: string; readonly raftplaneCommit: string; readonly raftplaneTreeDirty: boolean; readonly loadAverageAtStart: number[] };
  readonly results: TargetResult[];
  readonly failures: { readonly target: string; readonly error: string }[];
}

const dir = fileURLToPath(new URL("../../../bench/results/", import.meta.url));
const runs: RunFile[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as Omit<RunFile, "file">) }));
if (runs.length === 0) {
  console.error(`bench:report: no results in ${dir}; run \`npm run bench -- put\` first`);
  process.exit(2);
}

const colors: Record<string, string> = { raftplane: "#2b6cb0", etcd: "#dd6b20" };
const label = (r: RunFile): string => `${r.flags.workload}${r.flags.consistency ? ` (${r.flags.consistency === "l" ? "linearizable" : "serializable"})` : ""}, ${r.flags.clients} client${r.flags.clients === 1 ? "" : "s"} / ${r.flags.conns} conn${r.flags.conns === 1 ? "" : "s"}`;
const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function svg(): string {
  const width = 1100;
  const labelWidth = 300;
  const panelWidth = (width - labelWidth - 60) / 2;
  const rowHeight = 18;
  const blockHeight = 2 * rowHeight + 16;
  const top = 90;
  const height = top + runs.length * blockHeight + 60;
  const maxThroughput = Math.max(1, ...runs.flatMap((r) => r.results.map((t) => t.throughput)));
  // Latencies span 0.1 ms to hundreds of ms across workloads: a log axis keeps both readable.
  const minMs = 0.1;
  const maxMs = Math.max(1, ...runs.flatMap((r) => r.results.map((t) => t.latencyMs.p999)));
  // The rightmost bar leaves room for its four figures.
  const logX = (ms: number): number => (Math.log10(Math.max(ms, minMs) / minMs) / Math.log10(maxMs / minMs)) * (panelWidth - 170);
  const x1 = labelWidth;
  const x2 = labelWidth + panelWidth + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">raftplane vs etcd ${escape(runs[0]?.machine.etcd.replace("etcd Version: ", "") ?? "")}: 3-member clusters on loopback</text>`,
    `<text x="${x1}" y="${top - 40}" font-weight="bold">Throughput, req/s (higher is better)</text>`,
    `<text x="${x2}" y="${top - 40}" font-weight="bold">Latency, ms, log scale (lower is better)</text>`,
    `<text x="${x2}" y="${top - 26}" fill="#666">bar to p50, marks at p90, p99, p99.9; figures p50 / p90 / p99 / p99.9</text>`,
  ];
  for (const tick of [0.1, 1, 10, 100, 1000].filter((t) => t <= maxMs * 1.01)) {
    const x = x2 + logX(tick);
    out.push(`<line x1="${x}" y1="${top - 12}" x2="${x}" y2="${top + runs.length * blockHeight}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${top - 4}" text-anchor="middle" fill="#666">${tick}</text>`);
  }
  runs.forEach((run, i) => {
    const y0 = top + i * blockHeight;
    out.push(`<text x="10" y="${y0 + rowHeight + 2}">${escape(label(run))}</text>`);
    out.push(`<text x="10" y="${y0 + 2 * rowHeight}" fill="#666">${escape(run.date.slice(0, 10))}, ${run.flags.durationMs / 1000}s</text>`);
    run.results.forEach((t, j) => {
      const y = y0 + j * rowHeight;
      const color = colors[t.target] ?? "#555";
      const w = (t.throughput / maxThroughput) * (panelWidth - 110);
      out.push(`<rect x="${x1}" y="${y}" width="${w}" height="${rowHeight - 4}" fill="${color}"/>`);
      out.push(`<text x="${x1 + w + 4}" y="${y + rowHeight - 7}">${t.target} ${fmt(t.throughput)}</text>`);
      const l = t.latencyMs;
      out.push(`<rect x="${x2}" y="${y}" width="${logX(l.p50)}" height="${rowHeight - 4}" fill="${color}"/>`);
      out.push(`<line x1="${x2 + logX(l.p50)}" y1="${y + (rowHeight - 4) / 2}" x2="${x2 + logX(l.p999)}" y2="${y + (rowHeight - 4) / 2}" stroke="${color}"/>`);
      for (const p of [l.p90, l.p99, l.p999]) out.push(`<rect x="${x2 + logX(p) - 2}" y="${y + 2}" width="4" height="${rowHeight - 8}" fill="${color}"/>`);
      out.push(`<text x="${x2 + logX(l.p999) + 6}" y="${y + rowHeight - 7}">${fmt(l.p50, 1)} / ${fmt(l.p90, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.p999, 1)}</text>`);
    });
  });
  const m = runs[runs.length - 1]?.machine;
  if (m) out.push(`<text x="10" y="${height - 20}" fill="#666">${escape(`${m.cores} × ${m.cpuModel}, node ${m.node}, ${m.etcd}; client, 3 raftplane or 3 etcd members on the same machine`)}</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function markdown(): string {
  const lines = [
    "# KV benchmark results: raftplane vs etcd",
    "",
    "Generated by `npm run bench:report` from the JSON files here (one per `npm run bench` run); do not edit by hand.",
    "Each run starts a 3-member cluster of each target on loopback with the same flags and drives it with the same",
    "client (bench/kv). Ratios are raftplane ÷ etcd: above 1 is better for throughput, worse for latency.",
    "",
    "![summary](summary.svg)",
    "",
    "| run | target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | client CPU % | server CPU % | other CPU % | req/s ratio | p99 ratio |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of runs) {
    const rp = run.results.find((t) => t.target === "raftplane");
    const etcd = run.results.find((t) => t.target === "etcd");
    for (const t of run.results) {
      const ratios = t.target === "raftplane" && rp && etcd ? `${(rp.throughput / etcd.throughput).toFixed(2)} | ${(rp.latencyMs.p99 / etcd.latencyMs.p99).toFixed(2)}` : " | ";
      lines.push(`| ${label(run)} | ${t.target} | ${fmt(t.throughput)} | ${fmt(t.latencyMs.p50, 2)} | ${fmt(t.latencyMs.p90, 2)} | ${fmt(t.latencyMs.p99, 2)} | ${fmt(t.latencyMs.p999, 2)} | ${t.errors} | ${fmt(t.clientCpuPercent)} | ${fmt(t.serverCpuPercent)} | ${fmt(t.otherCpuPercent ?? Number.NaN)} | ${ratios} |`);
    }
    for (const f of run.failures) lines.push(`| ${label(run)} | ${f.target} | failed: ${escape(f.error)} | | | | | | | | | | |`);
  }
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
