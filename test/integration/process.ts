/**
 * Child processes and temporary directories for the multi-process tests (integration, e2e):
 * free loopback ports, a process with its log file, and cleanup that runs however the test
 * process ends (a failed assertion, an uncaught error, or the runner's SIGTERM must not leave
 * members running or directories behind).
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const liveProcesses = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooked = false;

/** Make sure nothing started here outlives the test process. */
export function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const p of liveProcesses) p.kill("SIGKILL");
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => process.exit(code));
  }
}

/** A temporary directory removed at exit (or earlier by removeTempDir). */
export function tempDir(prefix: string): string {
  hookProcessExit();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

/** Remove a directory from tempDir now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** Loopback ports free right now, all distinct (held open together while picking). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => {
      const s = createServer();
      return new Promise<typeof s>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process with its log file, started (again and again) and stopped by the tests. */
export class ManagedProcess {
  /** How the process last ended, when it ended without the harness asking. */
  crashed: string | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly command: string,
    private readonly args: readonly string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start the process, appending its output to the log. */
  spawn(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    hookProcessExit();
    const fd = openSync(this.logFile, "a");
    writeSync(fd, `\n=== [test harness] starting ${this.name} at ${new Date().toISOString()}\n`);
    const child = spawn(this.command, this.args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    liveProcesses.add(child);
    this.child = child;
    this.stopping = false;
    this.crashed = undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once("exit", (code, sig) => {
        liveProcesses.delete(child);
        if (!this.stopping) this.crashed = sig ? `killed by ${sig}` : `exited with code ${code}`;
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
  }

  /** Send a signal and wait for the process to end (SIGKILL after graceMs). */
  async signal(sig: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    child.kill(sig);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Wait up to ms for the process to end by itself (an expected exit, not a crash). */
  async exitsWithin(ms: number): Promise<boolean> {
    if (!this.child) return true;
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const ended = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return ended;
  }

  /** The last lines of the log. */
  logTail(lines = 40): string {
    if (!existsSync(this.logFile)) return "(no log)";
    return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** The whole log, for tests that look for what a process reported. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }
}
