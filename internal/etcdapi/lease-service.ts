import { randomInt } from "node:crypto";
import type { ServerDuplexStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { LeaseGrantResponse } from "../mvcc/index.js";
import { LeaseNotFoundError, MAX_LEASE_TTL } from "../mvcc/index.js";
import type { ServerContext } from "./context.js";
import { errors } from "./errors.js";
import { unary } from "./kv-service.js";
import { LeaderClient } from "./leader-client.js";
import type { LessorOptions } from "./lessor.js";
import { Lessor } from "./lessor.js";
import { toServiceError } from "./status.js";

/** A lease id no lease has: positive and within JS numbers' exact range. */
function newLeaseId(ctx: ServerContext): number {
  for (;;) {
    const id = randomInt(1, 2 ** 48) * 32 + randomInt(32);
    if (!ctx.sm.store.leaseTimeToLive(id)) return id;
  }
}

/** etcdserverpb.Lease. Keep-alive and time-to-live are the leader's; followers forward them. */
export function leaseService(ctx: ServerContext, options: LessorOptions = {}): UntypedServiceImplementation {
  const store = ctx.sm.store;
  const lessor = new Lessor(ctx, options);
  const leader = new LeaderClient(ctx);
  lessor.start();
  ctx.onClose(() => {
    lessor.stop();
    leader.close();
  });

  async function renew(id: number): Promise<number> {
    if (ctx.node.isLeader()) {
      try {
        return lessor.renew(id);
      } catch (err) {
        if (err instanceof LeaseNotFoundError) return 0;
        throw err;
      }
    }
    return (await leader.keepAlive(id)).TTL;
  }

  return {
    LeaseGrant: unary<{ TTL?: number; ID?: number }>(async (req) => {
      const ttl = req.TTL ?? 0;
      if (ttl > MAX_LEASE_TTL) throw errors.leaseTtlTooLarge();
      await ctx.checkQuota(64);
      const id = req.ID && req.ID !== 0 ? req.ID : newLeaseId(ctx);
      const res = (await ctx.propose({ request: "leaseGrant", leaseGrant: { ID: id, TTL: ttl } })) as LeaseGrantResponse;
      return { header: ctx.header(res.revision), ID: res.id, TTL: res.ttl };
    }),
    LeaseRevoke: unary<{ ID?: number }>(async (req) => {
      const res = (await ctx.propose({ request: "leaseRevoke", leaseRevoke: { ID: req.ID ?? 0 } })) as { revision: number };
      return { header: ctx.header(res.revision) };
    }),
    LeaseTimeToLive: unary<{ ID?: number; keys?: boolean }>(async (req) => {
      const id = req.ID ?? 0;
      if (!ctx.node.isLeader()) return leader.unary("Lease", "LeaseTimeToLive", req);
      await ctx.linearizableRead();
      const l = store.leaseTimeToLive(id, req.keys === true);
      if (!l) return { header: ctx.header(), ID: id, TTL: -1 };
      return { header: ctx.header(), ID: id, TTL: lessor.remaining(id, l.ttl), grantedTTL: l.ttl, keys: l.keys ?? [] };
    }),
    LeaseLeases: unary<object>(async () => {
      await ctx.linearizableRead();
      return { header: ctx.header(), leases: store.leaseList().map((l) => ({ ID: l.id })) };
    }),
    LeaseKeepAlive: (call: ServerDuplexStream<{ ID?: number }, object>) => {
      // Answers go out in request order, as clients pair them by lease id.
      let chain = Promise.resolve();
      call.on("data", (req: { ID?: number }) => {
        const id = req.ID ?? 0;
        chain = chain.then(async () => {
          try {
            const ttl = await renew(id);
            call.write({ header: ctx.header(), ID: id, TTL: ttl });
          } catch (err) {
            call.destroy(toServiceError(err));
          }
        });
      });
      call.on("end", () => {
        void chain.then(() => call.end());
      });
      call.on("error", () => undefined);
    },
  };
}
