import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KvOp } from "../history.js";
import type { CheckReport } from "./check.js";
import type { LinearizabilityFailure, LinearizabilityResult } from "./linearizability.js";
import { formatTime } from "./linearizability.js";
import type { SectionResult } from "./types.js";

/** Violations shown per section; the rest are counted. */
const SHOWN_VIOLATIONS = 50;
const TIMELINE_WIDTH = 60;

/** The operation as called: `read`, `write "v"`, `cas if value == "a" then put "b"`. */
export function describeCall(op: KvOp): string {
  if (op.type === "read") return "read";
  if (op.type === "write") return `write ${JSON.stringify(op.value)}`;
  const c = op.compare;
  const cond = c.target === "value" ? `value == ${JSON.stringify(c.value)}` : `mod_revision == ${c.modRevision}`;
  return `cas if ${cond} then put ${JSON.stringify(op.value)}`;
}

/** How it ended: `ok "v" (mod_revision 3, revision 5)`, `failed: no leader`, `unknown: timeout`. */
export function describeOutcome(op: KvOp): string {
  if (op.outcome !== "ok") return op.error === undefined ? op.outcome : `${op.outcome}: ${op.error}`;
  const rev = (r: number | undefined): string => (r === undefined ? "" : `revision ${r}`);
  const state = (value: string | null, mod: number | undefined): string =>
    value === null ? "absent" : `${JSON.stringify(value)}${mod === undefined ? "" : ` mod_revision ${mod}`}`;
  const join = (...parts: string[]): string => parts.filter((p) => p !== "").join(", ");
  if (op.type === "read") return `ok ${join(state(op.result.value, op.result.modRevision), rev(op.result.revision))}`;
  if (op.type === "write") return join("ok", rev(op.result.revision));
  if (op.result.succeeded) return join("ok succeeded", rev(op.result.revision));
  const current = op.result.current === undefined ? "" : `read ${state(op.result.current.value, op.result.current.modRevision)}`;
  return join("ok compare failed", current, rev(op.result.revision));
}

/** One failing excerpt: a table of its operations, a timeline, and why no order works. */
export function renderFailure(f: LinearizabilityFailure): string {
  const lines: string[] = [];
  const size = f.ops.length === f.of ? `all ${f.of} operations` : `${f.ops.length} of ${f.of} operations`;
  lines.push(`key ${JSON.stringify(f.key)}: not linearizable — ${size}${f.minimal ? " (minimal: drop any one and the rest pass)" : " (not shrunk to a minimum)"}`);
  lines.push("No order of these operations is consistent with one register and with real time.");
  lines.push("");
  const rows = f.ops.map((op) => [
    `#${op.id}`,
    `p${op.process}`,
    op.member ?? "",
    formatTime(op.invoke),
    op.complete === undefined ? "—" : formatTime(op.complete),
    describeCall(op),
    describeOutcome(op),
  ]);
  lines.push(...table(["op", "process", "member", "invoke", "complete", "call", "outcome"], rows));
  lines.push("");
  lines.push(...timeline(f.ops));
  for (const n of f.notes) lines.push(`  note #${n.id}: ${n.note}`);
  lines.push("");
  const holds = f.state === null ? "absent" : JSON.stringify(f.state);
  if (f.order.length === 0) lines.push("None of them can go first (the register starts absent):");
  else lines.push(`Longest valid order: ${f.order.map((id) => `#${id}`).join(" ")} (register then: ${holds})`, "Then none of the rest can go next:");
  for (const s of f.stuck) lines.push(`  #${s.id}${s.id === f.blocked ? " (completed: had to go next)" : ""}: ${s.reason}`);
  return lines.join("\n");
}

/** The whole report as text. */
export function renderText(report: CheckReport): string {
  const lines = [`chaos check: ${report.verdict.toUpperCase()}`];
  if (report.meta !== undefined) lines.push(`run: ${Object.entries(report.meta).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  for (const s of report.sections) {
    lines.push("", `[${s.check}] ${s.verdict} — ${s.summary}`);
    const failures = failuresOf(s);
    for (const f of failures) lines.push("", indent(renderFailure(f)));
    const rest = s.violations.filter((v) => failures.length === 0 || v.kind !== "not-linearizable");
    for (const v of rest.slice(0, SHOWN_VIOLATIONS)) lines.push(`  - ${v.kind}: ${v.message}`);
    if (rest.length > SHOWN_VIOLATIONS) lines.push(`  … and ${rest.length - SHOWN_VIOLATIONS} more`);
  }
  return `${lines.join("\n")}\n`;
}

/** The whole report as a standalone HTML page, with the failing excerpts drawn as timelines. */
export function renderHtml(report: CheckReport): string {
  const parts: string[] = [];
  parts.push(`<h1 class="${report.verdict}">chaos check: ${esc(report.verdict)}</h1>`);
  if (report.meta !== undefined) {
    parts.push(`<p>${Object.entries(report.meta).map(([k, v]) => `${esc(k)}=<code>${esc(String(v))}</code>`).join(" ")}</p>`);
  }
  for (const s of report.sections) {
    parts.push(`<h2 class="${s.verdict}">${esc(s.check)}: ${esc(s.verdict)}</h2><p>${esc(s.summary)}</p>`);
    const failures = failuresOf(s);
    for (const f of failures) parts.push(failureHtml(f));
    const rest = s.violations.filter((v) => failures.length === 0 || v.kind !== "not-linearizable");
    if (rest.length > 0) {
      parts.push(`<ul>${rest.slice(0, SHOWN_VIOLATIONS).map((v) => `<li><b>${esc(v.kind)}</b>: ${esc(v.message)}</li>`).join("")}</ul>`);
      if (rest.length > SHOWN_VIOLATIONS) parts.push(`<p>… and ${rest.length - SHOWN_VIOLATIONS} more</p>`);
    }
  }
  const style = [
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}",
    ".ok{color:#16794b}.violation{color:#b3261e}.unknown{color:#8a6100}",
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;font-family:monospace}",
    ".lane{position:relative;height:1.4em;background:#f4f4f4;margin:2px 0}",
    ".bar{position:absolute;top:.2em;height:1em;background:#4a7fd4;border-radius:3px;color:#fff;font:11px monospace;padding-left:3px;overflow:hidden;white-space:nowrap}",
    ".bar.open{background:repeating-linear-gradient(90deg,#d49a4a 0 6px,#f0d3a8 6px 10px)}",
    ".bar.stuck{background:#b3261e}",
  ].join("\n");
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>chaos check: ${esc(report.verdict)}</title><style>\n${style}\n</style></head><body>\n${parts.join("\n")}\n</body></html>\n`;
}

/** Writes report.txt and report.html into `dir` (created if needed); returns their paths. */
export async function writeReport(dir: string, report: CheckReport): Promise<{ text: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const text = join(dir, "report.txt");
  const html = join(dir, "report.html");
  await writeFile(text, renderText(report));
  await writeFile(html, renderHtml(report));
  return { text, html };
}

function failuresOf(s: SectionResult): readonly LinearizabilityFailure[] {
  return s.check === "linearizability" && "failures" in s ? (s as LinearizabilityResult).failures : [];
}

function failureHtml(f: LinearizabilityFailure): string {
  const { from, span } = timeSpan(f.ops);
  const rows = f.ops
    .map((op) => {
      const note = f.notes.find((n) => n.id === op.id)?.note ?? "";
      return `<tr><td>#${op.id}</td><td>p${op.process}</td><td>${esc(op.member ?? "")}</td><td>${formatTime(op.invoke)}</td><td>${op.complete === undefined ? "—" : formatTime(op.complete)}</td><td>${esc(describeCall(op))}</td><td>${esc(describeOutcome(op))}</td><td>${esc(note)}</td></tr>`;
    })
    .join("\n");
  const lanes = f.ops
    .map((op) => {
      const left = ((op.invoke - from) / span) * 100;
      const open = op.outcome === "unknown";
      const end = open ? from + span : (op.complete as number);
      const width = Math.max(((end - op.invoke) / span) * 100, 0.5);
      const cls = open ? "bar open" : op.id === f.blocked ? "bar stuck" : "bar";
      const label = `#${op.id} ${describeCall(op)} → ${describeOutcome(op)}`;
      return `<div class="lane"><div class="${cls}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${esc(label)}">${esc(label)}</div></div>`;
    })
    .join("\n");
  const holds = f.state === null ? "absent" : JSON.stringify(f.state);
  const order = f.order.length === 0 ? "<p>None of them can go first (the register starts absent):</p>" : `<p>Longest valid order: ${esc(f.order.map((id) => `#${id}`).join(" "))} (register then: <code>${esc(holds)}</code>). Then none of the rest can go next:</p>`;
  const stuck = `<ul>${f.stuck.map((s) => `<li>#${s.id}${s.id === f.blocked ? " <b>(completed: had to go next)</b>" : ""}: ${esc(s.reason)}</li>`).join("")}</ul>`;
  return [
    `<h3>key <code>${esc(JSON.stringify(f.key))}</code>: ${f.ops.length} of ${f.of} operations${f.minimal ? " (minimal)" : ""}</h3>`,
    `<p>${esc(f.message)}</p>`,
    `<table><tr><th>op</th><th>process</th><th>member</th><th>invoke</th><th>complete</th><th>call</th><th>outcome</th><th>note</th></tr>\n${rows}\n</table>`,
    `<div>${lanes}</div>`,
    order,
    stuck,
  ].join("\n");
}

function timeSpan(ops: readonly KvOp[]): { from: number; span: number } {
  const from = Math.min(...ops.map((op) => op.invoke));
  const to = Math.max(...ops.map((op) => op.complete ?? op.invoke));
  return { from, span: Math.max(to - from, 1e-9) };
}

/** One line per operation: `|====|` from invoke to complete; `|---->` to the end when unknown. */
function timeline(ops: readonly KvOp[]): string[] {
  if (ops.length === 0) return [];
  const { from, span } = timeSpan(ops);
  const col = (t: number): number => Math.round(((t - from) / span) * (TIMELINE_WIDTH - 1));
  const width = Math.max(...ops.map((op) => `#${op.id}`.length));
  const lines = [`${" ".repeat(width)}  timeline ${formatTime(from)} … ${formatTime(from + span)} ms`];
  for (const op of ops) {
    const start = col(op.invoke);
    const bar =
      op.outcome === "unknown"
        ? `|${"-".repeat(Math.max(TIMELINE_WIDTH - start - 2, 0))}>`
        : `|${"=".repeat(Math.max(col(op.complete) - start - 1, 0))}|`;
    lines.push(`${`#${op.id}`.padEnd(width)}  ${" ".repeat(start)}${bar}`);
  }
  return lines;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? l : `  ${l}`))
    .join("\n");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
