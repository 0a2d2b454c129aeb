/**
 * What every benchmark entry point does around its measurement: read durations and counts from
 * flags, start each target's cluster in turn and keep going when one fails, record the machine,
 * report failures and members that ended, and write the run's JSON under bench/results/.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { ClusterOptions, Target } from "./cluster.js";
import { BenchCluster, etcdBinary } from "./cluster.js";

export interface RunFailure {
  readonly target: Target;
  readonly error: string;
}

/** A member that ended during a run: a crash is a result too, so it is kept with the figures. */
export interface MemberExit {
  readonly target: Target;
  readonly member: string;
  readonly how: string;
  readonly logTail: string;
}

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly etcd: string;
  readonly raftplaneCommit: string;
  readonly raftplaneTreeDirty: boolean;
  readonly loadAverageAtStart: readonly number[];
  readonly dataDir: string;
}

/** Parsers for the command line, duration and count flags that report a bad value through fail (usage, exit 2). */
export function flagParsers(fail: (message: string) => never): {
  /** node:util's parseArgs, with an unknown or malformed flag reported through fail. */
  args<T>(parse: () => T): T;
  duration(flag: string, text: string): number;
  count(flag: string, text: string, min?: number): number;
} {
  return {
    args(parse) {
      try {
        return parse();
      } catch (err) {
        return fail((err as Error).message);
      }
    },
    /** "20s", "500ms", "1m" or bare seconds, in milliseconds. */
    duration(flag, text) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
      if (!m) fail(`--${flag} takes a duration such as 20s or 500ms, not "${text}"`);
      const n = Number(m[1]);
      return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
    },
    count(flag, text, min = 1) {
      const n = Number(text);
      if (!Number.isInteger(n) || n < min) fail(`--${flag} takes an integer of at least ${min}, not "${text}"`);
      return n;
    },
  };
}

function commandOutput(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

/** The machine a run is measured on, recorded with its figures. */
export function machineInfo(withEtcd: boolean): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown CPU",
    node: process.version,
    etcd: withEtcd ? (commandOutput(etcdBinary, ["--version"]).split("\n")[0] ?? "unknown") : "not run",
    raftplaneCommit: commandOutput("git", ["rev-parse", "--short", "HEAD"]),
    // Other engineers edit the server while benches run: say whether the tree was clean. The
    // results a session of runs writes do not count.
    raftplaneTreeDirty: commandOutput("git", ["status", "--porcelain", "--", ".", ":!bench/results"]) !== "",
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    dataDir: "os.tmpdir() (same disk for both targets)",
  };
}

/** The line under a table that says where it was measured. */
export function machineLine(m: Machine): string {
  const etcd = m.etcd === "not run" ? "" : `, ${m.etcd}`;
  return `machine: ${m.cores} × ${m.cpuModel}, node ${m.node}${etcd}, raftplane ${m.raftplaneCommit}${m.raftplaneTreeDirty ? " (uncommitted changes)" : ""}, load average at start ${m.loadAverageAtStart.join(" ")}`;
}

/** Repeated measurements: the machine drifts between runs, so targets alternate and the median counts. */
export interface Rounds<R> {
  /** How many times each target is measured. */
  readonly count: number;
  /** The figure a round is ranked by (throughput, delivered events/s). */
  readonly figure: (result: R) => number;
}

/** Each target's figure in every round it completed, in the order the rounds ran. */
export interface RoundFigures {
  readonly target: Target;
  readonly figures: number[];
}

/**
 * Start each target's 3-member cluster in turn, measure it, and tear it down however the
 * measurement ends. A target that fails is reported and the next one still runs. With several
 * rounds the order alternates (A B, B A, A B, ...) so that a machine getting slower or faster
 * during the run favours neither, and each target's result is its median round by the figure.
 */
export async function runTargets<R>(
  tool: string,
  workload: string,
  targets: readonly Target[],
  setup: (target: Target) => { readonly what: string; readonly options?: ClusterOptions },
  measure: (target: Target, cluster: BenchCluster) => Promise<R>,
  rounds: Rounds<R> = { count: 1, figure: () => 0 },
): Promise<{ results: R[]; failures: RunFailure[]; memberExits: MemberExit[]; rounds: RoundFigures[] }> {
  const perTarget = new Map<Target, R[]>(targets.map((t) => [t, []]));
  const failures: RunFailure[] = [];
  const memberExits: MemberExit[] = [];
  for (let round = 0; round < rounds.count; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const { what, options } = setup(target);
      const of = rounds.count > 1 ? ` (round ${round + 1} of ${rounds.count})` : "";
      process.stderr.write(`${tool} ${workload}: starting a ${what} cluster${of}\n`);
      let cluster: BenchCluster | undefined;
      try {
        cluster = await BenchCluster.start(target, options);
        perTarget.get(target)?.push(await measure(target, cluster));
      } catch (err) {
        process.stderr.write(`\n${tool}: ${target} failed: ${(err as Error).message}\n`);
        failures.push({ target, error: (err as Error).message });
      } finally {
        for (const e of cluster?.exited() ?? []) {
          process.stderr.write(`${tool}: ${target} member ${e.name} ${e.how} during the run; its log ends:\n${e.logTail}\n`);
          memberExits.push({ target, member: e.name, how: e.how, logTail: e.logTail });
        }
        await cluster?.destroy();
      }
    }
  }
  const results: R[] = [];
  const figures: RoundFigures[] = [];
  for (const [target, measured] of perTarget) {
    if (measured.length === 0) continue;
    figures.push({ target, figures: measured.map(rounds.figure) });
    const ranked = [...measured].sort((a, b) => rounds.figure(a) - rounds.figure(b));
    results.push(ranked[Math.floor((ranked.length - 1) / 2)] as R);
  }
  return { results, failures, memberExits, rounds: figures };
}

/** The line under a table of several rounds: every round's figure, and which one the table shows. */
export function roundsLine(rounds: readonly RoundFigures[], unit: string): string {
  const each = rounds.map((r) => `${r.target} ${r.figures.map((f) => Math.round(f).toLocaleString("en-US")).join(" / ")}`);
  return `rounds, ${unit} in the order they ran (targets alternating; the table shows each target's median round): ${each.join("; ")}`;
}

/** First errors, failed targets and members that ended, printed under the table. */
export function printProblems(
  results: readonly { readonly target: Target; readonly firstError?: string | undefined; readonly watch?: { readonly firstWatchError?: string | undefined } | undefined }[],
  failures: readonly RunFailure[],
  memberExits: readonly MemberExit[],
): void {
  for (const r of results) {
    if (r.firstError) console.log(`${r.target} first error: ${r.firstError}`);
    if (r.watch?.firstWatchError && r.watch.firstWatchError !== r.firstError) console.log(`${r.target} first watch error: ${r.watch.firstWatchError}`);
  }
  for (const f of failures) console.log(`${f.target} FAILED: ${f.error}`);
  for (const e of memberExits) console.log(`${e.target} member ${e.member} ${e.how} during the run (log tail on stderr and in the JSON)`);
}

/** bench/results/<date>-<workload>-<variant>.json, from the repository's root. */
export function writeRunFile(workload: string, variant: string, record: object): void {
  const dir = fileURLToPath(new URL("../../../bench/results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = `${dir}${date}-${workload}-${variant}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), variant, ...record }, null, 2)}\n`);
  process.stderr.write(`results written to ${file}\n`);
}
