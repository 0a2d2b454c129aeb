import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureImage, requireDocker } from "./cluster/index.js";
import { parseHistory } from "./history.js";
import { longestWriteGap, recoveries, runChaos } from "./run.js";
import type { KvOp } from "./history.js";

// Short versions of `npm run chaos`: the whole pipeline (containers, workload, faults, final
// log, hashes, checkers) must pass on raftplane as it is, and must fail on a planted bug.

test("a chaos run with kill and partition faults finds no violation", { timeout: 10 * 60_000 }, async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage();
  const dir = await mkdtemp(join(tmpdir(), "raftplane-chaos-"));
  try {
    const r = await runChaos({ nodes: 3, nemeses: ["kill", "partition"], durationMs: 12_000, holdMs: 3000, quietMs: 2000, seed: 11, outDir: dir, log: () => undefined });
    assert.equal(r.report.verdict, "ok", `checkers: ${r.report.sections.map((s) => `${s.check} ${s.verdict}`).join(", ")} (report in ${dir})`);
    assert.ok(r.faults.length >= 1, "at least one fault was injected");
    assert.ok(r.counts.ok > 100, `the workload made progress: ${JSON.stringify(r.counts)}`);
    // What was written is a history the checkers can read back.
    const history = parseHistory(await readFile(join(dir, "history.json"), "utf8"));
    assert.equal(history.ops.length, r.counts.ok + r.counts.failed + r.counts.unknown);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the checkers catch linearizable reads served without ReadIndex (--unsafe-local-reads)", { timeout: 10 * 60_000 }, async (t) => {
  if (!(await requireDocker(t))) return;
  await ensureImage();
  const dir = await mkdtemp(join(tmpdir(), "raftplane-chaos-"));
  try {
    const r = await runChaos({
      nodes: 3,
      nemeses: ["partition"],
      durationMs: 10_000,
      holdMs: 4000,
      quietMs: 2000,
      seed: 3,
      outDir: dir,
      memberFlags: ["--unsafe-local-reads"],
      log: () => undefined,
    });
    const lin = r.report.sections.find((s) => s.check === "linearizability");
    assert.equal(lin?.verdict, "violation", `stale reads must be caught; checkers: ${r.report.sections.map((s) => `${s.check} ${s.verdict}`).join(", ")}`);
    assert.equal(r.report.verdict, "violation");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("write unavailability: the longest gap between acknowledged writes, and recovery after each fault", () => {
  const w = (id: number, invoke: number, complete: number, outcome: "ok" | "unknown" = "ok"): KvOp =>
    outcome === "ok"
      ? { id, process: 0, key: "k", invoke, type: "write", value: String(id), outcome, complete, result: {} }
      : { id, process: 0, key: "k", invoke, type: "write", value: String(id), outcome, complete };
  const ops = [w(1, 0, 10), w(2, 10, 20), w(3, 20, 900, "unknown"), w(4, 30, 1500), w(5, 1500, 1510)];
  assert.equal(longestWriteGap(ops, 0, 1600), 1480);
  const faults = [{ kind: "kill" as const, what: "kill -9 leader", start: 25, end: 100 }];
  assert.deepEqual(recoveries(ops, faults), [{ what: "kill -9 leader", ms: 1475 }]);
});
