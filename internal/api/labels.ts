/**
 * Label selectors: matching (as controllers and services select pods) and the string forms
 * kubectl shows (`app=web,tier in (a,b)`), plus Go-syntax renderings used in kube's messages.
 */
import type { LabelSelector } from "./meta.js";

/**
 * Whether a selector selects an object with these labels. A missing selector selects nothing;
 * an empty one selects everything. Unknown operators select nothing.
 */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (have[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const value = have[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Whether a map selector (a Service's spec.selector) selects these labels. Empty selects all. */
export function labelsMatch(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
  const have = labels ?? {};
  return Object.entries(selector).every(([k, v]) => have[k] === v);
}

/** `a=1,b=2` with keys sorted, or `<none>`: how kubectl prints a label map. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels?.[k] ?? ""}`).join(",");
}

/**
 * A selector in the label query syntax, requirements sorted by key: `app=web,tier in (a,b),!x`;
 * `<none>` for a missing selector.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return "<none>";
  const parts: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push({ key: k, text: `${k}=${v}` });
  for (const req of selector.matchExpressions ?? []) {
    const values = [...(req.values ?? [])].sort().join(",");
    const text =
      req.operator === "In"
        ? `${req.key} in (${values})`
        : req.operator === "NotIn"
          ? `${req.key} notin (${values})`
          : req.operator === "Exists"
            ? req.key
            : req.operator === "DoesNotExist"
              ? `!${req.key}`
              : `${req.key} ${req.operator} (${values})`;
    parts.push({ key: req.key, text });
  }
  parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return parts.map((p) => p.text).join(",");
}

function goString(s: string): string {
  return JSON.stringify(s);
}

/** Go's %#v of a map[string]string: `map[string]string{"a":"1", "b":"2"}`, nil when absent. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (m === undefined) return "map[string]string(nil)";
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goString(k)}:${goString(m[k] ?? "")}`).join(", ")}}`;
}

/** Go's %#v of a []string. */
export function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return `[]string{${values.map(goString).join(", ")}}`;
}

/** Go's %#v of a metav1.LabelSelector, as kube prints it in "field is immutable" errors. */
export function goLabelSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return "(*v1.LabelSelector)(nil)";
  const expressions =
    selector.matchExpressions === undefined
      ? "[]v1.LabelSelectorRequirement(nil)"
      : `[]v1.LabelSelectorRequirement{${selector.matchExpressions
          .map((r) => `v1.LabelSelectorRequirement{Key:${goString(r.key)}, Operator:${goString(r.operator)}, Values:${goStringSlice(r.values)}}`)
          .join(", ")}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${expressions}}`;
}

/** Go's %#v of an intstr.IntOrString value. */
export function goIntOrString(value: number | string | undefined): string {
  if (typeof value === "string") return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(value)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${value ?? 0}, StrVal:""}`;
}
