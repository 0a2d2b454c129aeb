import type { Entry, HardState, Snapshot } from "../raft/index.js";
import { MemoryStorage } from "../raft/index.js";
import type { DurableLog } from "./node.js";

/** A DurableLog that keeps everything in memory: for tests and simulations, never for data. */
export class MemoryLog implements DurableLog {
  constructor(readonly storage: MemoryStorage = new MemoryStorage()) {}

  save(rd: { hardState?: HardState; entries: readonly Entry[]; snapshot?: Snapshot }): Promise<void> {
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    return Promise.resolve();
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    const md = snapshot.metadata;
    this.storage.createSnapshot(md.index, md.confState, snapshot.data);
    return Promise.resolve();
  }

  compact(index: number): Promise<void> {
    this.storage.compact(index);
    return Promise.resolve();
  }
}
