import type { ConfState, Entry, Snapshot } from "../../internal/raft/index.js";
import { decodeProposal, entryHash, mixDigest } from "./payload.js";

/**
 * The application each node runs: it remembers which proposals it applied and a digest of
 * every entry applied in order, so two nodes at the same index can be compared in O(1) even
 * when one of them got there through a snapshot.
 */
export class StateMachine {
  appliedIndex: number;
  digest: number;
  /** The configuration as of appliedIndex, which is what a snapshot at that index must carry. */
  confState: ConfState;
  readonly proposals: Set<number>;

  private constructor(appliedIndex: number, digest: number, confState: ConfState, proposals: Set<number>) {
    this.appliedIndex = appliedIndex;
    this.digest = digest;
    this.confState = confState;
    this.proposals = proposals;
  }

  /** The image a snapshot holds: what a restarted or lagging node rebuilds itself from. */
  static fromSnapshot(s: Snapshot): StateMachine {
    const md = s.metadata;
    const proposals = new Set<number>();
    let digest = 0;
    if (s.data.length >= 8) {
      const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      digest = view.getUint32(0);
      const count = view.getUint32(4);
      for (let i = 0; i < count; i++) proposals.add(view.getUint32(8 + 4 * i));
    }
    return new StateMachine(md.index, digest, md.confState, proposals);
  }

  /** Apply one committed entry; returns its proposal id, if it is a client proposal. */
  apply(e: Entry): number | undefined {
    if (e.index !== this.appliedIndex + 1) {
      throw new Error(`state machine at ${this.appliedIndex} was handed entry ${e.index}: raft skipped or repeated one`);
    }
    this.appliedIndex = e.index;
    this.digest = mixDigest(this.digest, e.index, e.term, entryHash(e));
    const id = e.type === "normal" ? decodeProposal(e.data) : undefined;
    if (id !== undefined) this.proposals.add(id);
    return id;
  }

  /** Snapshot data: digest, then the applied proposal ids. */
  image(): Uint8Array {
    const out = new Uint8Array(8 + 4 * this.proposals.size);
    const view = new DataView(out.buffer);
    view.setUint32(0, this.digest);
    view.setUint32(4, this.proposals.size);
    let at = 8;
    for (const id of this.proposals) {
      view.setUint32(at, id);
      at += 4;
    }
    return out;
  }
}
