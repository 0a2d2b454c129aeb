/**
 * The HTTP side of the API server: paths to resources and verbs (kube's request info), body
 * reading with the 3 MiB limit, content negotiation, responses and errors as Status objects,
 * watch streams, and the request metrics.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { stringify as toYaml, parse as parseYaml } from "yaml";
import type { DeleteOptions, ResourceInfo } from "../api/index.js";
import { buildTable, partialObjectMetadata, resourceFor, resourceForKind, tableRow, tableColumns } from "../api/index.js";
import type { Logger } from "../observability/index.js";
import type { JsonObject } from "./json.js";
import { isObject } from "./json.js";
import type { ApiServerMetrics } from "./metrics.js";
import type { Output } from "./negotiate.js";
import { bodyIsYaml, negotiateOutput, patchTypeOf, tableContentType } from "./negotiate.js";
import { jsonOf } from "./objects.js";
import type { FieldValidation, ListQuery, ListResult, RequestScope, Rest } from "./rest.js";
import { parseResourceVersion } from "./rest.js";
import type { FieldRequirement } from "./selectors.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import type { ApiError } from "./status.js";
import { errors, successStatus, toApiError } from "./status.js";
import type { EventEncoder } from "./watch-cache.js";
import { jsonEventEncoder } from "./watch-cache.js";
import { discoveryDocument } from "./discovery.js";
import { decodeProtobuf, protobufContentType } from "./protobuf.js";
import { boolParam } from "./params.js";
import { containerLogsUrl, kubeletAddress, logContainer, podLogOptions, streamContainerLog } from "./pod-logs.js";

/** kube-apiserver's limit on request bodies. */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

/** What a resource path names. */
interface ResourceRequest {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly verb: Verb;
}

export interface HandlerOptions {
  readonly rest: Rest;
  readonly metrics: ApiServerMetrics;
  readonly logger: Logger;
  readonly raftplaneVersion: string;
  /** Checks behind /readyz and /healthz: "" when ready, else what is wrong. */
  readonly readiness: () => Promise<string>;
  /** Watches without timeoutSeconds end after a random time between this and twice it. Default 30 min. */
  readonly minWatchTimeoutMs?: number;
  /** How long pods/log waits for a node agent's connection and (unless following) its answer. Default 10 s. */
  readonly kubeletTimeoutMs?: number;
  /**
   * kube-apiserver's --max-requests-inflight and --max-mutating-requests-inflight: requests
   * (other than watches and logs, which last as long as their clients) served at once before
   * more are answered 429 with Retry-After; 0 is no limit. Defaults 400 and 200.
   */
  readonly maxRequestsInflight?: number;
  readonly maxMutatingRequestsInflight?: number;
}

type RequestKind = "readOnly" | "mutating";

const mutatingVerbs = new Set(["create", "update", "patch", "delete", "deletecollection"]);

const segment = /^[^/]+$/;

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw errors.badRequest(`invalid path segment ${JSON.stringify(s)}`);
  }
}

/** kube's RequestInfoFactory: /api/v1/... and /apis/<group>/<version>/... to a resource request. */
function resourceRequest(method: string, path: string, query: URLSearchParams): ResourceRequest | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+?)\/?$/.exec(path);
  if (m === null) return undefined;
  const groupVersion = m[1] ?? `${m[2] as string}/${m[3] as string}`;
  let parts = (m[4] as string).split("/").map(decodeSegment);
  let watch = boolParam(query, "watch") === true;
  if (parts[0] === "watch") {
    watch = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && parts[2] !== "status" && parts[2] !== "finalize") parts = parts.slice(2);
  }
  if (parts.length === 0 || parts.length > 3 || !parts.every((p) => segment.test(p) && p !== "")) throw errors.notFoundPath();
  const [plural, name, subresource] = parts as [string, string | undefined, string | undefined];
  const resource = resourceFor(groupVersion, plural);
  if (resource === undefined) throw errors.notFoundPath();
  if (plural !== "namespaces") {
    // a namespaced resource is named within a namespace, or listed and watched across them all
    if (resource.namespaced && namespace === undefined && !(name === undefined && (method === "GET" || method === "HEAD"))) throw errors.notFoundPath();
    if (!resource.namespaced && namespace !== undefined) throw errors.notFoundPath();
  }
  if (subresource !== undefined && !resource.subresources.some((s) => s.name === subresource)) throw errors.notFoundPath();
  let verb: Verb;
  switch (method) {
    case "GET":
    case "HEAD":
      verb = name === undefined ? (watch ? "watch" : "list") : watch ? "watch" : "get";
      break;
    case "POST":
      if (name !== undefined && subresource === undefined) throw errors.methodNotAllowed();
      verb = "create";
      break;
    case "PUT":
      verb = "update";
      break;
    case "PATCH":
      verb = "patch";
      break;
    case "DELETE":
      verb = name === undefined ? "deletecollection" : "delete";
      break;
    default:
      throw errors.methodNotAllowed();
  }
  if ((verb === "update" || verb === "patch") && name === undefined) throw errors.methodNotAllowed();
  if (subresource !== undefined) {
    const sub = resource.subresources.find((s) => s.name === subresource);
    if (sub === undefined || !sub.verbs.includes(verb)) throw errors.methodNotAllowed();
  } else if (!resource.verbs.includes(verb)) {
    throw errors.methodNotAllowed();
  }
  return { resource, namespace: resource.namespaced ? namespace : undefined, name, subresource, verb };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxRequestBodyBytes) return Promise.reject(errors.tooLarge(maxRequestBodyBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxRequestBodyBytes) {
        over = true;
        reject(errors.tooLarge(maxRequestBodyBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

function decodeObject(raw: Buffer, contentType: string | undefined): JsonObject {
  if ((contentType ?? "").split(";")[0]?.trim().toLowerCase() === protobufContentType) return decodeProtobuf(raw);
  const yaml = bodyIsYaml(contentType);
  let value: unknown;
  try {
    const text = raw.toString("utf8");
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; ${yaml ? "yaml" : "json"} parse error: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw errors.badRequest("the body of the request must be an object");
  return value;
}

function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get("fieldValidation");
  if (v === null || v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw errors.badRequest(`fieldValidation parameter unsupported: ${v}; want one of Strict, Warn, Ignore`);
}

function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  if (values.length === 0) return false;
  if (values.every((v) => v === "All")) return true;
  throw errors.badRequest(`Invalid dry run value: ${values.join(",")}; the only supported value is All`);
}

function fieldManagerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const given = query.get("fieldManager");
  if (given !== null && given !== "") {
    if (given.length > 128) throw errors.badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
    return given;
  }
  const ua = userAgent ?? "";
  const prefix = ua.split("/")[0] ?? "";
  return prefix === "" ? "unknown" : prefix.slice(0, 128);
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

export class ApiHandler {
  private readonly minWatchTimeoutMs: number;
  private readonly inflight: Record<RequestKind, { count: number; limit: number }>;

  constructor(private readonly o: HandlerOptions) {
    this.minWatchTimeoutMs = o.minWatchTimeoutMs ?? 30 * 60_000;
    this.inflight = {
      readOnly: { count: 0, limit: o.maxRequestsInflight ?? 400 },
      mutating: { count: 0, limit: o.maxMutatingRequestsInflight ?? 200 },
    };
  }

  /**
   * kube's WithMaxInFlightLimit: a slot for a short request, or a 429 when all are taken, so an
   * overloaded replica sheds load promptly instead of letting every request wait into the store's
   * deadline. Watches and logs are long-running and take no slot.
   */
  private admit(r: ResourceRequest): () => void {
    if (r.verb === "watch" || r.subresource === "log") return () => {};
    const kind: RequestKind = mutatingVerbs.has(r.verb) ? "mutating" : "readOnly";
    const slot = this.inflight[kind];
    if (slot.limit > 0 && slot.count >= slot.limit) {
      this.o.metrics.dropped.inc({ request_kind: kind });
      throw errors.tooManyRequests();
    }
    slot.count++;
    this.o.metrics.inflight.set({ request_kind: kind }, slot.count);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.count--;
      this.o.metrics.inflight.set({ request_kind: kind }, slot.count);
    };
  }

  /** Serve one HTTP request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const labels = { verb: req.method ?? "", group: "", version: "", resource: "", subresource: "", scope: "", component: "apiserver" };
    this.route(req, res, labels)
      .catch((err: unknown) => {
        const apiError = toApiError(err);
        if (apiError.code >= 500 && apiError.code !== 503) this.o.logger.error({ err, url: req.url }, "request failed");
        this.sendError(res, apiError);
      })
      .finally(() => {
        this.o.metrics.requests.inc({ ...labels, code: String(res.statusCode) });
        // a watch lasts as long as its client: not a latency
        if (labels.verb !== "WATCH") this.o.metrics.duration.observe(labels, (performance.now() - started) / 1000);
      });
  }

  private sendError(res: ServerResponse, err: ApiError): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (err.code === 413) headers["connection"] = "close";
    if (err.status.details?.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.status.details.retryAfterSeconds);
    res.writeHead(err.code, headers);
    res.end(JSON.stringify(err.status));
  }

  private send(res: ServerResponse, code: number, body: string, contentType: string, warnings: readonly string[] = []): void {
    const headers: Record<string, string | string[]> = { "content-type": contentType };
    if (warnings.length > 0) headers["warning"] = warnings.map(warningHeader);
    res.writeHead(code, headers);
    res.end(body);
  }

  private async route(req: IncomingMessage, res: ServerResponse, labels: Record<string, string>): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/healthz" || path === "/readyz" || path === "/livez" || path.startsWith("/healthz/") || path.startsWith("/readyz/") || path.startsWith("/livez/")) {
      const problem = path.startsWith("/livez") || path.endsWith("/ping") ? "" : await this.o.readiness();
      if (problem === "") this.send(res, 200, "ok", "text/plain; charset=utf-8");
      else this.send(res, 500, `[-]${problem}\n${path.slice(1).split("/")[0] ?? ""} check failed\n`, "text/plain; charset=utf-8");
      return;
    }
    if (path === "/metrics") {
      this.send(res, 200, await this.o.metrics.registry.metrics(), this.o.metrics.registry.contentType);
      return;
    }
    const host = req.headers.host ?? "127.0.0.1";
    const doc = discoveryDocument(path, host, this.o.raftplaneVersion);
    if (doc !== undefined) {
      if (method !== "GET" && method !== "HEAD") throw errors.methodNotAllowed();
      const headers: Record<string, string> = { "content-type": doc.contentType ?? "application/json" };
      if (doc.etag !== undefined) {
        headers["etag"] = doc.etag;
        headers["cache-control"] = "public, immutable";
        if (req.headers["if-none-match"] === doc.etag) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
      }
      res.writeHead(doc.code, headers);
      res.end(doc.body);
      return;
    }
    const r = resourceRequest(method, path, url.searchParams);
    if (r === undefined) throw errors.notFoundPath();
    Object.assign(labels, {
      verb: metricVerb(r.verb, req),
      group: r.resource.group,
      version: r.resource.version,
      resource: r.resource.plural,
      subresource: r.subresource ?? "",
      scope: r.name !== undefined ? "resource" : r.namespace !== undefined ? "namespace" : "cluster",
    });
    const release = this.admit(r);
    try {
      await this.serveResource(req, res, url.searchParams, r);
    } finally {
      release();
    }
  }

  private scope(req: IncomingMessage, query: URLSearchParams, r: ResourceRequest): RequestScope {
    return {
      resource: r.resource,
      namespace: r.namespace,
      name: r.name,
      subresource: r.subresource,
      fieldManager: fieldManagerOf(query, req.headers["user-agent"]),
      fieldValidation: fieldValidationOf(query),
      dryRun: dryRunOf(query),
      warnings: [],
    };
  }

  private listQuery(query: URLSearchParams, r: ResourceRequest): ListQuery {
    const fields: FieldRequirement[] = parseFieldSelector(query.get("fieldSelector") ?? "", r.resource.kind);
    if (r.name !== undefined) fields.push({ field: "metadata.name", operator: "=", value: r.name });
    const limit = intParam(query, "limit") ?? 0;
    return {
      labels: parseLabelSelector(query.get("labelSelector") ?? ""),
      fields,
      limit: Math.max(0, limit),
      continueToken: query.get("continue") ?? undefined,
      resourceVersion: query.get("resourceVersion") ?? undefined,
      resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
    };
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, r: ResourceRequest): Promise<void> {
    const rest = this.o.rest;
    if (r.subresource === "log") {
      await this.podLog(res, query, this.scope(req, query, r));
      return;
    }
    const readVerb = r.verb === "get" || r.verb === "list" || r.verb === "watch";
    const output = negotiateOutput(req.headers.accept, query.get("includeObject"), readVerb && r.subresource === undefined);
    const scope = this.scope(req, query, r);
    switch (r.verb) {
      case "get": {
        const obj = await rest.get(scope, query.get("resourceVersion") ?? undefined);
        this.sendObject(res, 200, obj, output, r.resource, scope.warnings);
        return;
      }
      case "list": {
        const result = await rest.list(scope, this.listQuery(query, r));
        this.sendList(res, result, output, r.resource);
        return;
      }
      case "watch":
        await this.watch(req, res, query, r, output);
        return;
      case "create": {
        const body = decodeObject(await readBody(req), req.headers["content-type"]);
        const result = r.subresource === "binding" ? await rest.bind(scope, body) : await rest.create(scope, body);
        this.sendObject(res, result.code, result.object, output, r.resource, scope.warnings);
        return;
      }
      case "update": {
        const body = decodeObject(await readBody(req), req.headers["content-type"]);
        const result = await rest.update(scope, body);
        this.sendObject(res, result.code, result.object, output, r.resource, scope.warnings);
        return;
      }
      case "patch": {
        const type = patchTypeOf(req.headers["content-type"]);
        if (type === "apply" && (query.get("fieldManager") ?? "") === "") throw errors.badRequest("fieldManager: Required value: is required for apply patch");
        const raw = (await readBody(req)).toString("utf8");
        const force = boolParam(query, "force") === true;
        if (query.has("force") && type !== "apply") throw errors.badRequest("force is only allowed for apply patches");
        const result = rest.view(scope, await rest.patch(scope, type, raw, force));
        this.sendObject(res, result.code, result.object, output, r.resource, scope.warnings);
        return;
      }
      case "delete": {
        const options = await this.deleteOptions(req, query);
        const result = await rest.delete(scope, options);
        if (result.code === 202) this.sendObject(res, 202, result.object, output, r.resource, scope.warnings);
        else {
          const uid = isObject(result.object["metadata"]) ? result.object["metadata"]["uid"] : undefined;
          this.send(res, 200, JSON.stringify(successStatus(r.resource, r.name as string, typeof uid === "string" ? uid : undefined)), "application/json", scope.warnings);
        }
        return;
      }
      case "deletecollection": {
        const options = await this.deleteOptions(req, query);
        const items = await rest.deleteCollection(scope, this.listQuery(query, r), options);
        this.send(res, 200, JSON.stringify({ kind: r.resource.listKind, apiVersion: r.resource.groupVersion, metadata: {}, items }), "application/json");
        return;
      }
    }
  }

  /** pods/log: the pod's node agent's log of one container, streamed (see pod-logs.ts). */
  private async podLog(res: ServerResponse, query: URLSearchParams, scope: RequestScope): Promise<void> {
    const name = scope.name as string;
    const opts = podLogOptions(query, name);
    const pod = await this.o.rest.get({ ...scope, subresource: undefined }, undefined);
    const container = logContainer(pod, opts.container);
    const spec = isObject(pod["spec"]) ? pod["spec"] : {};
    const nodeName = typeof spec["nodeName"] === "string" ? spec["nodeName"] : "";
    if (nodeName === "") {
      // kube-apiserver's LogLocation has nowhere to go for a pod no node has taken, and answers
      // an empty log rather than an error
      this.send(res, 200, "", "text/plain");
      return;
    }
    const node = await this.o.rest.get({ ...scope, resource: resourceForKind("Node"), namespace: undefined, name: nodeName, subresource: undefined }, undefined);
    const url = containerLogsUrl(kubeletAddress(node), pod, container, opts);
    await streamContainerLog(url, res, { follow: opts.follow, podName: name, timeoutMs: this.o.kubeletTimeoutMs ?? 10_000 });
  }

  private async deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
    const raw = await readBody(req);
    let options: DeleteOptions = {};
    if (raw.length > 0 && raw.toString("utf8").trim() !== "") {
      const body = decodeObject(raw, req.headers["content-type"]);
      const kind = body["kind"];
      if (kind !== undefined && kind !== "DeleteOptions") throw errors.badRequest(`the body of a DELETE must be DeleteOptions, not ${String(kind)}`);
      options = body as DeleteOptions;
    }
    const grace = intParam(query, "gracePeriodSeconds");
    if (grace !== undefined) options = { ...options, gracePeriodSeconds: grace };
    const propagation = query.get("propagationPolicy");
    if (propagation !== null && propagation !== "") options = { ...options, propagationPolicy: propagation };
    const orphan = boolParam(query, "orphanDependents");
    if (orphan !== undefined) options = { ...options, orphanDependents: orphan };
    return options;
  }

  private contentType(output: Output): string {
    return output.kind === "table" ? tableContentType : output.kind === "yaml" ? "application/yaml" : "application/json";
  }

  private render(value: unknown, output: Output): string {
    return output.kind === "yaml" ? toYaml(value) : JSON.stringify(value);
  }

  private tableOf(kind: string, objects: readonly JsonObject[], output: Extract<Output, { kind: "table" }>, meta: JsonObject): JsonObject {
    const table = buildTable(kind, objects, new Date()) as unknown as JsonObject;
    table["metadata"] = meta;
    if (output.includeObject !== "Metadata") {
      const rows = table["rows"] as JsonObject[];
      rows.forEach((row, i) => {
        if (output.includeObject === "None") delete row["object"];
        else row["object"] = objects[i];
      });
    }
    return table;
  }

  private sendObject(res: ServerResponse, code: number, obj: JsonObject, output: Output, resource: ResourceInfo, warnings: readonly string[]): void {
    let body: unknown = obj;
    const kind = typeof obj["kind"] === "string" ? obj["kind"] : resource.kind;
    if (output.kind === "table" && kind === resource.kind) {
      const rv = isObject(obj["metadata"]) ? obj["metadata"]["resourceVersion"] : undefined;
      body = this.tableOf(resource.kind, [obj], output, rv === undefined ? {} : { resourceVersion: rv });
    } else if (output.kind === "partial" && kind === resource.kind) {
      body = partialObjectMetadata(obj as never);
    }
    this.send(res, code, this.render(body, output), this.contentType(output.kind === "table" && kind !== resource.kind ? { kind: "json" } : output), warnings);
  }

  private sendList(res: ServerResponse, result: ListResult, output: Output, resource: ResourceInfo): void {
    const meta: JsonObject = { resourceVersion: result.resourceVersion };
    if (result.continueToken !== undefined) meta["continue"] = result.continueToken;
    if (result.remainingItemCount !== undefined) meta["remainingItemCount"] = result.remainingItemCount;
    const objects = result.items;
    if (output.kind === "table") {
      this.send(res, 200, JSON.stringify(this.tableOf(resource.kind, objects, output, meta)), tableContentType);
      return;
    }
    if (output.kind === "partial") {
      const body = { kind: "PartialObjectMetadataList", apiVersion: "meta.k8s.io/v1", metadata: meta, items: objects.map((o) => partialObjectMetadata(o as never)) };
      this.send(res, 200, JSON.stringify(body), "application/json");
      return;
    }
    if (output.kind === "yaml") {
      this.send(res, 200, toYaml({ kind: resource.listKind, apiVersion: resource.groupVersion, metadata: meta, items: objects }), "application/yaml");
      return;
    }
    // cached objects keep their JSON text: a list from the cache encodes nothing again
    const items = result.cached !== undefined ? result.cached.map(jsonOf).join(",") : objects.map((o) => JSON.stringify(o)).join(",");
    const head = JSON.stringify({ kind: resource.listKind, apiVersion: resource.groupVersion, metadata: meta });
    this.send(res, 200, `${head.slice(0, -1)},"items":[${items}]}`, "application/json");
  }

  private tableEncoder(resource: ResourceInfo, includeObject: "None" | "Metadata" | "Object"): EventEncoder {
    const json = jsonEventEncoder(resource);
    return {
      key: `table:${includeObject}`,
      encode: (type, object) => {
        const row = tableRow(resource.kind, object.object, new Date()) as unknown as JsonObject;
        if (includeObject === "None") delete row["object"];
        else if (includeObject === "Object") row["object"] = object.object;
        const table = { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion: String(object.rv) }, columnDefinitions: tableColumns(resource.kind), rows: [row] };
        return Buffer.from(`{"type":"${type}","object":${JSON.stringify(table)}}\n`);
      },
      bookmark: json.bookmark,
      error: json.error,
    };
  }

  private async watch(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, r: ResourceRequest, output: Output): Promise<void> {
    const rest = this.o.rest;
    const q = this.listQuery(query, r);
    const rvRaw = q.resourceVersion ?? "";
    const fromRv = rvRaw === "" || rvRaw === "0" ? undefined : parseResourceVersion(rvRaw);
    const cache = await rest.freshCache(r.resource, fromRv ?? 0);
    const sendInitialEvents = boolParam(query, "sendInitialEvents") === true;
    const allowBookmarks = boolParam(query, "allowWatchBookmarks") === true;
    if (output.kind === "yaml" || output.kind === "partial") throw errors.notAcceptable(["application/json", tableContentType]);
    const encoder = output.kind === "table" ? this.tableEncoder(r.resource, output.includeObject) : jsonEventEncoder(r.resource);
    const timeoutSeconds = intParam(query, "timeoutSeconds");
    const timeoutMs = timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : this.minWatchTimeoutMs * (1 + Math.random());

    res.writeHead(200, { "content-type": output.kind === "table" ? tableContentType : "application/json", "cache-control": "no-cache, private" });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const gauge = { verb: "WATCH", resource: r.resource.plural };
    this.o.metrics.longRunning.inc(gauge);
    let watcher;
    try {
      watcher = cache.watch({
        fromRv,
        filter: { namespace: r.namespace, labels: q.labels, fields: q.fields },
        encoder,
        sink: {
          // corked, the frames leave in one writev and are never copied: a chunk each, whose
          // bytes stay shared with every other watcher of the event
          write: (frames) => {
            res.cork();
            let ok = true;
            for (const f of frames) ok = res.write(f);
            res.uncork();
            return ok;
          },
          onDrain: (cb) => res.once("drain", cb),
          end: () => res.end(),
        },
        allowBookmarks,
        initialEventsEndBookmark: sendInitialEvents && allowBookmarks && fromRv === undefined,
      });
    } catch (err) {
      // a start the cache no longer holds: kube answers 200 and an ERROR event
      this.o.metrics.longRunning.dec(gauge);
      res.end(encoder.error(toApiError(err).status));
      return;
    }
    const timer = setTimeout(() => watcher.close(), timeoutMs);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        watcher.close();
        resolve();
      };
      res.once("close", done);
      res.once("finish", done);
    });
    this.o.metrics.longRunning.dec(gauge);
  }
}

/** kube-apiserver's verb label: the HTTP method for writes, LIST, WATCH, APPLY. */
function metricVerb(verb: Verb, req: IncomingMessage): string {
  switch (verb) {
    case "create":
      return "POST";
    case "update":
      return "PUT";
    case "patch":
      return patchTypeSafe(req) === "apply" ? "APPLY" : "PATCH";
    default:
      return verb.toUpperCase();
  }
}

function patchTypeSafe(req: IncomingMessage): string {
  try {
    return patchTypeOf(req.headers["content-type"]);
  } catch {
    return "";
  }
}

/** Exported for tests: how a path is understood. */
export function describeRequest(method: string, path: string): { resource: string; namespace?: string; name?: string; subresource?: string; verb: string } {
  const url = new URL(path, "http://localhost");
  const r = resourceRequest(method, url.pathname, url.searchParams);
  if (r === undefined) throw errors.notFoundPath();
  return {
    resource: r.resource.plural,
    verb: r.verb,
    ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
    ...(r.name === undefined ? {} : { name: r.name }),
    ...(r.subresource === undefined ? {} : { subresource: r.subresource }),
  };
}
