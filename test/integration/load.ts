import { Etcd3 } from "etcd3";
import type { Cluster } from "./cluster.js";
import { sleep, waitFor } from "./helpers.js";

/** What a write load did: every key whose put was acknowledged, and how many puts failed. */
export interface LoadResult {
  readonly acked: ReadonlySet<string>;
  readonly failed: number;
}

/**
 * Several etcd3 clients, each writing unique keys (`<prefix>w<writer>/<seq>`, value = key) one
 * after another to any member that answers, until stop(). A put counts as acknowledged only
 * when the client got its answer; failed puts (member down, no leader) are counted and the
 * writer moves on to a new key, so an unacknowledged write never hides an acknowledged one.
 */
export class WriteLoad {
  private readonly acked = new Set<string>();
  private failed = 0;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: Etcd3[] = [];

  constructor(cluster: Cluster, writers: number, prefix = "/load/") {
    for (let w = 0; w < writers; w++) {
      const client = new Etcd3({
        hosts: cluster.members.map((m) => m.clientUrl),
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 3000 }),
      });
      this.clients.push(client);
      this.loops.push(this.run(client, `${prefix}w${w}/`));
    }
  }

  private async run(client: Etcd3, prefix: string): Promise<void> {
    for (let seq = 0; !this.stopping; seq++) {
      const key = `${prefix}${String(seq).padStart(6, "0")}`;
      try {
        await client.put(key).value(key);
        this.acked.add(key);
      } catch {
        this.failed++;
        await sleep(50);
      }
    }
  }

  /** Acknowledged writes so far. */
  get count(): number {
    return this.acked.size;
  }

  /** Wait until at least n more writes have been acknowledged (the load is making progress). */
  async progress(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acked.size + n;
    await waitFor(`${n} more acknowledged writes (at ${this.acked.size})`, async () => (this.acked.size >= target ? true : undefined), timeoutMs, 50);
  }

  /** Stop writing; resolves once every writer's last put has settled. */
  async stop(): Promise<LoadResult> {
    this.stopping = true;
    await Promise.all(this.loops);
    for (const c of this.clients) c.close();
    return { acked: this.acked, failed: this.failed };
  }
}

/**
 * The durability invariant: once the leader's revision is known, every running member reaches
 * it with the same HashKV, and holds every acknowledged key. Returns the agreed revision.
 */
export async function checkAllAcked(cluster: Cluster, acked: ReadonlySet<string>, prefix = "/load/"): Promise<number> {
  const leader = await cluster.leader();
  const revision = (await cluster.grpc(leader.name).status()).header.revision ?? 0;
  const hashes = new Map<string, number>();
  for (const m of cluster.running()) {
    const h = await waitFor(`${m.name} to reach revision ${revision}`, async () => {
      const r = await cluster.grpc(m.name).hashKV(revision);
      return r.hash;
    }, 30_000);
    hashes.set(m.name, h);
  }
  const distinct = new Set(hashes.values());
  if (distinct.size !== 1) {
    throw new Error(`HashKV at revision ${revision} differs: ${[...hashes].map(([n, h]) => `${n}=${h}`).join(", ")}`);
  }
  for (const m of cluster.running()) {
    const r = await cluster.grpc(m.name).range(prefix, { serializable: true, keysOnly: true }, 30_000);
    const have = new Set((r.kvs ?? []).map((kv) => kv.key.toString()));
    const missing = [...acked].filter((k) => !have.has(k));
    if (missing.length > 0) {
      throw new Error(`${m.name} lost ${missing.length} of ${acked.size} acknowledged writes, e.g. ${missing.slice(0, 5).join(", ")}`);
    }
  }
  return revision;
}

/** n puts of unique keys through one member's gRPC API, `concurrency` in flight; all must succeed. */
export async function bulkPut(cluster: Cluster, member: string, prefix: string, n: number, concurrency = 32): Promise<Set<string>> {
  const acked = new Set<string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const key = `${prefix}${String(next++).padStart(6, "0")}`;
      await cluster.grpc(member).put(key, key);
      acked.add(key);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked;
}

/** The highest log index a member reported compacting its raft log to ("snapshot saved"). */
export function compactedTo(log: string): number {
  let highest = 0;
  for (const line of log.split("\n")) {
    if (!line.includes('"snapshot saved"')) continue;
    const entry = JSON.parse(line) as { compactedTo?: number };
    highest = Math.max(highest, entry.compactedTo ?? 0);
  }
  return highest;
}
