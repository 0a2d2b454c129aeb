import { after, afterEach, before } from "node:test";
import type { ClusterOptions } from "./cluster.js";
import { Cluster } from "./cluster.js";
import type { CtlResult } from "./etcdctl.js";
import { describeRun, haveEtcdctl } from "./etcdctl.js";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Register, in the enclosing describe, a cluster started before its tests and destroyed after
 * them, printing member logs after any failed test. No cluster is started when etcdctl is
 * missing and `needsEtcdctl` (the tests then skip or fail through requireEtcdctl).
 */
export function useCluster(options: ClusterOptions = {}, needsEtcdctl = true): () => Cluster {
  let cluster: Cluster | undefined;
  before(async () => {
    if (needsEtcdctl && !haveEtcdctl()) return;
    cluster = await Cluster.start(options);
  });
  afterEach((t) => cluster?.reportIfFailed(t));
  after(async () => {
    await cluster?.destroy();
  });
  return () => {
    if (!cluster) throw new Error("the cluster was not started");
    return cluster;
  };
}

/** etcdctl's -w json output, parsed; throws with the whole run when it failed. */
export function json<T>(r: CtlResult): T {
  if (r.code !== 0) throw new Error(`etcdctl failed: ${describeRun(r)}`);
  return JSON.parse(r.stdout) as T;
}

/** Poll fn until it returns a value other than undefined, or fail with what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export interface HeaderJson {
  readonly cluster_id: number;
  readonly member_id: number;
  readonly revision: number;
  readonly raft_term: number;
}

export interface HashKvJson {
  readonly Endpoint: string;
  readonly HashKV: { readonly header: HeaderJson; readonly hash?: number; readonly compact_revision?: number };
}

/**
 * `etcdctl endpoint hashkv` on the named members until every one reports the same revision and
 * the same hash (followers apply a moment after the leader); returns the agreed answers.
 */
export async function hashesAgree(cluster: Cluster, names: readonly string[], timeoutMs = 20_000): Promise<HashKvJson[]> {
  let seen = "";
  try {
    return await waitFor(
      `equal HashKV on ${names.join(",")}`,
      async () => {
        const all = json<HashKvJson[]>(await cluster.ctl(["endpoint", "hashkv", "-w", "json"], { members: names }));
        seen = all.map((h) => `${h.Endpoint} rev ${h.HashKV.header.revision} hash ${h.HashKV.hash ?? 0}`).join("; ");
        const revs = new Set(all.map((h) => h.HashKV.header.revision));
        const hashes = new Set(all.map((h) => h.HashKV.hash ?? 0));
        return all.length === names.length && revs.size === 1 && hashes.size === 1 ? all : undefined;
      },
      timeoutMs,
      300,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${seen}`);
  }
}
