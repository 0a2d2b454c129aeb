/** The etcd v3 gRPC API over raftplane's replicated store. */
export { listenClientPort } from "./listener.js";
export type { ClientPort } from "./listener.js";
