/** Logging (pino, JSON lines) and metrics (prom-client, Prometheus text format). */
export { createLogger, isLogLevel, logLevels } from "./logger.js";
export type { LogLevel, Logger, LoggerOptions } from "./logger.js";
export { createKvMetrics } from "./metrics.js";
export type { KvMetrics } from "./metrics.js";
