/** One member of raftplane's replicated KV store (`raftplane kv`): assembly and lifecycle. */
export { startKvMember } from "./member.js";
export { RestoreError, restoreSnapshot } from "./restore.js";
export type { KvMember } from "./member.js";
export { AutoCompactor } from "./compactor.js";
export { JoinError, discoverCluster } from "./discovery.js";
export type { ClusterMemberSpec, KvConfig } from "./config.js";
