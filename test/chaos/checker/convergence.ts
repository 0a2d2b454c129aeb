import type { HashRecord } from "../history.js";
import type { SectionResult, Violation } from "./types.js";

/**
 * Convergence: members that hashed their store (HashKV) at the same revision, and the same
 * compact revision when recorded, must agree. Verdict "unknown" when no revision was hashed
 * twice, since then nothing was compared.
 */
export function checkConvergence(hashes: readonly HashRecord[]): SectionResult {
  const groups = new Map<string, HashRecord[]>();
  for (const h of hashes) {
    const id = `${h.revision}/${h.compactRevision ?? ""}`;
    let list = groups.get(id);
    if (list === undefined) groups.set(id, (list = []));
    list.push(h);
  }
  const violations: Violation[] = [];
  let compared = 0;
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    compared++;
    const byHash = new Map<number, string[]>();
    for (const h of list) {
      const members = byHash.get(h.hash);
      if (members === undefined) byHash.set(h.hash, [h.member]);
      else members.push(h.member);
    }
    if (byHash.size === 1) continue;
    const first = list[0] as HashRecord;
    const compact = first.compactRevision === undefined ? "" : ` (compact revision ${first.compactRevision})`;
    const sides = [...byHash].map(([hash, members]) => `${members.join(", ")} hash 0x${(hash >>> 0).toString(16).padStart(8, "0")}`);
    violations.push({ check: "convergence", kind: "diverged", message: `at revision ${first.revision}${compact} the members disagree: ${sides.join("; ")}` });
  }
  const verdict = violations.length > 0 ? "violation" : compared > 0 ? "ok" : "unknown";
  const summary = compared > 0 ? `${compared} revisions hashed by two or more members` : `no revision was hashed by two members (${hashes.length} hashes)`;
  return { check: "convergence", verdict, violations, summary };
}
