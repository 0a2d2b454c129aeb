import { test } from "node:test";
import assert from "node:assert/strict";
import { runSeed } from "./simulator.js";

test("the same seed gives the same run, event for event", () => {
  for (const [seed, nodes] of [[7, 3], [11, 5]] as const) {
    const options = { seed, nodes, steps: 3000, traceLength: Number.MAX_SAFE_INTEGER };
    const a = runSeed(options);
    const b = runSeed(options);
    assert.ok(a.trace.length > 1000, "the whole run is traced");
    assert.deepEqual(a.trace, b.trace);
    assert.deepEqual(a.counts, b.counts);
    assert.deepEqual(a.proposals, b.proposals);
  }
});

test("different seeds give different runs", () => {
  const a = runSeed({ seed: 1, nodes: 3, steps: 500, traceLength: 1000 });
  const b = runSeed({ seed: 2, nodes: 3, steps: 500, traceLength: 1000 });
  assert.notDeepEqual(a.trace, b.trace);
});
