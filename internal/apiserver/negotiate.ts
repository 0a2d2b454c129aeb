/**
 * Content negotiation: what the client accepts (JSON, YAML, a server-side Table, partial
 * object metadata) and what a request body is (JSON, YAML, one of the four patch types).
 */
import type { PatchType } from "./rest.js";
import { errors } from "./status.js";

export type IncludeObject = "None" | "Metadata" | "Object";

export type Output =
  | { readonly kind: "json" }
  | { readonly kind: "yaml" }
  | { readonly kind: "table"; readonly includeObject: IncludeObject }
  | { readonly kind: "partial" };

export const tableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(",")
    .map((part) => {
      const [type, ...params] = part.split(";").map((s) => s.trim());
      return {
        type: (type ?? "").toLowerCase(),
        params: new Map(
          params.map((p) => {
            const eq = p.indexOf("=");
            return [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, "")] as [string, string];
          }),
        ),
      };
    })
    .filter((m) => m.type !== "");
}

const accepted = ["application/json", "application/yaml", tableContentType];

/** The response format for an Accept header; throws 406 when nothing acceptable is offered. */
export function negotiateOutput(accept: string | undefined, includeObject: string | null, allowTable: boolean): Output {
  if (accept === undefined || accept.trim() === "") return { kind: "json" };
  for (const m of parseMediaRanges(accept)) {
    const as = m.params.get("as");
    if (m.type === "application/json" || m.type === "application/*" || m.type === "*/*") {
      if (as === undefined) return { kind: "json" };
      const g = m.params.get("g");
      const v = m.params.get("v");
      if (as === "Table" && g === "meta.k8s.io" && (v === "v1" || v === "v1beta1") && allowTable) {
        const include = includeObject === "None" || includeObject === "Object" ? includeObject : "Metadata";
        return { kind: "table", includeObject: include };
      }
      if ((as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") && g === "meta.k8s.io" && allowTable) return { kind: "partial" };
      continue;
    }
    if (m.type === "application/yaml") return { kind: "yaml" };
  }
  throw errors.notAcceptable(accepted);
}

/** The patch type named by a PATCH request's Content-Type. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  switch (type) {
    case "application/json-patch+json":
      return "json";
    case "application/merge-patch+json":
      return "merge";
    case "application/strategic-merge-patch+json":
      return "strategic";
    case "application/apply-patch+yaml":
      return "apply";
    default:
      throw errors.unsupportedMediaType(type === "" ? "none" : (type as string), [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
        "application/strategic-merge-patch+json",
      ]);
  }
}

/** Whether a body's Content-Type is YAML (else JSON); throws 415 for anything else. */
export function bodyIsYaml(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "" || type === "application/json" || type === "*/*") return false;
  if (type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml") return true;
  throw errors.unsupportedMediaType(type, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
}
