import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { checkHistory, writeReport } from "./checker/index.js";
import type { CheckReport } from "./checker/index.js";
import { ChaosCluster } from "./cluster/index.js";
import { formatHistory, HISTORY_VERSION } from "./history.js";
import type { HashRecord, History, KvOp } from "./history.js";
import { runFault } from "./nemesis.js";
import type { FaultRecord, NemesisKind } from "./nemesis.js";
import { Workload } from "./workload.js";

export interface ChaosOptions {
  readonly nodes: number;
  readonly nemeses: readonly NemesisKind[];
  readonly durationMs: number;
  readonly seed: number;
  readonly outDir: string;
  /** How long each fault lasts; default 4 s. */
  readonly holdMs?: number;
  /** Quiet time after each fault is undone; default 3 s. */
  readonly quietMs?: number;
  readonly clients?: number;
  /** Extra `raftplane kv` flags for every member (`--unsafe-local-reads` to plant a bug). */
  readonly memberFlags?: readonly string[];
  readonly log?: (line: string) => void;
}

/** How long writes were unavailable after one fault: fault start → first acknowledged write invoked after it. */
export interface Recovery {
  readonly what: string;
  readonly ms: number | undefined;
}

export interface ChaosResult {
  readonly report: CheckReport;
  readonly faults: readonly FaultRecord[];
  readonly counts: { readonly ok: number; readonly failed: number; readonly unknown: number };
  readonly watchEvents: number;
  readonly leaderChanges: number;
  /** The longest stretch without an acknowledged write, in ms. */
  readonly longestWriteGapMs: number;
  readonly recoveries: readonly Recovery[];
  readonly dir: string;
  readonly elapsedMs: number;
}

/** A small seeded generator (mulberry32): the same seed makes the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function acknowledgedWrite(op: KvOp): op is KvOp & { outcome: "ok"; complete: number } {
  return op.outcome === "ok" && (op.type === "write" || (op.type === "cas" && op.result.succeeded));
}

/** The longest time between acknowledged writes (also from the first fault to the first write after it). */
export function longestWriteGap(ops: readonly KvOp[], from: number, to: number): number {
  const times = ops.filter(acknowledgedWrite).map((op) => op.complete).sort((a, b) => a - b);
  let gap = 0;
  let last = from;
  for (const t of times) {
    if (t < from) continue;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, to - last);
}

/** For each fault: from its start to the completion of the first acknowledged write invoked after it. */
export function recoveries(ops: readonly KvOp[], faults: readonly FaultRecord[]): Recovery[] {
  const writes = ops.filter(acknowledgedWrite);
  return faults.map((f) => {
    let best: number | undefined;
    for (const op of writes) if (op.invoke >= f.start && (best === undefined || op.complete < best)) best = op.complete;
    return { what: f.what, ms: best === undefined ? undefined : best - f.start };
  });
}

/**
 * One chaos run: a cluster in containers, the workload on every member, faults drawn from
 * `nemeses` one after another (each held, undone, followed by quiet time) until the duration is
 * up; then heal everything, read the final log and every member's hash, and check the history.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const random = seededRandom(o.seed);
  const started = performance.now();
  const stamp = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  const say = (line: string): void => log(`${stamp()}  ${line}`);

  say(`starting ${o.nodes} members (seed ${o.seed})`);
  const cluster = await ChaosCluster.start({ size: o.nodes, extraFlags: o.memberFlags ?? [] });
  const workload = new Workload({
    targets: () => cluster.current().filter((m) => m.state !== "removed").map((m) => ({ name: m.name, endpoint: m.endpoint })),
    random: seededRandom(o.seed ^ 0x9e3779b9),
    clients: o.clients ?? 10,
  });
  const faults: FaultRecord[] = [];
  let leaderChanges = 0;
  let polling = true;
  try {
    // Count leader changes by asking every member now and then; a change is a new (leader, term).
    const poller = (async () => {
      let last = "";
      while (polling) {
        const answers = await Promise.all(cluster.running().map((m) => cluster.status(m.name, 500).catch(() => undefined)));
        const best = answers.filter((a) => a !== undefined && (a.leader ?? 0) !== 0).sort((a, b) => (b?.raftTerm ?? 0) - (a?.raftTerm ?? 0))[0];
        if (best !== undefined) {
          const key = `${best.leader ?? 0}@${best.raftTerm ?? 0}`;
          if (last !== "" && key !== last) leaderChanges++;
          last = key;
        }
        await sleep(250);
      }
    })();

    workload.start();
    const t0 = performance.now();
    const progress = setInterval(() => {
      const c = workload.counts;
      say(`ops ok ${c.ok}, failed ${c.failed}, unknown ${c.unknown}; faults ${faults.length}; leader changes ${leaderChanges}`);
    }, 5000);
    try {
      await sleep(o.quietMs ?? 3000);
      while (performance.now() - t0 < o.durationMs && o.nemeses.length > 0) {
        const kind = o.nemeses[Math.floor(random() * o.nemeses.length)] as NemesisKind;
        const holdMs = (o.holdMs ?? 4000) * (0.5 + random());
        faults.push(await runFault(cluster, kind, { random, holdMs, log: say, size: o.nodes }));
        await sleep(o.quietMs ?? 3000);
      }
      if (o.nemeses.length === 0) await sleep(o.durationMs);
    } finally {
      clearInterval(progress);
    }
    say("healing; letting the workload run on a healthy cluster for a moment");
    await cluster.recover();
    await sleep(2000);
    await workload.stop();
    polling = false;
    await poller;

    // The end: every member must hold the same data at the same revision.
    const leader = await cluster.leader();
    const finalLog = await workload.finalLog({ name: leader.name, endpoint: leader.endpoint });
    const agreed = await cluster.hashesAgree(undefined, 60_000).catch(() => undefined);
    const hashes: HashRecord[] = [];
    for (const m of cluster.running()) {
      const h = agreed?.get(m.name) ?? (await cluster.hashKv(m.name, finalLog.toRevision).catch(() => undefined));
      if (h === undefined) continue;
      hashes.push({
        member: m.name,
        revision: h.header.revision ?? 0,
        hash: h.hash ?? 0,
        ...(h.compactRevision === undefined ? {} : { compactRevision: h.compactRevision }),
      });
    }
    const history: History = {
      version: HISTORY_VERSION,
      meta: { seed: o.seed, nodes: o.nodes, nemeses: o.nemeses.join(","), durationMs: o.durationMs, memberFlags: (o.memberFlags ?? []).join(" ") },
      ops: workload.ops,
      watches: workload.watches,
      finalLog,
      hashes,
    };
    await mkdir(o.outDir, { recursive: true });
    await writeFile(join(o.outDir, "history.json"), formatHistory(history));
    await writeFile(join(o.outDir, "faults.json"), `${JSON.stringify(faults, null, 2)}\n`);
    say(`checking ${workload.ops.length} operations and ${workload.watches.length} watches`);
    const report = checkHistory(history);
    await writeReport(o.outDir, report);
    const end = performance.now();
    return {
      report,
      faults,
      counts: { ...workload.counts },
      watchEvents: workload.watches.reduce((n, w) => n + w.responses.reduce((k, r) => k + r.events.length, 0), 0),
      leaderChanges,
      longestWriteGapMs: longestWriteGap(workload.ops, t0, end),
      recoveries: recoveries(workload.ops, faults),
      dir: o.outDir,
      elapsedMs: end - started,
    };
  } catch (err) {
    await cluster.printLogTails(`chaos run failed: ${(err as Error).message}`).catch(() => undefined);
    throw err;
  } finally {
    polling = false;
    await workload.stop().catch(() => undefined);
    workload.close();
    await cluster.destroy();
  }
}
