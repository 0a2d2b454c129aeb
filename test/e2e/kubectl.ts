/** Running the real kubectl in tests: finding it, and running it with a timeout. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { run } from "../integration/run.js";
import type { RunResult } from "../integration/run.js";

export type KubectlResult = RunResult;

function kubectlMinor(): number | undefined {
  try {
    const out = execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8", timeout: 10_000 });
    const minor = (JSON.parse(out) as { clientVersion?: { minor?: string } }).clientVersion?.minor;
    return minor === undefined ? undefined : Number.parseInt(minor, 10);
  } catch {
    return undefined;
  }
}

const installHint = "kubectl 1.32 (or newer) is not on PATH";

/**
 * false when kubectl can be used; otherwise the reason to skip. Under CI=true a missing kubectl
 * throws: a green CI run must not hide a missing install step.
 */
export function kubectlSkip(): string | false {
  const minor = kubectlMinor();
  if (minor !== undefined && minor >= 32) return false;
  if (process.env["CI"] === "true") throw new Error(`${installHint} (CI=true: the e2e tests must run)`);
  return `${installHint}: skipping the kubectl e2e tests`;
}

export interface KubectlOptions {
  readonly kubeconfig: string;
  /** HOME for kubectl (its discovery cache lives there). */
  readonly home: string;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** More environment for kubectl (KUBE_EDITOR, TMPDIR...). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Run kubectl; never throws for a failed command. */
export function kubectl(args: readonly string[], opts: KubectlOptions): Promise<KubectlResult> {
  const input = opts.input === undefined ? {} : { input: opts.input };
  return run("kubectl", args, { env: { ...opts.env, KUBECONFIG: opts.kubeconfig, HOME: opts.home }, timeoutMs: opts.timeoutMs ?? 30_000, ...input });
}

export function describeRun(args: readonly string[], r: KubectlResult): string {
  return `kubectl ${args.join(" ")}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** kubectl through the replicas of a running cluster (see kubectlOn). */
export interface KubectlOn {
  /** Run kubectl against one replica; never throws for a failed command. */
  run(replica: string, args: string[], input?: string): Promise<KubectlResult>;
  /** kubectl against one replica; fails the test unless it exits 0. Returns stdout. */
  k(replica: string, args: string[], input?: string): Promise<string>;
}

/**
 * kubectl bound to a cluster and a HOME, both read when a command runs (tests create them in
 * before(), after the functions are made).
 */
export function kubectlOn(where: () => { readonly cluster: { kubeconfig(replica: string): string }; readonly home: string }): KubectlOn {
  const run = (replica: string, args: string[], input?: string): Promise<KubectlResult> => {
    const { cluster, home } = where();
    return kubectl(args, { kubeconfig: cluster.kubeconfig(replica), home, ...(input === undefined ? {} : { input }) });
  };
  const k = async (replica: string, args: string[], input?: string): Promise<string> => {
    const r = await run(replica, args, input);
    assert.equal(r.code, 0, describeRun(args, r));
    return r.stdout;
  };
  return { run, k };
}
