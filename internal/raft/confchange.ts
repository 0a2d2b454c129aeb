import type { ConfChange, ConfChangeType } from "./types.js";

const codes: Record<ConfChangeType, number> = { addNode: 0, addLearner: 1, removeNode: 2 };
const types: readonly ConfChangeType[] = ["addNode", "addLearner", "removeNode"];

/** Wire form of a ConfChange inside a log entry: type (1 byte), node id (8 bytes), context. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const ctx = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(9 + ctx.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, codes[cc.type]);
  view.setBigUint64(1, BigInt(cc.nodeId));
  out.set(ctx, 9);
  return out;
}

/** Decodes a ConfChange; undefined when the bytes are not one. */
export function decodeConfChange(data: Uint8Array): ConfChange | undefined {
  if (data.length < 9) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = types[view.getUint8(0)];
  const id = view.getBigUint64(1);
  if (type === undefined || id === 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const context = data.slice(9);
  return context.length > 0 ? { type, nodeId: Number(id), context } : { type, nodeId: Number(id) };
}
