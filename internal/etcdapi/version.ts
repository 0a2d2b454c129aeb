/** The etcd version raftplane's KV speaks; etcdctl and clients see it in Status and /version. */
export const etcdProtocolVersion = "3.4.0";
