/** Discovery, version and OpenAPI documents: what kubectl reads before it does anything. */
import { apiGroupList, apiResourceList, apiVersions, openApiV3DocumentJson, openApiV3Paths } from "../api/index.js";

export interface Document {
  readonly code: number;
  readonly body: string;
  readonly contentType?: string;
  readonly etag?: string;
}

const json = (value: unknown): Document => ({ code: 200, body: JSON.stringify(value) });

/** The /version answer: Kubernetes 1.32 (the API level served), built by raftplane. */
export function versionInfo(raftplaneVersion: string): Record<string, string> {
  return {
    major: "1",
    minor: "32",
    gitVersion: `v1.32.0+raftplane-${raftplaneVersion}`,
    gitCommit: "",
    gitTreeState: "clean",
    buildDate: "1970-01-01T00:00:00Z",
    goVersion: `node ${process.version}`,
    compiler: "node",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}

/** The document served at a discovery or OpenAPI path, or undefined if the path is not one. */
export function discoveryDocument(path: string, serverAddress: string, raftplaneVersion: string): Document | undefined {
  if (path === "/version" || path === "/version/") return json(versionInfo(raftplaneVersion));
  if (path === "/api" || path === "/api/") return json(apiVersions(serverAddress));
  if (path === "/apis" || path === "/apis/") return json(apiGroupList());
  if (path === "/api/v1" || path === "/api/v1/") return json(apiResourceList("v1"));
  const group = /^\/apis\/([^/]+)\/?$/.exec(path);
  if (group !== null) {
    const g = apiGroupList().groups.find((x) => x.name === group[1]);
    return g === undefined ? undefined : json({ kind: "APIGroup", apiVersion: "v1", ...g });
  }
  const gv = /^\/apis\/([^/]+\/[^/]+)\/?$/.exec(path);
  if (gv !== null) {
    const list = apiResourceList(gv[1] as string);
    return list === undefined ? undefined : json(list);
  }
  if (path === "/openapi/v3" || path === "/openapi/v3/") return json(openApiV3Paths());
  if (path.startsWith("/openapi/v3/")) {
    const doc = openApiV3DocumentJson(path.slice("/openapi/v3/".length));
    return doc === undefined ? undefined : { code: 200, body: doc.json, etag: `"${doc.hash}"` };
  }
  return undefined;
}
