/**
 * How fast the linearizability checker is on chaos-sized histories (not a test):
 *
 *   npx tsc -p tsconfig.json && node dist/test/chaos/checker/bench.js [--ops 20000] [--seed 1]
 *
 * Each row generates a register history (3 keys, 20 clients unless said), checks it, and
 * checks it again with one read made stale, which includes shrinking it to a minimal excerpt.
 */
import { checkLinearizability, generateRegisterHistory, mutateStaleRead } from "./index.js";
import type { RegisterWorkload } from "./index.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} wants a positive number`);
  return value;
}

const ops = flag("ops", 20_000);
const seed = flag("seed", 1);
const shapes: [string, Omit<RegisterWorkload, "seed" | "ops">][] = [
  ["clean, 20 clients", { processes: 20 }],
  ["5% unknown, 2% failed", { processes: 20, unknownRate: 0.05, failedRate: 0.02 }],
  ["20% unknown, no failure reads", { processes: 20, unknownRate: 0.2, failureRead: 0 }],
  ["1 key, 30 clients, cas-heavy", { keys: 1, processes: 30, mix: { read: 1, write: 0, cas: 3 }, unknownRate: 0.05 }],
];

const ms = (t: number): string => `${(performance.now() - t).toFixed(0)} ms`.padStart(8);
process.stdout.write(`${ops} operations per history, seed ${seed}\n`);
process.stdout.write(`${"history".padEnd(32)}${"check".padStart(8)}${"again".padStart(8)}  ${"verdict, steps per key".padEnd(30)}${"stale read".padStart(10)}  excerpt\n`);
for (const [name, shape] of shapes) {
  const history = generateRegisterHistory({ ...shape, seed, ops });
  let t = performance.now();
  const first = checkLinearizability(history);
  const cold = ms(t);
  t = performance.now();
  checkLinearizability(history);
  const warm = ms(t);
  const steps = first.keys.map((k) => k.steps).join("/");
  const mutated = mutateStaleRead(history.slice(0, 2000), seed);
  let stale = "—";
  let excerpt = "";
  if (mutated !== undefined) {
    t = performance.now();
    const bad = checkLinearizability([...mutated.ops, ...history.slice(2000)]);
    stale = ms(t);
    const f = bad.failures[0];
    excerpt = f === undefined ? `verdict ${bad.verdict}!` : `${f.ops.length} ops${f.minimal ? ", minimal" : ""}`;
  }
  process.stdout.write(`${name.padEnd(32)}${cold}${warm}  ${`${first.verdict} ${steps}`.padEnd(30)}${stale.padStart(10)}  ${excerpt}\n`);
}
