import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UsageError, parseSimArgs, replayCommand, runSeeds } from "./cli.js";
import { defaultSteps } from "./simulator.js";

const main = fileURLToPath(new URL("./main.js", import.meta.url));

test("flags parse, with defaults", () => {
  assert.deepEqual(parseSimArgs(["--seeds", "20"]), { seeds: 20, firstSeed: 1, nodes: 3, steps: defaultSteps, bugs: [] });
  assert.deepEqual(parseSimArgs(["--seeds=2", "--seed", "7", "--nodes", "5", "--steps", "100", "--bug", "vote-twice"]), {
    seeds: 2,
    firstSeed: 7,
    nodes: 5,
    steps: 100,
    bugs: ["vote-twice"],
  });
});

test("bad flags are usage errors that say what is wrong", () => {
  const bad: [string[], RegExp][] = [
    [[], /--seeds is required/],
    [["--seeds", "0"], /--seeds must be an integer of at least 1/],
    [["--seeds", "3", "--nodes", "4"], /--nodes must be 3 or 5/],
    [["--seeds", "3", "--bug", "nope"], /unknown --bug "nope"/],
    [["--seeds", "3", "--frobnicate"], /frobnicate/],
  ];
  for (const [argv, message] of bad) assert.throws(() => parseSimArgs(argv), (e) => e instanceof UsageError && message.test(e.message));
});

test("a failing seed is reported with its replay command and trace, then the summary line", () => {
  const cmd = parseSimArgs(["--seeds", "40", "--steps", "4000", "--bug", "vote-twice"]);
  const lines: string[] = [];
  const violations = runSeeds(cmd, { out: (l) => lines.push(l), progress: () => {}, progressEvery: 1e9 });
  assert.ok(violations > 0, "vote-twice is caught in 40 seeds");
  const report = lines.join("\n");
  assert.match(report, /seed \d+: election-safety violated at step \d+/);
  assert.match(report, /replay: npm run sim -- --seed \d+ --seeds 1 --nodes 3 --steps 4000 --bug vote-twice/);
  assert.match(report, /last 30 events/);
  assert.equal(lines[lines.length - 1], `seeds: 40, violations: ${violations}`);
  assert.equal(replayCommand(parseSimArgs(["--seeds", "9"]), 5), "npm run sim -- --seed 5 --seeds 1 --nodes 3");
});

test("the command exits 0 on a clean run and 2 on bad flags", () => {
  const ok = spawnSync(process.execPath, [main, "--seeds", "2", "--steps", "300"], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split("\n").pop(), "seeds: 2, violations: 0");
  const bad = spawnSync(process.execPath, [main, "--seeds", "2", "--nodes", "7"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--nodes must be 3 or 5/);
});
