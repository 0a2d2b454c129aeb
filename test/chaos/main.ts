import { parseArgs } from "node:util";
import { renderText } from "./checker/index.js";
import { NemesisKinds } from "./nemesis.js";
import type { NemesisKind } from "./nemesis.js";
import { runChaos } from "./run.js";
import type { ChaosResult } from "./run.js";

const usage = `usage: npm run chaos -- [--nodes 3|5] [--nemesis ${NemesisKinds.join(",")}] [--duration 60s]
                       [--seed N] [--hold 4s] [--quiet 3s] [--clients 10] [--out DIR] [--unsafe-local-reads]
  Runs a raftplane cluster in containers under the chosen faults while clients read, write and
  compare-and-swap, then checks the history (linearizability, watches, durability, convergence).
  --each runs every listed nemesis alone for --duration, one run after another.
  --unsafe-local-reads starts the members with that test-only bug: the checker must report it.
  Exit code: 0 no violation, 1 a violation, 2 bad flags, 3 the run itself failed.`;

class UsageError extends Error {}

function duration(raw: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw);
  if (!m) throw new UsageError(`invalid ${flag} "${raw}": want a duration such as 20s, 1.5m or 500ms`);
  const unit = m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000;
  return Number(m[1]) * unit;
}

function parse(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      nodes: { type: "string", default: "3" },
      nemesis: { type: "string", default: NemesisKinds.join(",") },
      duration: { type: "string", default: "60s" },
      seed: { type: "string", default: String(Date.now() % 100_000) },
      hold: { type: "string", default: "4s" },
      quiet: { type: "string", default: "3s" },
      clients: { type: "string", default: "10" },
      out: { type: "string" },
      each: { type: "boolean", default: false },
      "unsafe-local-reads": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) throw new UsageError("");
  const nodes = Number(values.nodes);
  if (nodes !== 3 && nodes !== 5) throw new UsageError(`--nodes must be 3 or 5, not "${values.nodes}"`);
  const nemeses = values.nemesis.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const n of nemeses) {
    if (!(NemesisKinds as readonly string[]).includes(n)) throw new UsageError(`unknown nemesis "${n}": want some of ${NemesisKinds.join(", ")}`);
  }
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number, not "${values.seed}"`);
  const clients = Number(values.clients);
  if (!Number.isSafeInteger(clients) || clients < 1) throw new UsageError(`--clients must be a positive whole number`);
  return {
    nodes,
    nemeses: nemeses as NemesisKind[],
    durationMs: duration(values.duration, "--duration"),
    holdMs: duration(values.hold, "--hold"),
    quietMs: duration(values.quiet, "--quiet"),
    seed,
    clients,
    each: values.each,
    unsafe: values["unsafe-local-reads"],
    out: values.out ?? `chaos-results/${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}-seed${seed}`,
  };
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function ms(v: number | undefined): string {
  return v === undefined ? "—" : `${Math.round(v)} ms`;
}

function summary(name: string, r: ChaosResult): string {
  const rows: [string, string][] = [
    ["operations ok / failed / unknown", `${r.counts.ok} / ${r.counts.failed} / ${r.counts.unknown}`],
    ["watch events delivered", String(r.watchEvents)],
    ["faults injected", `${r.faults.length}${r.faults.some((f) => f.error) ? ` (${r.faults.filter((f) => f.error).length} could not be)` : ""}`],
    ["leader changes", String(r.leaderChanges)],
    ["longest write unavailability", ms(r.longestWriteGapMs)],
  ];
  const byKind = new Map<string, number[]>();
  for (const rec of r.recoveries) {
    if (rec.ms === undefined) continue;
    const kind = /leader isolated|kill -9 leader|pause leader/.exec(rec.what)?.[0];
    if (kind === undefined) continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), rec.ms]);
  }
  for (const [kind, values] of byKind) {
    const sorted = [...values].sort((a, b) => a - b);
    rows.push([`writes back after ${kind}: p50 / max (n=${sorted.length})`, `${ms(percentile(sorted, 50))} / ${ms(sorted.at(-1))}`]);
  }
  for (const s of r.report.sections) rows.push([`checker: ${s.check}`, `${s.verdict}${s.violations.length > 0 ? ` (${s.violations.length} violations)` : ""}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `\n### chaos: ${name}`,
    "",
    `| ${"".padEnd(width)} | result |`,
    `| ${"-".repeat(width)} | --- |`,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`),
    "",
    `verdict: ${r.report.verdict.toUpperCase()}; ${(r.elapsedMs / 1000).toFixed(0)} s; history and report in ${r.dir}/`,
  ].join("\n");
}

let cmd: ReturnType<typeof parse>;
try {
  cmd = parse(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
  process.stderr.write(`${err.message ? `chaos: ${err.message}\n` : ""}${usage}\n`);
  process.exit(err.message ? 2 : 0);
}

const plans = cmd.each ? cmd.nemeses.map((n) => [n]) : [cmd.nemeses];
let worst = 0;
for (const nemeses of plans) {
  const name = `${cmd.nodes} nodes, nemesis ${nemeses.join(",") || "none"}, seed ${cmd.seed}${cmd.unsafe ? ", --unsafe-local-reads" : ""}`;
  process.stderr.write(`\n== ${name}\n`);
  try {
    const result = await runChaos({
      nodes: cmd.nodes,
      nemeses,
      durationMs: cmd.durationMs,
      seed: cmd.seed,
      holdMs: cmd.holdMs,
      quietMs: cmd.quietMs,
      clients: cmd.clients,
      outDir: plans.length > 1 ? `${cmd.out}/${nemeses.join("-")}` : cmd.out,
      memberFlags: cmd.unsafe ? ["--unsafe-local-reads"] : [],
    });
    process.stdout.write(`${summary(name, result)}\n`);
    if (result.report.verdict === "violation") {
      process.stdout.write(`\n${renderText(result.report).slice(0, 6000)}\n`);
      worst = Math.max(worst, 1);
    }
  } catch (err) {
    process.stderr.write(`chaos: the run failed: ${(err as Error).stack ?? String(err)}\n`);
    worst = 3;
  }
}
process.exit(worst);
