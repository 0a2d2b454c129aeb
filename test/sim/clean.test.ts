import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultSteps, runSeed } from "./simulator.js";

/** Seeds per cluster size: enough to cover both run styles, small enough for the test suite. */
const seeds = 250;

for (const nodes of [3, 5]) {
  test(`${seeds} clean seeds with ${nodes} nodes show no violation`, () => {
    const failures: string[] = [];
    let elections = 0;
    let acknowledged = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runSeed({ seed, nodes, steps: defaultSteps });
      elections += r.counts["elected"] ?? 0;
      acknowledged += r.proposals.acknowledged;
      if (r.violation) failures.push(`seed ${seed}: ${r.violation.invariant}: ${r.violation.message}`);
    }
    assert.deepEqual(failures, []);
    // Guard against a simulator that passes because it does nothing.
    assert.ok(elections > seeds * 3, `only ${elections} elections in ${seeds} seeds`);
    assert.ok(acknowledged > seeds * 10, `only ${acknowledged} acknowledged proposals in ${seeds} seeds`);
  });
}
