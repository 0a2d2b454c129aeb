import type { MemberInfo } from "../etcdapi/index.js";
import { fetchMembers } from "../transport/index.js";
import type { ClusterMemberSpec } from "./config.js";

export interface DiscoveredCluster {
  readonly memberId: number;
  readonly clusterId: number;
  readonly members: readonly MemberInfo[];
}

/** This member cannot join: what is wrong and what to do. */
export class JoinError extends Error {
  override readonly name = "JoinError";
}

/**
 * A member started with --initial-cluster-state existing asks the running members, over their
 * peer URLs, for the member list, and finds itself in it by its peer URLs: `etcdctl member add`
 * chose its id there.
 */
export async function discoverCluster(
  initialCluster: readonly ClusterMemberSpec[],
  ownPeerUrls: readonly string[],
  ownName: string,
): Promise<DiscoveredCluster> {
  const failures: string[] = [];
  for (const m of initialCluster) {
    if (m.name === ownName) continue;
    for (const url of m.peerUrls) {
      let found: { clusterId: number; members: readonly MemberInfo[] };
      try {
        found = await fetchMembers(url);
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}`);
        continue;
      }
      const self = found.members.find((x) => ownPeerUrls.every((u) => x.peerURLs.includes(u)));
      if (!self) {
        throw new JoinError(
          `this member (peer URLs ${ownPeerUrls.join(",")}) is not in the cluster's member list; add it first with \`etcdctl member add ${ownName} --peer-urls=${ownPeerUrls.join(",")}\``,
        );
      }
      return { memberId: self.id, clusterId: found.clusterId, members: found.members };
    }
  }
  throw new JoinError(`cannot reach any member of the cluster to join (${failures.join("; ") || "no other member in --initial-cluster"})`);
}
