import { parseArgs } from "node:util";
import { PlantedBug } from "../../internal/raft/index.js";
import type { SimResult } from "./simulator.js";
import { defaultSteps, runSeed } from "./simulator.js";

export interface SimCommand {
  readonly firstSeed: number;
  readonly seeds: number;
  readonly nodes: number;
  readonly steps: number;
  readonly bugs: readonly PlantedBug[];
}

/** A command line the simulator cannot run; main prints it and exits with status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const usage = `usage: npm run sim -- --seeds N [--seed S] [--nodes 3|5] [--steps K] [--bug NAME]...
  --seeds N   how many seeds to run: S, S+1, ..., S+N-1
  --seed S    the first seed (default 1; 0 is allowed)
  --nodes     founding voters, 3 or 5 (default 3)
  --steps K   random actions per seed before the liveness phase (default ${defaultSteps})
  --bug NAME  plant a bug in every node: ${Object.values(PlantedBug).join(", ")}`;

function integer(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} must be an integer of at least ${min}, got "${value}"`);
  }
  return Number(value);
}

export function parseSimArgs(argv: readonly string[]): SimCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        seeds: { type: "string" },
        seed: { type: "string" },
        nodes: { type: "string" },
        steps: { type: "string" },
        bug: { type: "string", multiple: true },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.seeds === undefined) throw new UsageError("--seeds is required");
  const nodes = integer("nodes", v.nodes, 3, 1);
  if (nodes !== 3 && nodes !== 5) throw new UsageError(`--nodes must be 3 or 5, got ${nodes}`);
  const known: readonly string[] = Object.values(PlantedBug);
  const bugs = (v.bug ?? []).map((b) => {
    if (!known.includes(b)) throw new UsageError(`unknown --bug "${b}"; known bugs: ${known.join(", ")}`);
    return b as PlantedBug;
  });
  return {
    seeds: integer("seeds", v.seeds, 1, 1),
    firstSeed: integer("seed", v.seed, 1, 0),
    nodes,
    steps: integer("steps", v.steps, defaultSteps, 1),
    bugs,
  };
}

export function replayCommand(cmd: SimCommand, seed: number): string {
  let s = `npm run sim -- --seed ${seed} --seeds 1 --nodes ${cmd.nodes}`;
  if (cmd.steps !== defaultSteps) s += ` --steps ${cmd.steps}`;
  for (const b of cmd.bugs) s += ` --bug ${b}`;
  return s;
}

export function formatFailure(cmd: SimCommand, r: SimResult): string {
  const v = r.violation;
  if (v === undefined) return "";
  const p = r.profile;
  const k = p.knobs;
  return [
    `seed ${r.seed}: ${v.invariant} violated at step ${v.step}`,
    `  ${v.message.split("\n").join("\n  ")}`,
    `  replay: ${replayCommand(cmd, r.seed)}`,
    `  run: ${p.style} faults; electionTick ${k.electionTick}, maxSizePerMsg ${k.maxSizePerMsg}, maxInflightMsgs ${k.maxInflightMsgs}, maxCommittedSizePerReady ${k.maxCommittedSizePerReady}; jitter ${p.latency.jitter} steps`,
    `  last ${r.trace.length} events (step, event):`,
    ...r.trace.map((l) => `    ${l}`),
    "",
  ].join("\n");
}

export interface Output {
  out(line: string): void;
  progress(line: string, final: boolean): void;
  /** Milliseconds between progress lines. */
  readonly progressEvery: number;
}

/** Run every seed of the command; returns how many had a violation. */
export function runSeeds(cmd: SimCommand, io: Output): number {
  const started = Date.now();
  let lastProgress = started;
  let violations = 0;
  for (let i = 0; i < cmd.seeds; i++) {
    const seed = cmd.firstSeed + i;
    const r = runSeed({ seed, nodes: cmd.nodes, steps: cmd.steps, bugs: cmd.bugs });
    if (r.violation) {
      violations++;
      io.out(formatFailure(cmd, r));
    }
    const now = Date.now();
    if (now - lastProgress >= io.progressEvery) {
      lastProgress = now;
      io.progress(`${i + 1}/${cmd.seeds} seeds, ${violations} violations, ${((now - started) / 1000).toFixed(0)} s`, false);
    }
  }
  const secs = (Date.now() - started) / 1000;
  io.progress(`${cmd.seeds} seeds in ${secs.toFixed(1)} s (${((secs * 1000) / cmd.seeds).toFixed(1)} ms per seed)`, true);
  io.out(`seeds: ${cmd.seeds}, violations: ${violations}`);
  return violations;
}
