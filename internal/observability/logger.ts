import { destination, pino, stdTimeFunctions } from "pino";
import type { DestinationStream, Logger } from "pino";

export type { Logger } from "pino";

/** etcd's --log-level values, in increasing severity. */
export const logLevels = ["debug", "info", "warn", "error", "panic", "fatal"] as const;
export type LogLevel = (typeof logLevels)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (logLevels as readonly string[]).includes(s);
}

export interface LoggerOptions {
  /** Component name, logged as `component` on every line (e.g. "kv", "apiserver"). */
  component: string;
  /** Default "info". etcd's "panic" maps to pino's "fatal". */
  level?: LogLevel;
  /** Fields logged on every line, e.g. { member: "8e9e05c52164694d" }. */
  bindings?: Record<string, unknown>;
  /** Where lines go; default standard error, leaving standard output to command results. */
  destination?: DestinationStream;
}

/** A JSON line logger (pino), one per component. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level === "panic" ? "fatal" : (options.level ?? "info");
  return pino(
    { level, base: { component: options.component, ...options.bindings }, timestamp: stdTimeFunctions.isoTime },
    options.destination ?? destination(2),
  );
}
