import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import type { ServerContext } from "./context.js";
import { errors } from "./errors.js";
import { unary } from "./kv-service.js";
import { LeaderClient } from "./leader-client.js";
import type { MemberInfo } from "./members.js";
import { memberId } from "./members.js";
import { encodeMemberContext } from "./state.js";

function toProto(m: MemberInfo): object {
  return { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
}

function checkPeerUrls(urls: readonly string[] | undefined): string[] {
  if (!urls || urls.length === 0) throw errors.memberBadUrls();
  return urls.map((u) => {
    try {
      const url = new URL(u);
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.port === "") throw errors.memberBadUrls();
      return `${url.protocol}//${url.host}`;
    } catch {
      throw errors.memberBadUrls();
    }
  });
}

/**
 * etcd's --strict-reconfig-check (on by default): refuse a change after which the voters that
 * have started (published their name) could not form a quorum, so the cluster stays available.
 */
function keepsQuorum(members: readonly MemberInfo[], change: { add?: boolean; remove?: number }): boolean {
  const voters = members.filter((m) => !m.isLearner && m.id !== change.remove);
  const started = voters.filter((m) => m.name !== "").length;
  const total = voters.length + (change.add ? 1 : 0);
  return started >= Math.floor(total / 2) + 1;
}

/** etcd's readiness rule for promoting a learner: it holds at least 90% of the leader's log. */
const learnerReadyFraction = 0.9;

/** etcdserverpb.Cluster: membership changes go through raft, one at a time. */
export function clusterService(ctx: ServerContext): UntypedServiceImplementation {
  const members = () => ctx.sm.memberList().map(toProto);
  const leader = new LeaderClient(ctx);
  ctx.onClose(() => leader.close());

  return {
    MemberList: unary<{ linearizable?: boolean }>(async (req) => {
      if (req.linearizable === true) await ctx.linearizableRead();
      return { header: ctx.header(), members: members() };
    }),
    MemberAdd: unary<{ peerURLs?: string[]; isLearner?: boolean }>(async (req) => {
      const peerURLs = checkPeerUrls(req.peerURLs);
      const taken = new Set(ctx.sm.memberList().flatMap((m) => m.peerURLs));
      if (peerURLs.some((u) => taken.has(u))) throw errors.peerUrlExists();
      const isLearner = req.isLearner === true;
      if (!isLearner && !keepsQuorum(ctx.sm.memberList(), { add: true })) throw errors.unhealthy();
      const id = memberId(peerURLs, ctx.clusterToken, Date.now());
      if (ctx.sm.member(id)) throw errors.memberExists();
      await ctx.node.proposeConfChange({
        type: isLearner ? "addLearner" : "addNode",
        nodeId: id,
        context: encodeMemberContext({ peerUrls: peerURLs, isLearner }),
      });
      const added = ctx.sm.member(id);
      return { header: ctx.header(), member: added ? toProto(added) : { ID: id, peerURLs, isLearner }, members: members() };
    }),
    MemberRemove: unary<{ ID?: number }>(async (req) => {
      const id = req.ID ?? 0;
      const m = ctx.sm.member(id);
      if (!m) throw errors.memberNotFound();
      if (!m.isLearner && !keepsQuorum(ctx.sm.memberList(), { remove: id })) throw errors.unhealthy();
      await ctx.node.proposeConfChange({ type: "removeNode", nodeId: id });
      return { header: ctx.header(), members: members() };
    }),
    MemberUpdate: unary<{ ID?: number; peerURLs?: string[] }>(async (req) => {
      const id = req.ID ?? 0;
      if (!ctx.sm.member(id)) throw errors.memberNotFound();
      const peerURLs = checkPeerUrls(req.peerURLs);
      await ctx.propose({ request: "memberUpdate", memberUpdate: { memberId: id, peerUrls: peerURLs } });
      return { header: ctx.header(), members: members() };
    }),
    MemberPromote: unary<{ ID?: number }>(async (req) => {
      const id = req.ID ?? 0;
      const m = ctx.sm.member(id);
      if (!m) throw errors.memberNotFound();
      if (!m.isLearner) throw errors.memberNotLearner();
      // Readiness is known only to the leader, which tracks every follower's log.
      if (!ctx.node.isLeader()) return leader.unary("Cluster", "MemberPromote", req);
      const progress = ctx.node.progress();
      const learner = progress.get(id);
      const own = progress.get(ctx.memberId);
      if (!learner || !own || learner.match < own.match * learnerReadyFraction) throw errors.learnerNotReady();
      await ctx.node.proposeConfChange({ type: "addNode", nodeId: id });
      return { header: ctx.header(), members: members() };
    }),
  };
}
