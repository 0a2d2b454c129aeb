/** Shared pieces of the apiserver tests: a recording watch sink and polling. */
import type { WatchSink } from "../../internal/apiserver/index.js";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until cond() holds, or fail after timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface Frame {
  type: string;
  object: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/** A sink that records frames; `blocked` makes it refuse (as a client that stopped reading). */
export class RecordingSink implements WatchSink {
  readonly raw: Buffer[] = [];
  ended = false;
  drains: (() => void)[] = [];

  constructor(private readonly blocked = false) {}

  /** Writes the cache made; each may carry several frames. */
  writes = 0;

  write(frames: readonly Buffer[]): boolean {
    this.writes++;
    this.raw.push(...frames);
    return !this.blocked;
  }

  onDrain(callback: () => void): void {
    this.drains.push(callback);
  }

  end(): void {
    this.ended = true;
  }

  get frames(): Frame[] {
    return this.raw.map((b) => JSON.parse(b.toString("utf8")) as Frame);
  }

  /** "TYPE name" per frame, for compact assertions. */
  get summary(): string[] {
    return this.frames.map((f) => `${f.type} ${f.object.metadata?.name ?? f.object.reason ?? ""}`.trim());
  }
}
