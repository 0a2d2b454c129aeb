import type { Entry } from "../../internal/raft/index.js";

/**
 * Byte formats the simulator puts into raft: client proposals and read contexts each carry a
 * unique id, so any entry or read answer can be traced back to the request that made it.
 */

const PROPOSAL_TAG = 0xa5;
const READ_TAG = 0x5a;

/** A tag byte, then the id as a big-endian uint32. */
function tagged(tag: number, id: number): Uint8Array {
  return Uint8Array.of(tag, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

function untag(tag: number, b: Uint8Array): number | undefined {
  if (b.length !== 5 || b[0] !== tag) return undefined;
  return (((b[1] as number) << 24) | ((b[2] as number) << 16) | ((b[3] as number) << 8) | (b[4] as number)) >>> 0;
}

export function encodeProposal(id: number): Uint8Array {
  return tagged(PROPOSAL_TAG, id);
}

/** The proposal id in a normal entry's data; undefined for no-ops and conf changes. */
export function decodeProposal(data: Uint8Array): number | undefined {
  return untag(PROPOSAL_TAG, data);
}

export function encodeReadContext(id: number): Uint8Array {
  return tagged(READ_TAG, id);
}

export function decodeReadContext(ctx: Uint8Array): number | undefined {
  return untag(READ_TAG, ctx);
}

/** FNV-1a over the entry's type and data: equal entries hash equal, whatever their term. */
export function entryHash(e: Entry): number {
  let h = e.type === "normal" ? 0x811c9dc5 : 0x050c5d1f;
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ (d[i] as number), 0x01000193);
  return h >>> 0;
}

/** Folds one applied entry into a state machine's running digest of everything applied. */
export function mixDigest(digest: number, index: number, term: number, hash: number): number {
  let h = Math.imul(digest ^ index, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ term, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ hash, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
