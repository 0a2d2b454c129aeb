import type { ConfChange, ConfState } from "../raft/index.js";
import type { StateMachine } from "../raftnode/index.js";
import { MvccError, MvccStore } from "../mvcc/index.js";
import type { StoreOptions } from "../mvcc/index.js";
import { decodePlain, messageType } from "./codec.js";
import { errors } from "./errors.js";
import type { MemberInfo } from "./members.js";

const InternalRequest = messageType("raftplane.kv.InternalRequest");
const MemberContext = messageType("raftplane.kv.MemberContext");

export const AlarmType = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;
export const AlarmAction = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;

export interface AlarmMember {
  readonly memberID: number;
  readonly alarm: number;
}

/** The request kinds of proto/internal.proto, with their plain-object bodies. */
export type InternalRequest =
  | { readonly request: "put"; readonly put: object }
  | { readonly request: "deleteRange"; readonly deleteRange: object }
  | { readonly request: "txn"; readonly txn: object }
  | { readonly request: "compaction"; readonly compaction: { revision?: number } }
  | { readonly request: "leaseGrant"; readonly leaseGrant: { ID?: number; TTL?: number } }
  | { readonly request: "leaseRevoke"; readonly leaseRevoke: { ID?: number } }
  | { readonly request: "leaseCheckpoint"; readonly leaseCheckpoint: { checkpoints?: { ID?: number; remainingTTL?: number }[] } }
  | { readonly request: "alarm"; readonly alarm: { action?: number; memberID?: number; alarm?: number } }
  | { readonly request: "memberAttributes"; readonly memberAttributes: { memberId?: number; name?: string; clientUrls?: string[] } }
  | { readonly request: "memberUpdate"; readonly memberUpdate: { memberId?: number; peerUrls?: string[] } };

export function encodeInternalRequest(req: InternalRequest): Uint8Array {
  return InternalRequest.encode(req as unknown as Record<string, unknown>).finish();
}

export interface MemberContextFields {
  readonly name?: string;
  readonly peerUrls?: readonly string[];
  readonly isLearner?: boolean;
}

export function encodeMemberContext(ctx: MemberContextFields): Uint8Array {
  return MemberContext.encode(ctx as Record<string, unknown>).finish();
}

interface SnapshotMeta {
  readonly members: MemberInfo[];
  readonly alarms: AlarmMember[];
  readonly removed?: number[];
}

/**
 * The replicated state of a KV member: the MVCC store, the member list and the raised alarms.
 * Every member applies the same entries in the same order; results go back to the proposer
 * (errors as values, so one bad request never stops the apply loop).
 */
export class KvStateMachine implements StateMachine {
  readonly store: MvccStore;
  private members = new Map<number, MemberInfo>();
  /** Ids removed from the cluster, never to return: their peers refuse them (etcd's cluster.removed). */
  private removed = new Set<number>();
  private alarms: AlarmMember[] = [];

  /** Called after every change to the member list (the transport follows peer URLs). */
  onMembersChanged: (members: readonly MemberInfo[]) => void = () => undefined;

  constructor(storeOptions: StoreOptions = {}, founders: readonly MemberInfo[] = []) {
    this.store = new MvccStore(storeOptions);
    for (const m of founders) this.members.set(m.id, m);
  }

  /**
   * Replace the member list and clear alarms: a snapshot restored into a new cluster keeps its
   * keys but takes the new cluster's members (as etcdctl snapshot restore does).
   */
  resetMembers(members: readonly MemberInfo[]): void {
    this.members = new Map(members.map((m) => [m.id, m]));
    this.removed = new Set();
    this.alarms = [];
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  memberList(): MemberInfo[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  member(id: number): MemberInfo | undefined {
    return this.members.get(id);
  }

  alarmList(): readonly AlarmMember[] {
    return this.alarms;
  }

  hasAlarm(alarm: number): boolean {
    return this.alarms.some((a) => a.alarm === alarm);
  }

  apply(payload: Uint8Array): unknown {
    let req: InternalRequest;
    try {
      req = decodePlain(InternalRequest, payload) as InternalRequest;
    } catch (err) {
      return new Error("etcdserver: cannot decode a replicated request", { cause: err });
    }
    try {
      return this.applyRequest(req);
    } catch (err) {
      if (err instanceof MvccError) return err;
      throw err;
    }
  }

  private applyRequest(req: InternalRequest): unknown {
    const noSpace = this.hasAlarm(AlarmType.NOSPACE);
    switch (req.request) {
      case "put":
        if (noSpace) return errors.noSpace();
        return this.store.put(req.put);
      case "deleteRange":
        return this.store.deleteRange(req.deleteRange);
      case "txn":
        if (noSpace && txnWrites(req.txn)) return errors.noSpace();
        return this.store.txn(req.txn);
      case "compaction":
        return this.store.compact(req.compaction.revision ?? 0);
      case "leaseGrant":
        if (noSpace) return errors.noSpace();
        return this.store.leaseGrant(req.leaseGrant.ID ?? 0, req.leaseGrant.TTL ?? 0);
      case "leaseRevoke":
        return this.store.leaseRevoke(req.leaseRevoke.ID ?? 0);
      case "leaseCheckpoint":
        return this.store.leaseCheckpoint(
          (req.leaseCheckpoint.checkpoints ?? []).map((c) => ({ id: c.ID ?? 0, remainingTtl: c.remainingTTL ?? 0 })),
        );
      case "alarm":
        return this.applyAlarm(req.alarm.action ?? 0, req.alarm.memberID ?? 0, req.alarm.alarm ?? 0);
      case "memberAttributes": {
        const a = req.memberAttributes;
        const m = this.members.get(a.memberId ?? 0);
        if (m) this.members.set(m.id, { ...m, name: a.name ?? "", clientURLs: a.clientUrls ?? [] });
        return { revision: this.store.currentRevision };
      }
      case "memberUpdate": {
        const u = req.memberUpdate;
        const m = this.members.get(u.memberId ?? 0);
        if (!m) return errors.memberNotFound();
        this.members.set(m.id, { ...m, peerURLs: u.peerUrls ?? [] });
        this.onMembersChanged(this.memberList());
        return this.memberList();
      }
    }
  }

  private applyAlarm(action: number, memberID: number, alarm: number): { alarms: AlarmMember[] } {
    if (action === AlarmAction.ACTIVATE) {
      if (!this.alarms.some((a) => a.memberID === memberID && a.alarm === alarm)) {
        this.alarms = [...this.alarms, { memberID, alarm }].sort((a, b) => a.memberID - b.memberID || a.alarm - b.alarm);
      }
      return { alarms: [{ memberID, alarm }] };
    }
    if (action === AlarmAction.DEACTIVATE) {
      const removed = this.alarms.filter((a) => matches(a, memberID, alarm));
      this.alarms = this.alarms.filter((a) => !matches(a, memberID, alarm));
      return { alarms: removed };
    }
    return { alarms: this.alarms.filter((a) => matches(a, memberID, alarm)) };
  }

  applyConfChange(change: ConfChange, _confState: ConfState): unknown {
    const ctx = change.context ? (decodePlain(MemberContext, change.context) as MemberContextFields) : {};
    const id = change.nodeId;
    const existing = this.members.get(id);
    switch (change.type) {
      case "addNode":
        this.members.set(id, existing
          ? { ...existing, isLearner: false }
          : { id, name: ctx.name ?? "", peerURLs: ctx.peerUrls ?? [], clientURLs: [], isLearner: false });
        break;
      case "addLearner":
        if (!existing) this.members.set(id, { id, name: ctx.name ?? "", peerURLs: ctx.peerUrls ?? [], clientURLs: [], isLearner: true });
        break;
      case "removeNode":
        this.members.delete(id);
        this.removed.add(id);
        this.alarms = this.alarms.filter((a) => a.memberID !== id);
        break;
    }
    this.onMembersChanged(this.memberList());
    return this.memberList();
  }

  snapshot(): Uint8Array {
    const meta: SnapshotMeta = { members: this.memberList(), alarms: this.alarms, removed: [...this.removed].sort((a, b) => a - b) };
    return this.store.snapshot(new TextEncoder().encode(JSON.stringify(meta)));
  }

  restore(data: Uint8Array): void {
    const { meta } = this.store.restore(data);
    const parsed = JSON.parse(new TextDecoder().decode(meta)) as SnapshotMeta;
    this.members = new Map(parsed.members.map((m) => [m.id, m]));
    this.alarms = parsed.alarms;
    this.removed = new Set(parsed.removed ?? []);
    this.onMembersChanged(this.memberList());
  }
}

function matches(a: AlarmMember, memberID: number, alarm: number): boolean {
  return (memberID === 0 || a.memberID === memberID) && (alarm === AlarmType.NONE || a.alarm === alarm);
}

/** Whether a txn could write (any put in any branch, nested included). */
function txnWrites(txn: object): boolean {
  const t = txn as { success?: object[]; failure?: object[] };
  return [...(t.success ?? []), ...(t.failure ?? [])].some((op) => {
    const o = op as { requestPut?: object; requestTxn?: object };
    return o.requestPut !== undefined || (o.requestTxn !== undefined && txnWrites(o.requestTxn));
  });
}
