/** Running the real kubectl in tests: finding it, and running it with a timeout. */
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
