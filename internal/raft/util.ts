import type { Entry } from "./types.js";

/** Bytes an entry counts for in flow control: its payload plus a small fixed header. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 16;
}

/** The longest prefix of ents within maxSize bytes, but never fewer than one entry. */
export function limitSize<T extends Entry>(ents: T[], maxSize: number): T[] {
  if (ents.length <= 1) return ents;
  let size = entrySize(ents[0] as T);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n] as T);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/** A stable string key for a byte string (read request contexts). */
export function bytesKey(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}
