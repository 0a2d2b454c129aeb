import { readFileSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import type { BenchCluster } from "./cluster.js";

/**
 * The measured window every workload shares: warm up, flip the shared "measuring" flag that
 * all load threads read before counting anything, sample CPU, print progress, flip it back.
 * A shared flag rather than a message makes the window's edges exact even when a load thread's
 * event loop is saturated (10,000 watchers) and would read a message late.
 */

/** Index in the shared control Int32Array: 1 while the window is open. */
export const measuringFlag = 0;

export function newControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function isMeasuring(control: Int32Array): boolean {
  return Atomics.load(control, measuringFlag) === 1;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Busy CPU seconds of the whole machine so far, from /proc/stat (idle and iowait excluded). */
export function machineBusySeconds(): number {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/**
 * Load threads started together and ended together. `failed` rejects when any of them throws or
 * exits before terminate(); a no-op handler is attached so a failure while nobody awaits it
 * (between phases) does not end the process as an unhandled rejection, and every later race on
 * it still sees it.
 */
export class ThreadGroup {
  readonly failed: Promise<never>;
  private ending = false;

  constructor(readonly workers: readonly Worker[]) {
    this.failed = new Promise<never>((_, reject) => {
      for (const w of workers) {
        w.once("error", reject);
        w.once("exit", (code) => {
          if (!this.ending) reject(new Error(`a load thread exited early with code ${code}`));
        });
      }
    });
    this.failed.catch(() => undefined);
  }

  post(message: object): void {
    for (const w of this.workers) w.postMessage(message);
  }

  /** The next message of the given type from every thread, in thread order. */
  collect<T extends { readonly type: string }>(type: T["type"]): Promise<T[]> {
    return Promise.race([Promise.all(this.workers.map((w) => messageOf<T>(w, type))), this.failed]);
  }

  async terminate(): Promise<void> {
    this.ending = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The next message of the given type from a worker. */
export function messageOf<T extends { readonly type: string }>(worker: Worker, type: T["type"]): Promise<T> {
  return new Promise<T>((resolve) => {
    const listener = (m: { readonly type?: string }): void => {
      if (m.type !== type) return;
      worker.off("message", listener);
      resolve(m as T);
    };
    worker.on("message", listener);
  });
}

export interface WindowUsage {
  readonly seconds: number;
  /** Client process CPU (all threads), % of one core. */
  readonly clientCpuPercent: number;
  readonly serverCpuPercent: number;
  readonly otherCpuPercent: number;
}

export interface WindowOptions {
  readonly label: string;
  readonly cluster: BenchCluster;
  readonly control: Int32Array;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly failed: Promise<never>;
  /** One progress line, given the seconds since the window opened. */
  readonly progress: (seconds: number) => string;
  /** Called right after the flag is set: tell the threads to start their busy figures. */
  readonly onOpen?: () => void;
  /** Called right after the flag is cleared, before anything slower: read shared counters here. */
  readonly onClose?: () => void;
}

export async function runWindow(o: WindowOptions): Promise<WindowUsage> {
  process.stderr.write(`  ${o.label}: warming up ${o.warmupMs / 1000}s\n`);
  await Promise.race([sleep(o.warmupMs), o.failed]);
  const cpuStart = process.cpuUsage();
  const serverCpuStart = o.cluster.serverCpuSeconds();
  const machineBusyStart = machineBusySeconds();
  const start = performance.now();
  Atomics.store(o.control, measuringFlag, 1);
  o.onOpen?.();
  for (let s = 1; s * 1000 < o.durationMs; s++) {
    await Promise.race([sleep(start + s * 1000 - performance.now()), o.failed]);
    process.stderr.write(`\r  ${o.label} ${s}s: ${o.progress((performance.now() - start) / 1000)} `);
  }
  await Promise.race([sleep(start + o.durationMs - performance.now()), o.failed]);
  Atomics.store(o.control, measuringFlag, 0);
  const seconds = (performance.now() - start) / 1000;
  o.onClose?.();
  const cpu = process.cpuUsage(cpuStart);
  const serverCpu = o.cluster.serverCpuSeconds() - serverCpuStart;
  const machineBusy = machineBusySeconds() - machineBusyStart;
  process.stderr.write("\n");
  const clientCpu = (cpu.user + cpu.system) / 1e6;
  return {
    seconds,
    clientCpuPercent: (clientCpu / seconds) * 100,
    serverCpuPercent: (serverCpu / seconds) * 100,
    otherCpuPercent: Math.max(0, ((machineBusy - serverCpu - clientCpu) / seconds) * 100),
  };
}

/** A thread's event-loop utilisation since a mark, %: near 100 means it could not keep up. */
export function busyPercentSince(mark: ReturnType<typeof performance.eventLoopUtilization>): number {
  return performance.eventLoopUtilization(mark).utilization * 100;
}
