import { EMPTY_BYTES, compareBytes, copyBytes, keyId, keySpan } from "./bytes.js";
import type { KeySpan } from "./bytes.js";
import { Encoder } from "./codec.js";
import { crc32c } from "./crc32c.js";
import {
  CompactedError,
  FutureRevisionError,
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTtlTooLargeError,
} from "./errors.js";
import { KeyHistory, KeyIndex, isTombstone } from "./keyindex.js";
import type { KeyRecord } from "./keyindex.js";
import { LeaseTable, MAX_LEASE_TTL } from "./lease.js";
import { decodeSnapshot, encodeRecord, encodeSnapshot } from "./snapshot.js";
import { CompareResult, CompareTarget, SortOrder, SortTarget } from "./types.js";
import type {
  CompactResponse,
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  HashKVResponse,
  KeyValue,
  LeaseCheckpoint,
  LeaseGrantResponse,
  LeaseInfo,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from "./types.js";
import {
  opRequest,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from "./validate.js";
import { WatchHub } from "./watch.js";
import type { RevisionEvents, WatchHubOptions, WatchOptions, WatchableHistory, Watcher } from "./watch.js";

export interface StoreOptions {
  /**
   * Shortest lease TTL in seconds; grants below it are raised to it (etcd derives it from the
   * election timeout). Part of the replicated behaviour: every replica must use the same value.
   * Default 0 (no minimum).
   */
  minLeaseTtl?: number;
  /** Settings of this replica's watch hub (local, not replicated). */
  watch?: WatchHubOptions;
}

/**
 * Rough bytes a stored revision costs beyond its key and value (revision, fields, index slot),
 * so that sizeBytes() tracks many small writes too.
 */
const RECORD_OVERHEAD = 64;
const LEASE_OVERHEAD = 64;

const ZERO_KV: KeyValue = {
  key: EMPTY_BYTES,
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: EMPTY_BYTES,
  lease: 0,
};

function recordBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + RECORD_OVERHEAD;
}

/**
 * One write transaction in progress. Records go straight into the key histories under the new
 * revision, so reads inside the transaction see them (as etcd's do); `undo` puts everything
 * back if an operation fails, and the revision only becomes visible at commit.
 */
interface WriteTxn {
  readonly rev: number;
  readonly events: Event[];
  readonly ids: string[];
  readonly undo: (() => void)[];
}

/** A transaction with its branch chosen: compares are all evaluated before anything runs. */
interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly RequestOp[];
  /** The plan of each nested transaction, by position in ops. */
  readonly nested: readonly (TxnPlan | undefined)[];
}

/**
 * etcd's MVCC key-value store as a deterministic state machine, applied on every replica in log
 * order. Every write transaction (put, delete-range, txn, lease revoke) that changes something
 * creates exactly one revision; every key keeps its revisions until compaction.
 *
 * Nothing here reads a clock or a random source, and nothing observable depends on Map or Set
 * iteration order, so replicas that apply the same requests hold the same state, answer the
 * same responses and errors, and compute the same hashKV.
 */
export class MvccStore implements WatchableHistory {
  private index = new KeyIndex();
  private leases = new LeaseTable();
  private currentRev = 1;
  /** 0 until the first compaction. */
  private compactRev = 0;
  /** Events of revisions historyBase..currentRev, for watchers catching up. */
  private history: RevisionEvents[] = [];
  private historyBase = 1;
  private dataBytes = 0;
  private readonly minLeaseTtl: number;
  readonly watchHub: WatchHub;

  constructor(options: StoreOptions = {}) {
    this.minLeaseTtl = options.minLeaseTtl ?? 0;
    this.history.push({ revision: 1, events: [], ids: [] });
    this.watchHub = new WatchHub(this, options.watch);
  }

  /** The revision of the last write (1 for an empty store). */
  get currentRevision(): number {
    return this.currentRev;
  }

  /** The last compaction's revision; reads below it fail. 0 if never compacted. */
  get compactRevision(): number {
    return this.compactRev;
  }

  /** @internal WatchableHistory */
  eventsAt(revision: number): RevisionEvents | undefined {
    return this.history[revision - this.historyBase];
  }

  // ---- KV ------------------------------------------------------------------------------

  range(req: RangeRequest): RangeResponse {
    validateRangeRequest(req);
    return this.rangeAt(req, this.currentRev);
  }

  put(req: PutRequest): PutResponse {
    validatePutRequest(req);
    const lease = req.lease ?? 0;
    if (lease !== 0 && this.leases.get(lease) === undefined) throw new LeaseNotFoundError(lease);
    return this.write((w) => this.putIn(w, req));
  }

  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    validateDeleteRangeRequest(req);
    return this.write((w) => this.deleteIn(w, req));
  }

  /**
   * etcd's transaction: every compare (nested ones too) is evaluated against the state before
   * the transaction; the chosen operations are then checked (leases exist, keys exist for
   * ignoreValue/ignoreLease, read revisions are readable) and run in order, each seeing the
   * writes before it. All writes share one revision; none if nothing was written.
   * `maxTxnOps` is not enforced here: that limit belongs to the API layer.
   */
  txn(req: TxnRequest): TxnResponse {
    validateTxnRequest(req, Infinity);
    const plan = this.plan(req);
    this.checkPlan(plan);
    return this.write((w) => this.execTxn(w, plan));
  }

  /**
   * Drops every revision below `revision` except each key's newest one at that point (and
   * that one too when it is a deletion). Reads at `revision` and later are unchanged; earlier
   * ones fail with CompactedError, and watchers that still needed them are canceled.
   */
  compact(revision: number): CompactResponse {
    checkInt("revision", revision);
    if (revision <= this.compactRev) throw new CompactedError(this.compactRev, revision);
    if (revision > this.currentRev) throw new FutureRevisionError(this.currentRev, revision);
    let bytes = 0;
    this.index.retain((h) => {
      const rs = h.records;
      const newest = lastAtOrBelow(rs, revision);
      if (newest >= 0) {
        const drop = isTombstone(rs[newest] as KeyRecord) ? newest + 1 : newest;
        if (drop > 0) h.records = rs.slice(drop);
      }
      for (const r of h.records) bytes += recordBytes(r.kv);
      return h.records.length > 0;
    });
    this.dataBytes = bytes;
    this.history = this.history.slice(revision + 1 - this.historyBase);
    this.historyBase = revision + 1;
    this.compactRev = revision;
    this.watchHub.compacted(revision);
    return { revision: this.currentRev };
  }

  // ---- leases --------------------------------------------------------------------------

  /** Creates a lease. The id is chosen by the proposer (etcd's leader picks one for id 0). */
  leaseGrant(id: number, ttl: number): LeaseGrantResponse {
    checkInt("lease id", id);
    checkInt("ttl", ttl);
    if (id === 0) throw new LeaseNotFoundError(id);
    if (ttl > MAX_LEASE_TTL) throw new LeaseTtlTooLargeError(ttl, MAX_LEASE_TTL);
    if (this.leases.get(id) !== undefined) throw new LeaseExistsError(id);
    const granted = Math.max(ttl, this.minLeaseTtl);
    this.leases.add({ id, ttl: granted, remainingTtl: 0, keys: new Set() });
    return { id, ttl: granted, revision: this.currentRev };
  }

  /** Deletes the lease and, in one revision, its keys in ascending key order (as etcd). */
  leaseRevoke(id: number): LeaseRevokeResponse {
    checkInt("lease id", id);
    const l = this.leases.get(id);
    if (l === undefined) throw new LeaseNotFoundError(id);
    const resp = this.write((w) => {
      for (const k of [...l.keys].sort()) {
        const h = this.index.get(k);
        if (h?.liveAt(this.readRev(w)) !== undefined) this.applyDelete(w, h);
      }
      return { revision: this.readRev(w) };
    });
    this.leases.delete(id);
    return resp;
  }

  /**
   * Records remaining TTLs so a new leader does not restart them from the full TTL. Unknown
   * leases are skipped (a revoke may have overtaken the checkpoint), as etcd does. A renewal
   * of a checkpointed lease is a checkpoint with remainingTtl 0.
   */
  leaseCheckpoint(checkpoints: readonly LeaseCheckpoint[]): { revision: number } {
    for (const c of checkpoints) {
      checkInt("lease id", c.id);
      checkInt("remaining ttl", c.remainingTtl);
    }
    for (const c of checkpoints) {
      const l = this.leases.get(c.id);
      if (l !== undefined) l.remainingTtl = c.remainingTtl;
    }
    return { revision: this.currentRev };
  }

  /** A lease's replicated data; undefined when it does not exist (etcd answers TTL -1). */
  leaseTimeToLive(id: number, withKeys = false): LeaseInfo | undefined {
    const l = this.leases.get(id);
    if (l === undefined) return undefined;
    const info = { id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl };
    if (!withKeys) return info;
    const keys = [...l.keys].sort().map((k) => (this.index.get(k) as KeyHistory).key);
    return { ...info, keys };
  }

  /** Every lease in ascending id order, with its keys when asked (for a lessor taking over). */
  leaseList(withKeys = false): LeaseInfo[] {
    return this.leases.sorted().map((l) => this.leaseTimeToLive(l.id, withKeys) as LeaseInfo);
  }

  // ---- watch ---------------------------------------------------------------------------

  /** Shorthand for watchHub.watch. */
  watch(key: Uint8Array, rangeEnd: Uint8Array | undefined, startRevision: number, options?: WatchOptions): Watcher {
    return this.watchHub.watch(key, rangeEnd, startRevision, options);
  }

  // ---- integrity, snapshots, size ------------------------------------------------------

  /**
   * CRC-32C over every kept revision ≤ revision (0: the current one) in key order, each with
   * its key, revision, kind, create revision, version, lease and value, and over the compact
   * revision. Replicas with the same history and compactions agree; the result does not change
   * as later revisions are written, so replicas at different heads can compare at a common one.
   */
  hashKV(revision = 0): HashKVResponse {
    checkInt("revision", revision);
    if (revision > this.currentRev) throw new FutureRevisionError(this.currentRev, revision);
    const rev = revision <= 0 ? this.currentRev : revision;
    if (rev < this.compactRev) throw new CompactedError(this.compactRev, rev);
    let crc = 0;
    const enc = new Encoder((chunk) => {
      crc = crc32c(chunk, crc);
    });
    this.index.forEach((h) => {
      const n = lastAtOrBelow(h.records, rev) + 1;
      if (n === 0) return;
      enc.bytes(h.key);
      enc.u32(n);
      for (let i = 0; i < n; i++) encodeRecord(enc, h.records[i] as KeyRecord);
    });
    enc.i64(this.compactRev);
    enc.finish();
    return { hash: crc, revision: rev, compactRevision: this.compactRev };
  }

  /**
   * The whole replicated state (kept revisions, leases, current and compact revision) plus
   * `meta`, opaque to the store (e.g. the applied raft index), in a versioned, checksummed form.
   */
  snapshot(meta: Uint8Array = EMPTY_BYTES): Uint8Array {
    const keys: KeyHistory[] = [];
    this.index.forEach((h) => keys.push(h));
    return encodeSnapshot({
      currentRevision: this.currentRev,
      compactRevision: this.compactRev,
      meta,
      leases: this.leases.sorted(),
      keys,
    });
  }

  /**
   * Replaces the whole state with a snapshot's and returns its meta. Corrupt or inconsistent
   * input raises SnapshotCorruptError and leaves the store as it was. Watchers carry on from
   * their revision, fed from the restored history (or canceled if it was compacted away).
   */
  restore(snapshot: Uint8Array): { meta: Uint8Array } {
    const s = decodeSnapshot(snapshot);
    const leases = new LeaseTable();
    for (const l of s.leases) leases.add({ id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl, keys: new Set() });
    let bytes = 0;
    // the history watchers read: every record after the compact revision, by revision then sub
    const base = s.compactRevision + 1;
    const buckets: { h: KeyHistory; r: KeyRecord }[][] = [];
    for (const h of s.keys) {
      const last = h.last() as KeyRecord;
      if (!isTombstone(last) && last.kv.lease !== 0) leases.attach(last.kv.lease, h.id);
      for (const r of h.records) {
        bytes += recordBytes(r.kv);
        if (r.main >= base) (buckets[r.main - base] ??= []).push({ h, r });
      }
    }
    const history: RevisionEvents[] = [];
    for (let rev = base; rev <= s.currentRevision; rev++) {
      const bucket = (buckets[rev - base] ?? []).sort((a, b) => a.r.sub - b.r.sub);
      history.push({ revision: rev, events: bucket.map((x) => eventFor(x.h, x.r)), ids: bucket.map((x) => x.h.id) });
    }
    const previous = this.currentRev;
    this.index = KeyIndex.fromSorted(s.keys);
    this.leases = leases;
    this.currentRev = s.currentRevision;
    this.compactRev = s.compactRevision;
    this.history = history;
    this.historyBase = base;
    this.dataBytes = bytes;
    this.watchHub.restored(previous);
    return { meta: s.meta };
  }

  /** Approximate bytes of stored data (all kept revisions and leases), for the space quota. */
  sizeBytes(): number {
    return this.dataBytes + this.leases.size * LEASE_OVERHEAD;
  }

  // ---- internals -----------------------------------------------------------------------

  /** Runs fn as one write transaction: commits its revision, or undoes everything on error. */
  private write<T>(fn: (w: WriteTxn) => T): T {
    const w: WriteTxn = { rev: this.currentRev + 1, events: [], ids: [], undo: [] };
    let result: T;
    try {
      result = fn(w);
    } catch (e) {
      for (let i = w.undo.length - 1; i >= 0; i--) (w.undo[i] as () => void)();
      throw e;
    }
    if (w.events.length > 0) {
      this.currentRev = w.rev;
      const rec: RevisionEvents = { revision: w.rev, events: w.events, ids: w.ids };
      this.history.push(rec);
      this.watchHub.publish(rec);
    }
    return result;
  }

  /** What reads inside a write see: the new revision once anything was written (etcd). */
  private readRev(w: WriteTxn): number {
    return w.events.length > 0 ? w.rev : w.rev - 1;
  }

  /** Calls fn with each key live at rev in the span, in key order, until fn returns false. */
  private scanLive(span: KeySpan, rev: number, fn: (h: KeyHistory, kv: KeyValue) => boolean | void): void {
    if (span.end === undefined) {
      const h = this.index.get(span.start);
      const kv = h?.liveAt(rev);
      if (h !== undefined && kv !== undefined) fn(h, kv);
      return;
    }
    this.index.scan(span.start, span.end, (h) => {
      const kv = h.liveAt(rev);
      return kv === undefined ? true : fn(h, kv);
    });
  }

  /** etcd's executeRange over rangeKeys, reading as of `curRev` (the head, or a txn's view). */
  private rangeAt(r: RangeRequest, curRev: number): RangeResponse {
    let rev = r.revision ?? 0;
    if (rev > curRev) throw new FutureRevisionError(curRev, rev);
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new CompactedError(this.compactRev, rev);

    const limit = r.limit ?? 0;
    const order = r.sortOrder ?? SortOrder.NONE;
    const target = r.sortTarget ?? SortTarget.KEY;
    const minMod = r.minModRevision ?? 0;
    const maxMod = r.maxModRevision ?? 0;
    const minCreate = r.minCreateRevision ?? 0;
    const maxCreate = r.maxCreateRevision ?? 0;
    const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
    // Like etcd, fetch everything when sorting or filtering, else limit+1 to learn `more`.
    // etcd decides this before defaulting NONE to ASCEND for non-key targets, so a sort by
    // another target with order NONE sorts only the first limit+1 keys; so does this.
    let fetch = isDefaultOrdering(target, order) && !filtered ? limit : 0;
    if (fetch > 0) fetch++;

    let count = 0;
    let kvs: KeyValue[] = [];
    const countOnly = r.countOnly ?? false;
    this.scanLive(keySpan(r.key, r.rangeEnd), rev, (_h, kv) => {
      count++;
      if (!countOnly && (fetch <= 0 || kvs.length < fetch)) kvs.push(kv);
    });

    if (filtered) {
      kvs = kvs.filter(
        (kv) =>
          !(maxMod !== 0 && kv.modRevision > maxMod) &&
          !(minMod !== 0 && kv.modRevision < minMod) &&
          !(maxCreate !== 0 && kv.createRevision > maxCreate) &&
          !(minCreate !== 0 && kv.createRevision < minCreate),
      );
    }
    sortKvs(kvs, target, order === SortOrder.NONE && target !== SortTarget.KEY ? SortOrder.ASCEND : order);

    let more = false;
    if (limit > 0 && kvs.length > limit) {
      kvs.length = limit;
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
    return { kvs, more, count, revision: curRev };
  }

  private putIn(w: WriteTxn, req: PutRequest): PutResponse {
    const key = req.key as Uint8Array;
    const id = keyId(key);
    let prev: KeyValue | undefined;
    if (req.ignoreValue || req.ignoreLease || req.prevKv) prev = this.index.get(id)?.liveAt(this.readRev(w));
    if ((req.ignoreValue || req.ignoreLease) && prev === undefined) throw new KeyNotFoundError(key);
    const value = req.ignoreValue ? (prev as KeyValue).value : copyBytes(req.value);
    const lease = req.ignoreLease ? (prev as KeyValue).lease : (req.lease ?? 0);
    this.applyPut(w, key, id, value, lease);
    return req.prevKv && prev !== undefined ? { prevKv: prev, revision: w.rev } : { revision: w.rev };
  }

  private deleteIn(w: WriteTxn, req: DeleteRangeRequest): DeleteRangeResponse {
    const victims: KeyHistory[] = [];
    const prevKvs: KeyValue[] = [];
    this.scanLive(keySpan(req.key, req.rangeEnd), this.readRev(w), (h, kv) => {
      victims.push(h);
      if (req.prevKv) prevKvs.push(kv);
    });
    for (const h of victims) this.applyDelete(w, h);
    return { deleted: victims.length, prevKvs, revision: this.readRev(w) };
  }

  private applyPut(w: WriteTxn, key: Uint8Array, id: string, value: Uint8Array, lease: number): void {
    let h = this.index.get(id);
    if (h === undefined) {
      const created = new KeyHistory(id, copyBytes(key));
      this.index.insert(created);
      w.undo.push(() => this.index.remove(created.id));
      h = created;
    }
    const last = h.last();
    const live = last !== undefined && !isTombstone(last) ? last.kv : undefined;
    this.appendRecord(w, h, {
      key: h.key,
      createRevision: live?.createRevision ?? w.rev,
      modRevision: w.rev,
      version: (live?.version ?? 0) + 1,
      value,
      lease,
    });
    const oldLease = live?.lease ?? 0;
    if (oldLease !== lease) {
      if (oldLease !== 0) this.detachLease(w, oldLease, id);
      if (lease !== 0) this.attachLease(w, lease, id);
    }
  }

  private applyDelete(w: WriteTxn, h: KeyHistory): void {
    const live = (h.last() as KeyRecord).kv;
    this.appendRecord(w, h, {
      key: h.key,
      createRevision: 0,
      modRevision: w.rev,
      version: 0,
      value: EMPTY_BYTES,
      lease: 0,
    });
    if (live.lease !== 0) this.detachLease(w, live.lease, h.id);
  }

  private appendRecord(w: WriteTxn, h: KeyHistory, kv: KeyValue): void {
    const record: KeyRecord = { main: w.rev, sub: w.events.length, kv };
    const event = eventFor(h, record);
    const history = h;
    history.records.push(record);
    const size = recordBytes(kv);
    this.dataBytes += size;
    w.undo.push(() => {
      history.records.pop();
      this.dataBytes -= size;
    });
    w.events.push(event);
    w.ids.push(h.id);
  }

  private attachLease(w: WriteTxn, lease: number, id: string): void {
    this.leases.attach(lease, id);
    w.undo.push(() => this.leases.detach(lease, id));
  }

  private detachLease(w: WriteTxn, lease: number, id: string): void {
    this.leases.detach(lease, id);
    w.undo.push(() => this.leases.attach(lease, id));
  }

  /** etcd's compareToPath: choose every branch against the state before the transaction. */
  private plan(t: TxnRequest): TxnPlan {
    const succeeded = (t.compare ?? []).every((c) => this.compareHolds(c));
    const ops = (succeeded ? t.success : t.failure) ?? [];
    const nested = ops.map((op) => {
      const o = opRequest(op);
      return o?.type === "txn" ? this.plan(o.req) : undefined;
    });
    return { succeeded, ops, nested };
  }

  private compareHolds(c: Compare): boolean {
    let any = false;
    let holds = true;
    this.scanLive(keySpan(c.key, c.rangeEnd), this.currentRev, (_h, kv) => {
      any = true;
      holds = compareKv(c, kv);
      return holds;
    });
    if (any) return holds;
    // a missing key has no value to compare (nil and empty are the same on the wire)
    return (c.target ?? CompareTarget.VERSION) === CompareTarget.VALUE ? false : compareKv(c, ZERO_KV);
  }

  /** etcd's checkTxn: what can fail is found before the first write. */
  private checkPlan(p: TxnPlan): void {
    // etcd's first readable revision is -1 before any compaction, so only then do negative
    // read revisions pass this check
    const firstRev = this.compactRev === 0 ? -1 : this.compactRev;
    p.ops.forEach((op, i) => {
      const o = opRequest(op);
      switch (o?.type) {
        case "range": {
          const rev = o.req.revision ?? 0;
          if (rev === 0) return;
          if (rev > this.currentRev) throw new FutureRevisionError(this.currentRev, rev);
          if (rev < firstRev) throw new CompactedError(this.compactRev, rev);
          return;
        }
        case "put": {
          const req = o.req;
          if ((req.ignoreValue || req.ignoreLease) && this.index.get(keyId(req.key as Uint8Array))?.liveAt(this.currentRev) === undefined) {
            throw new KeyNotFoundError(req.key);
          }
          const lease = req.lease ?? 0;
          if (lease !== 0 && this.leases.get(lease) === undefined) throw new LeaseNotFoundError(lease);
          return;
        }
        case "txn":
          this.checkPlan(p.nested[i] as TxnPlan);
          return;
        default:
          return;
      }
    });
  }

  private execTxn(w: WriteTxn, p: TxnPlan): TxnResponse {
    const responses: ResponseOp[] = [];
    p.ops.forEach((op, i) => {
      const o = opRequest(op);
      switch (o?.type) {
        case "range":
          responses.push({ responseRange: this.rangeAt(o.req, this.readRev(w)) });
          return;
        case "put":
          responses.push({ responsePut: this.putIn(w, o.req) });
          return;
        case "deleteRange":
          responses.push({ responseDeleteRange: this.deleteIn(w, o.req) });
          return;
        case "txn":
          responses.push({ responseTxn: this.execTxn(w, p.nested[i] as TxnPlan) });
          return;
        default:
          return;
      }
    });
    return { succeeded: p.succeeded, responses, revision: this.readRev(w) };
  }
}

function checkInt(field: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(field, `${String(v)} is not a safe integer`);
}

/** Index of the last record with main ≤ rev, or -1. */
function lastAtOrBelow(rs: readonly KeyRecord[], rev: number): number {
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rs[mid] as KeyRecord).main <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function isDefaultOrdering(target: SortTarget, order: SortOrder): boolean {
  return order === SortOrder.NONE || (target === SortTarget.KEY && order === SortOrder.ASCEND);
}

/**
 * Sorts in place as etcd does. Array.prototype.sort is stable, so ties keep key order (etcd's
 * sort is not stable; its tie order is unspecified).
 */
function sortKvs(kvs: KeyValue[], target: SortTarget, order: SortOrder): void {
  if (isDefaultOrdering(target, order)) return;
  if (target === SortTarget.KEY) {
    kvs.reverse();
    return;
  }
  const asc = ascending(target);
  kvs.sort(order === SortOrder.DESCEND ? (a, b) => asc(b, a) : asc);
}

function ascending(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case SortTarget.VERSION:
      return (a, b) => a.version - b.version;
    case SortTarget.CREATE:
      return (a, b) => a.createRevision - b.createRevision;
    case SortTarget.MOD:
      return (a, b) => a.modRevision - b.modRevision;
    case SortTarget.VALUE:
      return (a, b) => compareBytes(a.value, b.value);
    default:
      return (a, b) => compareBytes(a.key, b.key);
  }
}

/** etcd's compareKV: only the field named by the target is read; absent means 0 or empty. */
function compareKv(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target ?? CompareTarget.VERSION) {
    case CompareTarget.VALUE:
      result = compareBytes(kv.value, c.value ?? EMPTY_BYTES);
      break;
    case CompareTarget.CREATE:
      result = Math.sign(kv.createRevision - (c.createRevision ?? 0));
      break;
    case CompareTarget.MOD:
      result = Math.sign(kv.modRevision - (c.modRevision ?? 0));
      break;
    case CompareTarget.LEASE:
      result = Math.sign(kv.lease - (c.lease ?? 0));
      break;
    default:
      result = Math.sign(kv.version - (c.version ?? 0));
      break;
  }
  switch (c.result ?? CompareResult.EQUAL) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
    default:
      return true;
  }
}

/**
 * The event a record makes. prevKv is what a read at the revision before returns, and a
 * creation has none, as etcd's watch server computes them; records of the same revision do not
 * affect it, so this gives the same event when writing and when rebuilding after restore.
 */
function eventFor(h: KeyHistory, r: KeyRecord): Event {
  const type = isTombstone(r) ? "DELETE" : "PUT";
  const prev = h.liveAt(r.main - 1);
  return prev !== undefined && !(type === "PUT" && r.kv.version === 1)
    ? { type, kv: r.kv, prevKv: prev }
    : { type, kv: r.kv };
}
