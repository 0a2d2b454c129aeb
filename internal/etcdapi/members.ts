import { createHash } from "node:crypto";

/** A member of the KV cluster as MemberList shows it. */
export interface MemberInfo {
  readonly id: number;
  /** Empty until the member has started and published its name. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** Keeps ids within JS numbers' exact range: the top 53 bits of a SHA-1 prefix, never 0. */
function idFromHash(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const id = hi * 2 ** 21 + Math.floor(lo / 2 ** 11);
  return id === 0 ? 1 : id;
}

/**
 * A member's id from its peer URLs and the cluster token, as etcd derives it (SHA-1 of the
 * sorted URLs and the token, plus a time for members added at runtime so that re-adding the
 * same URLs gives a new id).
 */
export function memberId(peerURLs: readonly string[], clusterToken: string, addedAtMs?: number): number {
  const h = createHash("sha1");
  h.update([...peerURLs].sort().join(""));
  h.update(clusterToken);
  if (addedAtMs !== undefined) h.update(String(Math.floor(addedAtMs / 1000)));
  return idFromHash(h.digest());
}

/** The cluster id from the founding members' ids, as etcd derives it. */
export function clusterId(memberIds: readonly number[]): number {
  const h = createHash("sha1");
  for (const id of [...memberIds].sort((a, b) => a - b)) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(id));
    h.update(b);
  }
  return idFromHash(h.digest());
}

/** etcd prints ids as 16 hex digits. */
export function formatId(id: number): string {
  return id.toString(16).padStart(16, "0");
}
