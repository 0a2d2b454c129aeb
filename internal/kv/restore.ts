import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { KvStateMachine, clusterId as deriveClusterId, snapshotImage } from "../etcdapi/index.js";
import { MemoryStorage } from "../raft/index.js";
import { Wal } from "../wal/index.js";
import type { KvConfig } from "./config.js";
import { founders, minLeaseTtlSeconds } from "./member.js";

/** The snapshot cannot be restored: what is wrong. */
export class RestoreError extends Error {
  override readonly name = "RestoreError";
}

/**
 * Build a new member's data directory from a snapshot file (from `etcdctl snapshot save`
 * against raftplane): the snapshot's keys, leases and revisions, and the new cluster's founding
 * members from --initial-cluster. Every member of the new cluster is restored from the same
 * file with the same --initial-cluster, so all start identical, then started with
 * `raftplane kv` as usual.
 */
export async function restoreSnapshot(
  file: string,
  config: Pick<KvConfig, "name" | "dataDir" | "initialCluster" | "initialClusterToken" | "electionTimeoutMs">,
): Promise<{ memberId: number; clusterId: number; revision: number }> {
  if (existsSync(config.dataDir)) throw new RestoreError(`data-dir "${config.dataDir}" exists`);
  let image: Uint8Array;
  try {
    image = snapshotImage(await readFile(file));
  } catch (err) {
    throw new RestoreError(`cannot read snapshot ${file}: ${(err as Error).message}`, { cause: err });
  }
  const sm = new KvStateMachine({ minLeaseTtl: minLeaseTtlSeconds(config.electionTimeoutMs) });
  try {
    sm.restore(image);
  } catch (err) {
    throw new RestoreError(`snapshot ${file} is not a raftplane snapshot: ${(err as Error).message}`, { cause: err });
  }
  const members = founders(config);
  const self = members.find((m) => m.name === config.name);
  if (!self) throw new RestoreError(`--name "${config.name}" is not in --initial-cluster`);
  sm.resetMembers(members);
  const cid = deriveClusterId(members.map((m) => m.id));
  const boot = MemoryStorage.bootstrap({ voters: members.map((m) => m.id), learners: [] }, sm.snapshot());
  const { wal } = await Wal.open(config.dataDir);
  try {
    await wal.save(
      { metadata: { memberId: self.id, clusterId: cid }, snapshot: boot.snapshot(), hardState: boot.hardStateNow(), entries: [] },
      { sync: true },
    );
  } finally {
    await wal.close();
  }
  return { memberId: self.id, clusterId: cid, revision: sm.store.currentRevision };
}
