import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { InProcessCluster } from "./cluster.js";

/**
 * Proposals per second through a cluster of the pure raft core in one process: in-memory
 * transport and storage, fixed-size entries, proposals batched into one MsgProp per round.
 * It measures the algorithm's own cost (step, append, commit, Ready), not disks or networks.
 */
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    nodes: { type: "string", default: "3" },
    batch: { type: "string", default: "512" },
    "entry-size": { type: "string", default: "256" },
  },
});
const seconds = Number(values.duration.replace(/s$/, ""));
const nodes = Number(values.nodes);
const batchSize = Number(values.batch);
const entrySize = Number(values["entry-size"]);
if (![seconds, nodes, batchSize, entrySize].every((n) => Number.isFinite(n) && n > 0)) {
  console.error("bench raft-core: --duration, --nodes, --batch and --entry-size take positive numbers");
  process.exit(2);
}

const cluster = new InProcessCluster(nodes, 1);
for (let i = 0; i < 100 && !cluster.leader(); i++) cluster.tickAll();
const leader = cluster.leader();
if (!leader) throw new Error("no leader elected");

const payload = new Uint8Array(entrySize).fill(0x61);
const batch = Array.from({ length: batchSize }, () => payload);

function run(ms: number, report: boolean): { proposals: number; elapsed: number } {
  const start = performance.now();
  const appliedAtStart = leader!.applied;
  let nextReport = start + 1000;
  let rounds = 0;
  for (;;) {
    leader!.node.proposeBatch(batch);
    cluster.settle();
    if (++rounds % 200 === 0) cluster.compact();
    const now = performance.now();
    if (report && now >= nextReport) {
      const done = leader!.applied - appliedAtStart;
      process.stderr.write(`\r  ${((now - start) / 1000).toFixed(0)}s: ${Math.round(done / ((now - start) / 1000)).toLocaleString("en-US")} proposals/s`);
      nextReport += 1000;
    }
    if (now - start >= ms) return { proposals: leader!.applied - appliedAtStart, elapsed: (now - start) / 1000 };
  }
}

run(1000, false); // warm-up: let the JIT settle
const { proposals, elapsed } = run(seconds * 1000, true);
process.stderr.write("\n");
// A figure only counts if every member applied every entry.
cluster.settle();
for (const [id, m] of cluster.members) {
  if (m.applied !== leader.applied) throw new Error(`member ${id} applied ${m.applied}, leader ${leader.applied}`);
}
const rate = proposals / elapsed;
console.log(`| workload | nodes | entry bytes | batch | proposals | seconds | proposals/s |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
console.log(`| raft-core | ${nodes} | ${entrySize} | ${batchSize} | ${proposals} | ${elapsed.toFixed(1)} | ${Math.round(rate).toLocaleString("en-US")} |`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
