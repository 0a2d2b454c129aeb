import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { TestContext } from "node:test";
import { run } from "./run.js";
import type { RunResult } from "./run.js";

/** What one etcdctl run printed and how it ended. */
export type CtlResult = RunResult;

export interface CtlOptions {
  /** --endpoints: comma-separated host:port list. */
  readonly endpoints: string;
  /** Written to etcdctl's standard input (txn reads its script there). */
  readonly input?: string;
  /** Kill etcdctl after this long; default 30 s. */
  readonly timeoutMs?: number;
}

/** The etcdctl on PATH (Debian's etcd-client installs /usr/bin/etcdctl), or undefined. */
export function findEtcdctl(): string | undefined {
  const dirs = (process.env["PATH"] ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of [...dirs, "/usr/bin"]) {
    const candidate = join(dir, "etcdctl");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const installHint = "etcdctl not found: install Debian's etcd-client (apt-get install -y etcd-client)";

/**
 * Whether etcdctl tests can run. Without etcdctl a CI run fails (a green CI must not hide a
 * missing install step); a developer's run skips the test with the install hint.
 */
export function requireEtcdctl(t: TestContext): boolean {
  if (findEtcdctl() !== undefined) return true;
  if (process.env["CI"] === "true") throw new Error(installHint);
  t.skip(installHint);
  return false;
}

/** Whether etcdctl is there at all (for suites deciding whether to start a cluster). */
export function haveEtcdctl(): boolean {
  return findEtcdctl() !== undefined;
}

/** Run etcdctl (API v3) against endpoints, with a timeout; never throws for a failed command. */
export function etcdctl(args: readonly string[], opts: CtlOptions): Promise<CtlResult> {
  const bin = findEtcdctl() ?? "etcdctl";
  const input = opts.input === undefined ? {} : { input: opts.input };
  return run(bin, [`--endpoints=${opts.endpoints}`, ...args], { env: { ETCDCTL_API: "3" }, timeoutMs: opts.timeoutMs ?? 30_000, ...input });
}

/** etcdctl's one-line failure, "Error: ..." on stderr, for assertions on etcd's wording. */
export function ctlError(r: CtlResult): string {
  const line = r.stderr.split("\n").find((l) => l.startsWith("Error: "));
  return line ?? r.stderr.trim();
}

/** Describe a run for an assertion message. */
export function describeRun(r: CtlResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
