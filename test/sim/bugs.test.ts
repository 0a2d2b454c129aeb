import { test } from "node:test";
import assert from "node:assert/strict";
import { PlantedBug } from "../../internal/raft/index.js";
import type { Invariant } from "./checkers.js";
import { defaultSteps, runSeed } from "./simulator.js";

/** Which checker must catch each planted bug. */
const expected: Record<PlantedBug, readonly Invariant[]> = {
  // A Figure 8 commit is lost when a later leader overwrites it; whichever check sees it first.
  "commit-previous-term": ["leader-completeness", "state-machine-safety"],
  "vote-twice": ["election-safety"],
  "read-without-quorum": ["linearizable-read"],
};

for (const bug of Object.values(PlantedBug)) {
  for (const nodes of [3, 5]) {
    test(`planted bug ${bug} is caught within 200 seeds with ${nodes} nodes`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        const r = runSeed({ seed, nodes, steps: defaultSteps, bugs: [bug] });
        if (r.violation === undefined) continue;
        assert.ok(
          expected[bug].includes(r.violation.invariant),
          `seed ${seed} reported ${r.violation.invariant} (${r.violation.message}), expected one of ${expected[bug].join(", ")}`,
        );
        return;
      }
      assert.fail(`no violation in 200 seeds with ${bug}`);
    });
  }
}
