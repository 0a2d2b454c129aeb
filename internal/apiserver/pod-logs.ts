/**
 * The pods/log subresource as kube-apiserver serves it (pkg/registry/core/pod/rest/log.go and
 * LogLocation): the PodLogOptions are read from the query and validated, the container is
 * chosen (the only one by default), the pod's node is looked up for its node agent's address
 * (status.addresses: InternalIP, then Hostname, InternalDNS, ExternalIP, ExternalDNS) and port
 * (status.daemonEndpoints.kubeletEndpoint.Port, 10250 when unset), and the agent's
 * `/containerLogs/{namespace}/{pod}/{container}` is streamed back as text/plain. Plain HTTP:
 * raftplane's node agents serve it without TLS.
 *
 * Failures are kube's: an unknown pod 404, an unknown or unspecified container 400, invalid
 * options 422, a pod without a node 400, an unknown node 404; a node agent that cannot be
 * reached (or, unless following, does not answer in time) 500 with Go's words for it; an
 * agent's own error status passed on as kube's GenericHttpResponseChecker does.
 */
import type { ServerResponse } from "node:http";
import { request } from "node:http";
import type { FieldError } from "../api/index.js";
import { FieldErrorType } from "../api/index.js";
import type { JsonObject } from "./json.js";
import { isObject, stringOr } from "./json.js";
import { metadataOf, nowTimestamp } from "./objects.js";
import { boolParam } from "./params.js";
import { errors } from "./status.js";

/** kube's default kubelet port, when a node does not say. */
export const defaultKubeletPort = 10250;

/** How much of a node agent's error answer is read (kube's maxReadLength). */
const maxErrorBodyBytes = 50_000;

/** The options of a log request (kube's PodLogOptions), as read from the query. */
export interface PodLogOptions {
  readonly container: string | undefined;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds: number | undefined;
  readonly sinceTime: string | undefined;
  readonly tailLines: number | undefined;
  readonly limitBytes: number | undefined;
}


function flag(query: URLSearchParams, name: string): boolean {
  return boolParam(query, name) === true;
}

function int64(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function invalidValue(field: string, value: number, detail: string): FieldError {
  return { type: FieldErrorType.Invalid, field, message: `Invalid value: ${value}: ${detail}`, badValue: value, detail };
}

/** Read and validate the options (kube's ValidatePodLogOptions: 422 PodLogOptions is invalid). */
export function podLogOptions(query: URLSearchParams, podName: string): PodLogOptions {
  const rawSinceTime = query.get("sinceTime");
  let sinceTime: string | undefined;
  if (rawSinceTime !== null && rawSinceTime !== "") {
    const t = new Date(rawSinceTime);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(rawSinceTime) || Number.isNaN(t.getTime())) {
      throw errors.badRequest(`parsing time ${JSON.stringify(rawSinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    }
    sinceTime = nowTimestamp(t);
  }
  const opts: PodLogOptions = {
    container: query.get("container") ?? undefined,
    follow: flag(query, "follow"),
    previous: flag(query, "previous"),
    timestamps: flag(query, "timestamps"),
    sinceSeconds: int64(query, "sinceSeconds"),
    sinceTime,
    tailLines: int64(query, "tailLines"),
    limitBytes: int64(query, "limitBytes"),
  };
  const problems: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) problems.push(invalidValue("tailLines", opts.tailLines, "must be greater than or equal to 0"));
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) problems.push(invalidValue("limitBytes", opts.limitBytes, "must be greater than 0"));
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    const detail = "at most one of `sinceTime` or `sinceSeconds` may be specified";
    problems.push({ type: FieldErrorType.Forbidden, field: "", message: `Forbidden: ${detail}`, detail });
  } else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) {
    problems.push(invalidValue("sinceSeconds", opts.sinceSeconds, "must be greater than 0"));
  }
  if (problems.length > 0) throw errors.invalid({ group: "", kind: "PodLogOptions" }, podName, problems);
  return opts;
}

function containerNames(pod: JsonObject, field: string): string[] {
  const spec = isObject(pod["spec"]) ? pod["spec"] : {};
  const list = spec[field];
  return Array.isArray(list) ? list.filter(isObject).map((c) => stringOr(c["name"])) : [];
}

/** The container whose log is read: the one asked for, which must exist, or the pod's only one (kube's validateContainer). */
export function logContainer(pod: JsonObject, requested: string | undefined): string {
  const name = stringOr(metadataOf(pod)["name"]);
  const containers = containerNames(pod, "containers");
  const init = containerNames(pod, "initContainers");
  const ephemeral = containerNames(pod, "ephemeralContainers");
  if (requested === undefined || requested === "") {
    if (containers.length === 1) return containers[0] as string;
    if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    // Go prints a []string as [a b]
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(" ")}]`;
    if (ephemeral.length > 0) message += ` or one of the ephemeral containers: [${ephemeral.join(" ")}]`;
    throw errors.badRequest(message);
  }
  if (![...containers, ...init, ...ephemeral].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** Address types in the order they are tried for a node agent. */
const preferredAddressTypes = ["InternalIP", "Hostname", "InternalDNS", "ExternalIP", "ExternalDNS"];

/** host:port of a node's agent, from its status (kube's GetConnectionInfo); 500 without a usable address. */
export function kubeletAddress(node: JsonObject): { host: string; port: number } {
  const status = isObject(node["status"]) ? node["status"] : {};
  const addresses = Array.isArray(status["addresses"]) ? status["addresses"].filter(isObject) : [];
  let host = "";
  for (const type of preferredAddressTypes) {
    host = stringOr(addresses.find((a) => a["type"] === type && stringOr(a["address"]) !== "")?.["address"]);
    if (host !== "") break;
  }
  if (host === "") {
    const known = addresses.map((a) => `{${stringOr(a["type"])} ${stringOr(a["address"])}}`).join(" ");
    throw errors.unknown(500, `no preferred addresses found; known addresses: [${known}]`);
  }
  const endpoints = isObject(status["daemonEndpoints"]) ? status["daemonEndpoints"] : {};
  const kubelet = isObject(endpoints["kubeletEndpoint"]) ? endpoints["kubeletEndpoint"] : {};
  const port = typeof kubelet["Port"] === "number" && kubelet["Port"] > 0 ? kubelet["Port"] : defaultKubeletPort;
  return { host, port };
}

/** The node agent's URL for a container's log, with the options it takes (sorted, as Go's url.Values encodes them). */
export function containerLogsUrl(address: { host: string; port: number }, pod: JsonObject, container: string, opts: PodLogOptions): URL {
  const meta = metadataOf(pod);
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  const url = new URL(`http://${host}:${address.port}`);
  url.pathname = `/containerLogs/${[stringOr(meta["namespace"]), stringOr(meta["name"]), container].map(encodeURIComponent).join("/")}`;
  const params: [string, string | undefined][] = [
    ["follow", opts.follow ? "true" : undefined],
    ["limitBytes", opts.limitBytes?.toString()],
    ["previous", opts.previous ? "true" : undefined],
    ["sinceSeconds", opts.sinceSeconds?.toString()],
    ["sinceTime", opts.sinceTime],
    ["tailLines", opts.tailLines?.toString()],
    ["timestamps", opts.timestamps ? "true" : undefined],
  ];
  for (const [k, v] of params) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Go's words for a failed dial or exchange, as kube reports them: `Get "url": dial tcp host:port: connect: connection refused`. */
function goError(url: URL, err: NodeJS.ErrnoException, connected: boolean): string {
  const dialWords: Record<string, string> = {
    ECONNREFUSED: "connect: connection refused",
    EHOSTUNREACH: "connect: no route to host",
    ENETUNREACH: "connect: network is unreachable",
    EADDRNOTAVAIL: "connect: cannot assign requested address",
    ETIMEDOUT: "i/o timeout",
  };
  const target = `Get ${JSON.stringify(url.toString())}`;
  if (!connected) {
    const words = dialWords[err.code ?? ""] ?? (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN" ? `lookup ${url.hostname}: no such host` : err.message);
    return `${target}: dial tcp ${url.host}: ${words}`;
  }
  if (err.code === "ECONNRESET" && err.message === "socket hang up") return `${target}: EOF`;
  if (err.code === "ECONNRESET") return `${target}: read tcp ${url.host}: connection reset by peer`;
  return `${target}: ${err.message}`;
}

class KubeletTimeout extends Error {
  constructor(readonly connected: boolean) {
    super(connected ? "net/http: timeout awaiting response headers" : "i/o timeout");
  }
}

/** The error for a node agent's non-2xx answer (kube's GenericHttpResponseChecker). */
function answerError(code: number, body: string, podName: string): Error {
  if (code === 400) return errors.badRequest(body);
  if (code === 500) return errors.internal(body);
  const generic: Record<number, string> = {
    404: "the server could not find the requested resource",
    401: "the server has asked for the client to provide credentials",
    403: body,
    409: "the server reported a conflict",
    503: "the server is currently unable to handle the request",
    504: "the server was unable to return a response in the time allotted, but may still be processing the request",
  };
  const base = generic[code] ?? (code > 500 ? `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding` : `the server responded with the status code ${code} but did not return more information`);
  return errors.generic(code, { plural: "pods/log", group: "" }, podName, `${base} ( pods/log ${podName})`);
}

export interface StreamOptions {
  readonly follow: boolean;
  readonly podName: string;
  /** How long to wait for the connection and, unless following, for the answer's headers. */
  readonly timeoutMs: number;
}

/**
 * GET the node agent's log URL and stream its answer to res (200, text/plain, headers sent at
 * once, flushed as it comes). Rejects with the ApiError to answer before anything was sent;
 * once streaming, the end of either side ends the other.
 */
export function streamContainerLog(url: URL, res: ServerResponse, o: StreamOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let streaming = false;
    const upstream = request(url, { method: "GET", agent: false, headers: { accept: "*/*", "user-agent": "raftplane-apiserver" } });
    const timer = setTimeout(() => upstream.destroy(new KubeletTimeout(connected)), o.timeoutMs);
    const clientGone = (): void => {
      clearTimeout(timer);
      upstream.destroy();
      resolve();
    };
    res.once("close", clientGone);
    upstream.on("socket", (socket) => {
      socket.once("connect", () => {
        connected = true;
        // a follower may wait long for a first line: only the connection is timed
        if (o.follow) clearTimeout(timer);
      });
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      res.off("close", clientGone);
      if (streaming) {
        res.end();
        resolve();
        return;
      }
      let message = goError(url, err, connected);
      if (err instanceof KubeletTimeout) message = `Get ${JSON.stringify(url.toString())}: ${err.connected ? err.message : `dial tcp ${url.host}: ${err.message}`}`;
      reject(errors.unknown(500, message));
    });
    upstream.on("response", (answer) => {
      clearTimeout(timer);
      const code = answer.statusCode ?? 0;
      if (code < 200 || code > 206) {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on("data", (chunk: Buffer) => {
          if (size < maxErrorBodyBytes) chunks.push(chunk.subarray(0, maxErrorBodyBytes - size));
          size += chunk.length;
        });
        answer.on("end", () => {
          res.off("close", clientGone);
          reject(answerError(code, Buffer.concat(chunks).toString("utf8").trim(), o.podName));
        });
        answer.on("error", () => undefined);
        return;
      }
      streaming = true;
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "no-cache, private" });
      res.flushHeaders();
      res.socket?.setNoDelay(true);
      answer.pipe(res);
      answer.on("end", () => resolve());
      answer.on("error", () => {
        res.end();
        resolve();
      });
    });
    upstream.end();
  });
}
