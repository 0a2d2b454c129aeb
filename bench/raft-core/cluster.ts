import type { Message, Ready } from "../../internal/raft/index.js";
import { MemoryStorage, RawNode } from "../../internal/raft/index.js";

interface Member {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  applied: number;
}

/**
 * Raft core nodes in one process with an in-memory transport: every Ready is persisted to a
 * MemoryStorage, its messages queued for delivery, its committed entries counted as applied.
 */
export class InProcessCluster {
  readonly members = new Map<number, Member>();
  private queue: Message[] = [];

  constructor(size: number, seed: number) {
    const voters = Array.from({ length: size }, (_, i) => i + 1);
    let state = seed >>> 0;
    const random = (): number => {
      // mulberry32: deterministic election timeouts, so runs are comparable
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (const id of voters) {
      const storage = MemoryStorage.bootstrap({ voters, learners: [] });
      const node = new RawNode({ id, storage, random, maxSizePerMsg: 4 * 1024 * 1024, maxInflightMsgs: 256 });
      this.members.set(id, { node, storage, applied: 0 });
    }
  }

  private handleReady(m: Member, rd: Ready): void {
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    for (const msg of rd.messages) this.queue.push(msg);
    m.applied += rd.committedEntries.length;
    m.node.advance(rd);
  }

  /** Process Readies and deliver messages until nothing is left to do. */
  settle(): void {
    for (;;) {
      let busy = false;
      for (const m of this.members.values()) {
        while (m.node.hasReady()) {
          busy = true;
          this.handleReady(m, m.node.ready());
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        busy = true;
        this.members.get(msg.to)?.node.step(msg);
      }
      if (!busy) return;
    }
  }

  tickAll(): void {
    for (const m of this.members.values()) m.node.tick();
    this.settle();
  }

  leader(): Member | undefined {
    for (const m of this.members.values()) if (m.node.isLeader()) return m;
    return undefined;
  }

  /** Drop log entries that every member has applied, keeping memory bounded in long runs. */
  compact(): void {
    for (const m of this.members.values()) {
      const applied = m.node.status().applied;
      if (applied > m.storage.firstIndex()) {
        m.storage.createSnapshot(applied, m.node.confState(), new Uint8Array(0));
        m.storage.compact(applied);
      }
    }
  }
}
