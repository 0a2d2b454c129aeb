/**
 * Label and field selectors as list and watch requests carry them (`?labelSelector=app=web,
 * tier in (a,b),!canary` and `?fieldSelector=spec.nodeName=n1,status.phase!=Running`), parsed
 * with kube's grammar and checked with its rules, and matched against objects.
 */
import { isLabelValue, isQualifiedName } from "../api/index.js";
import { errors } from "./status.js";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: "=" | "==" | "!=" | "!" | "(" | ")" | "," | ">" | "<" }
  | { kind: "end" };

const specials = new Set(["=", "!", "(", ")", ",", ">", "<"]);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (specials.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === "==" || two === "!=") {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else {
        tokens.push({ kind: "op", text: c as "=" | "!" | "(" | ")" | "," | ">" | "<" });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !specials.has(input[j] as string) && !/\s/.test(input[j] as string)) j++;
    tokens.push({ kind: "id", text: input.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: "end" });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === "end" ? "end of string" : `'${t.text}'`;
}

function checkKey(key: string): void {
  const problems = isQualifiedName(key);
  if (problems.length > 0) throw errors.badRequest(`unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${problems.join("; ")}`);
}

function checkValue(value: string, i: number): void {
  const problems = isLabelValue(value);
  if (problems.length > 0) {
    throw errors.badRequest(`unable to parse requirement: values[${i}]: Invalid value: ${JSON.stringify(value)}: ${problems.join("; ")}`);
  }
}

/** Parse a label selector; an empty string selects everything. Throws a 400 ApiError. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = lex(input);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const fail = (t: Token, expected: string): never => {
    throw errors.badRequest(`unable to parse requirement: found ${describe(t)}, expected: ${expected}`);
  };
  const out: LabelRequirement[] = [];
  if (peek().kind === "end") return out;
  for (;;) {
    let t = next();
    if (t.kind === "op" && t.text === "!") {
      const key = next();
      if (key.kind !== "id") fail(key, "identifier after '!'");
      checkKey((key as { text: string }).text);
      out.push({ key: (key as { text: string }).text, operator: "!", values: [] });
    } else {
      if (t.kind !== "id") fail(t, "'!' or identifier");
      const key = (t as { text: string }).text;
      checkKey(key);
      t = peek();
      if (t.kind === "end" || (t.kind === "op" && t.text === ",")) {
        out.push({ key, operator: "exists", values: [] });
      } else if (t.kind === "op" && (t.text === "=" || t.text === "==" || t.text === "!=")) {
        next();
        const v = peek();
        let value = "";
        if (v.kind === "id") {
          value = v.text;
          next();
        } else if (!(v.kind === "end" || (v.kind === "op" && v.text === ","))) {
          fail(v, "identifier");
        }
        checkValue(value, 0);
        out.push({ key, operator: t.text === "!=" ? "!=" : "=", values: [value] });
      } else if (t.kind === "op" && (t.text === ">" || t.text === "<")) {
        next();
        const v = next();
        if (v.kind !== "id" || !/^-?\d+$/.test(v.text)) {
          throw errors.badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        out.push({ key, operator: t.text, values: [v.text] });
      } else if (t.kind === "id" && (t.text === "in" || t.text === "notin")) {
        next();
        const open = next();
        if (!(open.kind === "op" && open.text === "(")) fail(open, "'('");
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.kind === "op" && v.text === ")") break;
          if (v.kind === "op" && v.text === ",") {
            values.push("");
            continue;
          }
          if (v.kind !== "id") fail(v, "identifier or ')'");
          values.push((v as { text: string }).text);
          const after = next();
          if (after.kind === "op" && after.text === ")") break;
          if (!(after.kind === "op" && after.text === ",")) fail(after, "',' or ')'");
        }
        if (values.length === 0) throw errors.badRequest("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty");
        values.forEach(checkValue);
        out.push({ key, operator: t.text, values });
      } else {
        fail(t, "'=', '!=', '==', 'in', 'notin', '>', '<', ',' or end of string");
      }
    }
    const sep = next();
    if (sep.kind === "end") return out;
    if (!(sep.kind === "op" && sep.text === ",")) fail(sep, "',' or end of string");
  }
}

/** Whether labels satisfy every requirement. */
export function labelsSatisfy(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const have = labels ?? {};
  for (const r of requirements) {
    const value = Object.prototype.hasOwnProperty.call(have, r.key) ? have[r.key] : undefined;
    switch (r.operator) {
      case "=":
        if (value !== r.values[0]) return false;
        break;
      case "!=":
        if (value === r.values[0]) return false;
        break;
      case "in":
        if (value === undefined || !r.values.includes(value)) return false;
        break;
      case "notin":
        if (value !== undefined && r.values.includes(value)) return false;
        break;
      case "exists":
        if (value === undefined) return false;
        break;
      case "!":
        if (value !== undefined) return false;
        break;
      case ">":
      case "<": {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        if (r.operator === ">" ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  readonly field: string;
  readonly operator: "=" | "!=";
  readonly value: string;
}

/** Field labels every resource supports. */
const commonFields = ["metadata.name", "metadata.namespace"];

/** The extra field labels kube supports, by kind. */
const kindFields: Readonly<Record<string, readonly string[]>> = {
  Pod: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
  Event: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  Namespace: ["status.phase"],
  Node: ["spec.unschedulable"],
  Secret: ["type"],
  ReplicaSet: ["status.replicas"],
};

/** The field labels a kind's selectors may name. */
export function supportedFields(kind: string): readonly string[] {
  return [...commonFields, ...(kindFields[kind] ?? [])];
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Split on separators not escaped with a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** Parse a field selector for a kind; unknown fields are a 400, as in kube. */
export function parseFieldSelector(input: string, kind: string): FieldRequirement[] {
  if (input.trim() === "") return [];
  const supported = supportedFields(kind);
  const out: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ",")) {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (m === null) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = unescape((m[1] as string).trim());
    if (!supported.includes(field)) throw errors.badRequest(`field label not supported: ${field}`);
    out.push({ field, operator: m[2] === "!=" ? "!=" : "=", value: unescape(m[3] as string) });
  }
  return out;
}

function scalar(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  return JSON.stringify(value);
}

/** The value of a field label in an object, as a string ("" when absent), as kube's field sets hold it. */
export function fieldValue(kind: string, obj: unknown, field: string): string {
  let cur: unknown = obj;
  if (kind === "Event" && field === "source") {
    const event = obj as { source?: { component?: string }; reportingController?: string };
    return event.source?.component ?? event.reportingController ?? "";
  }
  if (kind === "Node" && field === "spec.unschedulable") {
    return scalar((obj as { spec?: { unschedulable?: boolean } }).spec?.unschedulable ?? false);
  }
  if (kind === "Pod" && field === "spec.hostNetwork") {
    return scalar((obj as { spec?: { hostNetwork?: boolean } }).spec?.hostNetwork ?? false);
  }
  if (kind === "ReplicaSet" && field === "status.replicas") {
    return scalar((obj as { status?: { replicas?: number } }).status?.replicas ?? 0);
  }
  for (const part of field.split(".")) {
    if (typeof cur !== "object" || cur === null) return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  return scalar(cur);
}

/** Whether an object satisfies every field requirement. */
export function fieldsSatisfy(kind: string, requirements: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of requirements) {
    const v = fieldValue(kind, obj, r.field);
    if (r.operator === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}
