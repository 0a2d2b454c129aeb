import { createHash } from "node:crypto";
import type { ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { ServerContext } from "./context.js";
import { errors } from "./errors.js";
import { unary } from "./kv-service.js";
import { etcdProtocolVersion } from "./version.js";
import { AlarmAction, AlarmType } from "./state.js";
import { toServiceError } from "./status.js";

/** Snapshot stream chunk size (etcd sends 32 KiB). */
const chunkBytes = 32 * 1024;

const alarmNames: Record<number, string> = { [AlarmType.NOSPACE]: "NOSPACE", [AlarmType.CORRUPT]: "CORRUPT" };

/**
 * A snapshot file: an 8-byte length, the state machine's image, zero padding to a multiple of
 * 512 bytes, then the SHA-256 of everything before it. etcdctl checks that a snapshot is
 * page-aligned with a SHA-256 trailer (the shape of etcd's own files); the length lets
 * `raftplane ctl snapshot restore` find the image, the hash a damaged or truncated file.
 */
export function snapshotFile(image: Uint8Array): Uint8Array {
  const body = Math.ceil((8 + image.length) / 512) * 512;
  const out = new Uint8Array(body + 32);
  new DataView(out.buffer).setBigUint64(0, BigInt(image.length));
  out.set(image, 8);
  out.set(createHash("sha256").update(out.subarray(0, body)).digest(), body);
  return out;
}

/** The image inside a snapshot file; throws when the file is damaged. */
export function snapshotImage(file: Uint8Array): Uint8Array {
  if (file.length < 512 + 32 || (file.length - 32) % 512 !== 0) {
    throw new Error(`snapshot file has ${file.length} bytes: not a raftplane snapshot, or truncated`);
  }
  const body = file.length - 32;
  const want = createHash("sha256").update(file.subarray(0, body)).digest();
  if (!want.equals(file.subarray(body))) throw new Error("snapshot file is damaged: SHA-256 mismatch");
  const length = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0));
  if (8 + length > body) throw new Error("snapshot file is damaged: image length past the end");
  return file.subarray(8, 8 + length);
}

/** etcdserverpb.Maintenance. */
export function maintenanceService(ctx: ServerContext): UntypedServiceImplementation {
  const store = ctx.sm.store;
  return {
    Status: unary<object>(async () => {
      const s = ctx.node.status();
      const self = ctx.sm.member(ctx.memberId);
      return {
        header: ctx.header(),
        version: etcdProtocolVersion,
        dbSize: store.sizeBytes(),
        dbSizeInUse: store.sizeBytes(),
        leader: s.leader,
        raftIndex: s.commit,
        raftTerm: s.term,
        raftAppliedIndex: s.applied,
        errors: ctx.sm.alarmList().map((a) => `memberID:${a.memberID} alarm:${alarmNames[a.alarm] ?? a.alarm} `),
        isLearner: self?.isLearner === true,
      };
    }),
    Alarm: unary<{ action?: number; memberID?: number; alarm?: number }>(async (req) => {
      const action = req.action ?? AlarmAction.GET;
      if (action === AlarmAction.GET) {
        const alarms = ctx.sm.alarmList().filter((a) => req.alarm === undefined || req.alarm === AlarmType.NONE || a.alarm === req.alarm);
        return { header: ctx.header(), alarms };
      }
      const res = (await ctx.propose({
        request: "alarm",
        alarm: { action, memberID: req.memberID ?? 0, alarm: req.alarm ?? AlarmType.NONE },
      })) as { alarms: object[] };
      return { header: ctx.header(), alarms: res.alarms };
    }),
    // The store lives in memory and compaction frees its space at once: nothing to defragment.
    Defragment: unary<object>(async () => ({ header: ctx.header() })),
    Hash: unary<object>(async () => ({ header: ctx.header(), hash: store.hashKV(0).hash })),
    HashKV: unary<{ revision?: number }>(async (req) => {
      const h = store.hashKV(req.revision ?? 0);
      return { header: ctx.header(h.revision), hash: h.hash, compactRevision: h.compactRevision };
    }),
    MoveLeader: unary<{ targetID?: number }>(async (req) => {
      if (!ctx.node.isLeader()) throw errors.notLeader();
      const target = req.targetID ?? 0;
      const m = ctx.sm.member(target);
      if (!m || m.isLearner || target === ctx.memberId) throw errors.badLeaderTransferee();
      await ctx.node.transferLeadership(target);
      return { header: ctx.header() };
    }),
    Snapshot: (call: ServerWritableStream<object, object>) => {
      let file: Uint8Array;
      const header = ctx.header();
      try {
        file = snapshotFile(ctx.sm.snapshot());
      } catch (err) {
        call.destroy(toServiceError(err));
        return;
      }
      let offset = 0;
      const send = (): void => {
        while (offset < file.length) {
          const blob = file.subarray(offset, Math.min(offset + chunkBytes, file.length));
          offset += blob.length;
          const more = call.write({ header: offset === blob.length ? header : undefined, remainingBytes: file.length - offset, blob });
          if (!more) {
            call.once("drain", send);
            return;
          }
        }
        call.end();
      };
      send();
    },
  };
}
