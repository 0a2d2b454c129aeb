import { existsSync } from "node:fs";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { run as runCommand } from "../../integration/run.js";
import type { RunOptions, RunResult } from "../../integration/run.js";

/** dist/test/chaos/cluster/docker.js → the repository (where the Dockerfile and scripts are). */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export type { RunOptions, RunResult } from "../../integration/run.js";

/** Run a command with a timeout; never throws for a failed command. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(command, args, { cwd: repoRoot, ...opts });
}

/** Like run, but throws with the output unless the command exits 0; returns stdout. */
export async function runOk(command: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${describeResult(r)}`);
  return r.stdout;
}

export function describeResult(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.trimEnd()}\n--- stderr\n${r.stderr.trimEnd()}`;
}

let engine: Promise<string | undefined> | undefined;

/** The engine's version when a Docker engine answers, else undefined (asked once per process). */
export function dockerEngine(): Promise<string | undefined> {
  engine ??= run("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 15_000 }).then((r) =>
    r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined,
  );
  return engine;
}

const noEngine =
  "no Docker engine answers (docker version failed): install Debian's docker.io and start dockerd, " +
  "as .ci/docker.sh does (bash .ci/docker.sh)";

/**
 * Whether container tests can run. Without an engine a CI run fails (a green CI must not hide
 * a missing engine); a developer's run skips the test with what to do.
 */
export async function requireDocker(t: TestContext): Promise<boolean> {
  if ((await dockerEngine()) !== undefined) return true;
  if (process.env["CI"] === "true") throw new Error(noEngine);
  t.skip(noEngine);
  return false;
}

/** For suites that decide in `before` whether to start anything: true only with an engine. */
export async function haveDocker(): Promise<boolean> {
  return (await dockerEngine()) !== undefined;
}

/** The same check as requireDocker, for a describe-level `before`: throws in CI, else false. */
export async function dockerOrSkip(): Promise<boolean> {
  if (await haveDocker()) return true;
  if (process.env["CI"] === "true") throw new Error(noEngine);
  return false;
}

export const image = (): string => process.env["RAFTPLANE_IMAGE"] ?? "raftplane:latest";

let built: Promise<string> | undefined;

/**
 * Build the raftplane image, or find it up to date (scripts/build-image.sh decides from a hash
 * of the sources); once per process. Resolves to the image's tag.
 */
export function ensureImage(): Promise<string> {
  built ??= (async () => {
    const script = `${repoRoot}scripts/build-image.sh`;
    if (!existsSync(script)) throw new Error(`${script} is missing`);
    const r = await run("bash", [script], { timeoutMs: 15 * 60_000 });
    if (r.code !== 0) throw new Error(`building the image failed: ${describeResult(r)}`);
    return image();
  })();
  return built;
}

/** The compose command: the `docker compose` plugin, else Debian's `docker-compose` (v1). */
let compose: Promise<readonly string[] | undefined> | undefined;
export function composeCommand(): Promise<readonly string[] | undefined> {
  compose ??= (async () => {
    if ((await run("docker", ["compose", "version"], { timeoutMs: 15_000 })).code === 0) return ["docker", "compose"];
    if ((await run("docker-compose", ["version"], { timeoutMs: 15_000 })).code === 0) return ["docker-compose"];
    return undefined;
  })();
  return compose;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const exitHandlers = new Set<() => void>();
let exitHooked = false;

/**
 * Run `handler` (synchronously) when the process ends, however it ends: normally, by an
 * uncaught error, or by the test runner's SIGINT or SIGTERM, which are turned into an exit so
 * that the handlers run. Returns a function that unregisters it.
 */
export function onProcessExit(handler: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", () => {
      for (const h of exitHandlers) h();
    });
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      process.once(signal, () => process.exit(code));
    }
  }
  exitHandlers.add(handler);
  return () => exitHandlers.delete(handler);
}

/** Poll fn until it returns a value other than undefined, or fail with what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
