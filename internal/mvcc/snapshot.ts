import { Decoder, Encoder } from "./codec.js";
import { crc32c } from "./crc32c.js";
import { SnapshotCorruptError, SnapshotProblem } from "./errors.js";
import { KeyHistory, isTombstone } from "./keyindex.js";
import type { KeyRecord } from "./keyindex.js";
import { EMPTY_BYTES, keyId } from "./bytes.js";
import type { KeyValue } from "./types.js";

/**
 * Snapshot format, version 1 (all integers big-endian; i64 is two's complement):
 *
 *   magic "RPMVCCSN" (8 bytes), u32 format version
 *   i64 current revision, i64 compact revision
 *   u32 length + meta bytes
 *   u32 lease count, then per lease ascending by id: i64 id, i64 ttl, i64 remaining ttl
 *   u32 key count, then per key ascending: u32 length + key, u32 record count, records
 *   u32 CRC-32C of everything before it
 *
 * A record (oldest first; also the unit hashKV hashes): i64 main revision, u32 sub revision,
 * u8 kind (0 put, 1 delete), and for a put: i64 create revision, i64 version, i64 lease,
 * u32 length + value. A record's mod revision is its main revision.
 */

export const SNAPSHOT_FORMAT_VERSION = 1;
const MAGIC = new TextEncoder().encode("RPMVCCSN");
const KIND_PUT = 0;
const KIND_DELETE = 1;

export interface SnapshotLease {
  readonly id: number;
  readonly ttl: number;
  readonly remainingTtl: number;
}

export interface SnapshotContents {
  readonly currentRevision: number;
  readonly compactRevision: number;
  readonly meta: Uint8Array;
  readonly leases: readonly SnapshotLease[];
  readonly keys: KeyHistory[];
}

export function encodeRecord(enc: Encoder, r: KeyRecord): void {
  enc.i64(r.main);
  enc.u32(r.sub);
  if (isTombstone(r)) {
    enc.u8(KIND_DELETE);
    return;
  }
  enc.u8(KIND_PUT);
  enc.i64(r.kv.createRevision);
  enc.i64(r.kv.version);
  enc.i64(r.kv.lease);
  enc.bytes(r.kv.value);
}

export function encodeSnapshot(s: SnapshotContents): Uint8Array {
  const enc = new Encoder(undefined, 1 << 20);
  enc.raw(MAGIC);
  enc.u32(SNAPSHOT_FORMAT_VERSION);
  enc.i64(s.currentRevision);
  enc.i64(s.compactRevision);
  enc.bytes(s.meta);
  enc.u32(s.leases.length);
  for (const l of s.leases) {
    enc.i64(l.id);
    enc.i64(l.ttl);
    enc.i64(l.remainingTtl);
  }
  enc.u32(s.keys.length);
  for (const h of s.keys) {
    enc.bytes(h.key);
    enc.u32(h.records.length);
    for (const r of h.records) encodeRecord(enc, r);
  }
  const body = enc.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32c(body));
  return out;
}

function inconsistent(detail: string): SnapshotCorruptError {
  return new SnapshotCorruptError(SnapshotProblem.Inconsistent, detail);
}

/** Parses and checks a snapshot; throws SnapshotCorruptError on anything unexpected. */
export function decodeSnapshot(bytes: Uint8Array): SnapshotContents {
  const header = MAGIC.length + 4;
  if (bytes.length < header + 4) throw new SnapshotCorruptError(SnapshotProblem.Truncated, `only ${bytes.length} bytes`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new SnapshotCorruptError(SnapshotProblem.BadMagic, "");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(MAGIC.length);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotCorruptError(
      SnapshotProblem.UnsupportedVersion,
      `format ${version}; this build reads ${SNAPSHOT_FORMAT_VERSION}`,
    );
  }
  const bodyEnd = bytes.length - 4;
  const want = view.getUint32(bodyEnd);
  const got = crc32c(bytes.subarray(0, bodyEnd));
  if (want !== got) {
    throw new SnapshotCorruptError(
      SnapshotProblem.ChecksumMismatch,
      `stored ${want.toString(16)}, computed ${got.toString(16)}`,
    );
  }

  const d = new Decoder(bytes, bodyEnd);
  d.pos = header;
  const currentRevision = d.i64();
  const compactRevision = d.i64();
  if (currentRevision < 1 || compactRevision < 0 || compactRevision > currentRevision) {
    throw inconsistent(`revisions current ${currentRevision}, compact ${compactRevision}`);
  }
  const meta = d.bytes();

  const leases: SnapshotLease[] = [];
  const leaseIds = new Set<number>();
  const leaseCount = d.u32();
  for (let i = 0; i < leaseCount; i++) {
    const l = { id: d.i64(), ttl: d.i64(), remainingTtl: d.i64() };
    if (l.id === 0 || (i > 0 && l.id <= (leases[i - 1] as SnapshotLease).id)) {
      throw inconsistent(`lease ${l.id} out of order`);
    }
    leases.push(l);
    leaseIds.add(l.id);
  }

  const keys: KeyHistory[] = [];
  const keyCount = d.u32();
  let prevId: string | undefined;
  for (let i = 0; i < keyCount; i++) {
    const key = d.bytes();
    const id = keyId(key);
    if (key.length === 0 || (prevId !== undefined && id <= prevId)) throw inconsistent("keys out of order");
    prevId = id;
    const h = new KeyHistory(id, key);
    const n = d.u32();
    if (n === 0) throw inconsistent("key without records");
    for (let j = 0; j < n; j++) h.records.push(decodeRecord(d, h, currentRevision));
    checkGenerations(h);
    const last = h.last() as KeyRecord;
    if (!isTombstone(last) && last.kv.lease !== 0 && !leaseIds.has(last.kv.lease)) {
      throw inconsistent(`key attached to missing lease ${last.kv.lease}`);
    }
    keys.push(h);
  }
  if (d.remaining !== 0) throw inconsistent(`${d.remaining} bytes after the last key`);
  checkRevisionsComplete(keys, compactRevision, currentRevision);
  return { currentRevision, compactRevision, meta, leases, keys };
}

function decodeRecord(d: Decoder, h: KeyHistory, currentRevision: number): KeyRecord {
  const main = d.i64();
  const sub = d.u32();
  const kind = d.u8();
  if (main < 2 || main > currentRevision) throw inconsistent(`revision ${main} out of range`);
  let kv: KeyValue;
  if (kind === KIND_DELETE) {
    kv = { key: h.key, createRevision: 0, modRevision: main, version: 0, value: EMPTY_BYTES, lease: 0 };
  } else if (kind === KIND_PUT) {
    const createRevision = d.i64();
    const version = d.i64();
    const lease = d.i64();
    const value = d.bytes();
    if (createRevision < 1 || createRevision > main || version < 1) {
      throw inconsistent(`record at ${main} has create revision ${createRevision}, version ${version}`);
    }
    kv = { key: h.key, createRevision, modRevision: main, version, value, lease };
  } else {
    throw inconsistent(`unknown record kind ${kind}`);
  }
  const prev = h.last();
  if (prev !== undefined && (main < prev.main || (main === prev.main && sub <= prev.sub))) {
    throw inconsistent(`records of a key out of order at revision ${main}`);
  }
  return { main, sub, kv };
}

/** Within a key, each put continues its generation or (after a delete) starts a new one. */
function checkGenerations(h: KeyHistory): void {
  const rs = h.records;
  for (let i = 1; i < rs.length; i++) {
    const prev = rs[i - 1] as KeyRecord;
    const r = rs[i] as KeyRecord;
    if (isTombstone(r)) {
      if (isTombstone(prev)) throw inconsistent(`key deleted twice at revision ${r.main}`);
      continue;
    }
    const ok = isTombstone(prev)
      ? r.kv.version === 1 && r.kv.createRevision === r.main
      : r.kv.version === prev.kv.version + 1 && r.kv.createRevision === prev.kv.createRevision;
    if (!ok) throw inconsistent(`generation broken at revision ${r.main}`);
  }
}

/**
 * Every revision after the compact revision made at least one record, and records never leave
 * that window, so a revision without any is a hole watchers would fall into.
 */
function checkRevisionsComplete(keys: readonly KeyHistory[], compactRevision: number, currentRevision: number): void {
  const first = Math.max(compactRevision + 1, 2);
  if (first > currentRevision) return;
  const seen = new Uint8Array(currentRevision - first + 1);
  for (const h of keys) for (const r of h.records) if (r.main >= first) seen[r.main - first] = 1;
  const hole = seen.indexOf(0);
  if (hole !== -1) throw inconsistent(`no record of revision ${first + hole}`);
}
