/** One control-plane replica: a KV member (or an external etcd-API store) and the API server. */
export { startServer } from "./server.js";
export type { RunningServer, ServerConfig } from "./server.js";
