/**
 * Cost of saves, for the record (not a test): sequential saves of 1, 30 and 100 entries of 256
 * bytes, synced and not; then 100 concurrent one-entry saves, which merge. Each line gives the
 * wall time and the process CPU time (all threads: LevelDB writes on libuv's pool) per save.
 * The unsynced lines are the ones to compare for CPU: an fsync's wait dominates the others.
 *
 * usage: node dist/bench/wal/save-timing.js [dir]   (default: a temp dir, removed afterwards)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Entry } from "../../internal/raft/index.js";
import { Wal } from "../../internal/wal/index.js";

const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), "raftplane-wal-timing-")));
const data = new Uint8Array(256).fill(0x61);
const { wal, storage } = await Wal.open(dir);
let fsyncs = 0;
let next = storage.lastIndex() + 1;
const batch = (n: number): Entry[] => Array.from({ length: n }, () => ({ index: next++, term: 1, type: "normal", data }));

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(label: string, rounds: number, perRound: () => Promise<void>): Promise<void> {
  const start = performance.now();
  const cpuStart = cpuMs();
  for (let r = 0; r < rounds; r++) await perRound();
  const ms = (performance.now() - start) / rounds;
  const cpu = (cpuMs() - cpuStart) / rounds;
  console.log(`${label}: ${ms.toFixed(3)} ms per save, ${cpu.toFixed(3)} ms CPU (${rounds} rounds)`);
}

await measure("1 entry x 256 B, sync", 300, () => wal.save({ entries: batch(1) }, { sync: true }));
await measure("30 entries x 256 B, sync", 200, () => wal.save({ entries: batch(30) }, { sync: true }));
await measure("100 entries x 256 B, sync", 100, () => wal.save({ entries: batch(100) }, { sync: true }));
await measure("1 entry x 256 B, no sync", 300, () => wal.save({ entries: batch(1) }, { sync: false }));
await measure("30 entries x 256 B, no sync", 500, () => wal.save({ entries: batch(30) }, { sync: false }));
await measure("100 entries x 256 B, no sync", 300, () => wal.save({ entries: batch(100) }, { sync: false }));
await wal.close();

const openStart = performance.now();
const merged = await Wal.open(dir, { onSync: () => void fsyncs++ });
console.log(`reopen of ${merged.storage.lastIndex()} entries: ${(performance.now() - openStart).toFixed(3)} ms`);
next = merged.storage.lastIndex() + 1;
const start = performance.now();
await Promise.all(Array.from({ length: 100 }, () => merged.wal.save({ entries: batch(1) }, { sync: true })));
console.log(`100 concurrent 1-entry saves, sync: ${(performance.now() - start).toFixed(3)} ms total, ${fsyncs} fsyncs`);
await merged.wal.close();
if (process.argv[2] === undefined) await rm(dir, { recursive: true, force: true });
