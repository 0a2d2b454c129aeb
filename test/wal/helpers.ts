import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry, MemoryStorage } from "../../internal/raft/index.js";

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "raftplane-wal-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function entry(index: number, term: number, data = `e${index}`): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(data) };
}

export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

/** The log the mirror holds, as plain values that compare with deepEqual. */
export function logOf(s: MemoryStorage): { index: number; term: number; data: string }[] {
  if (s.lastIndex() < s.firstIndex()) return [];
  return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map((e) => ({
    index: e.index,
    term: e.term,
    data: new TextDecoder().decode(e.data),
  }));
}

/** The on-disk entry key of index in layout version 1 (written out here to pin it). */
export function entryKeyOf(index: number): Uint8Array {
  const key = Buffer.alloc(9);
  key.write("e", 0, "latin1");
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

/** The on-disk key of the segment whose first entry is at index (layout version 2, pinned here). */
export function segmentKeyOf(index: number): Uint8Array {
  const key = Buffer.alloc(9);
  key.write("s", 0, "latin1");
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

/** A segment value made of these parts, each written as uint32 BE length + its bytes. */
export function segmentOf(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.flatMap((p) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(p.length);
    return [length, p];
  }));
}
