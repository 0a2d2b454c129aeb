/**
 * A TCP proxy that delays what flows through it, for latency on raft peer links: the kernel
 * here has no netem, so delay is added in user space.
 *
 * In a chaos cluster each member's network namespace is held by a small container that runs
 * this program (see cluster.ts). The member listens for peers on 127.0.0.1:2381 and advertises
 * port 2380, where this proxy listens; every byte a peer sends to the member waits here for the
 * delay configured for that peer's address before it is passed on. The delay of the link A→B is
 * therefore set on B's proxy, keyed by A's address, and the two directions of a link are
 * configured apart (one-way latency). Bytes keep their order: a chunk is never released before
 * the one received ahead of it, also when the delay is lowered or jittered.
 *
 * A control port takes the settings as JSON: `PUT /delays` with
 * `{"defaultMs": 0, "jitterMs": 0, "bySource": {"172.18.0.3": 200}}` replaces them, `GET /delays`
 * reads them back. This file imports only Node's built-ins, so its compiled form runs alone in
 * any container that has `node`: `node delay-proxy.mjs --listen 2380 --target 127.0.0.1:2381
 * --control 2390` (without --listen, only the control port runs: the namespace is held all
 * the same).
 */
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { pathToFileURL } from "node:url";

/** What the proxy delays, in milliseconds. */
export interface DelaySettings {
  /** Delay for sources not listed in bySource. */
  readonly defaultMs: number;
  /** Up to this much more, uniformly at random, per chunk (order is kept). */
  readonly jitterMs: number;
  /** Delay by the source's IP address, as the proxy sees it (IPv4-mapped prefixes removed). */
  readonly bySource: Readonly<Record<string, number>>;
}

export const noDelay: DelaySettings = { defaultMs: 0, jitterMs: 0, bySource: {} };

export interface DelayProxyOptions {
  /** Port to accept peers on (0: any free one); absent: no proxying, control port only. */
  readonly listenPort?: number;
  /** Where accepted connections are forwarded. */
  readonly targetHost?: string;
  readonly targetPort?: number;
  /** Control port (0: any free one). */
  readonly controlPort: number;
  /** Address both listen on; default all interfaces. */
  readonly host?: string;
}

/** A running proxy. */
export interface DelayProxy {
  /** The proxy's port, when it proxies. */
  readonly listenPort: number | undefined;
  readonly controlPort: number;
  settings(): DelaySettings;
  setDelays(settings: DelaySettings): void;
  close(): Promise<void>;
}

// A reader is paused while this much is held back, and resumed below the low mark: a slow
// target or a long delay must not make the proxy buffer without bound.
const highWaterBytes = 4 * 1024 * 1024;
const lowWaterBytes = 1024 * 1024;

/** Check a settings object from the control port; returns why it is unusable, or "". */
export function invalidSettings(value: unknown): string {
  if (typeof value !== "object" || value === null) return "settings must be a JSON object";
  const v = value as Record<string, unknown>;
  const ms = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 600_000;
  if (!ms(v["defaultMs"])) return "defaultMs must be a number of milliseconds from 0 to 600000";
  if (!ms(v["jitterMs"])) return "jitterMs must be a number of milliseconds from 0 to 600000";
  const by = v["bySource"];
  if (typeof by !== "object" || by === null || Array.isArray(by)) return "bySource must be an object of address: milliseconds";
  for (const [addr, d] of Object.entries(by)) if (!ms(d)) return `bySource["${addr}"] must be a number of milliseconds from 0 to 600000`;
  return "";
}

function plainAddress(address: string | undefined): string {
  return (address ?? "").replace(/^::ffff:/, "");
}

/**
 * Forward `from` to `to`, holding each chunk until `delayMs()` after it arrived and never
 * letting a chunk overtake the one before it. An end is passed on after the last chunk; a
 * reset or close of either side closes the other at once (what was held back is lost, as it
 * would be on the wire).
 */
function pipeDelayed(from: Socket, to: Socket, delayMs: () => number): void {
  const queue: { readonly at: number; readonly chunk: Buffer }[] = [];
  let queuedBytes = 0;
  let lastAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const send = (chunk: Buffer): void => {
    if (to.destroyed) return;
    if (!to.write(chunk) && !from.isPaused()) {
      from.pause();
      to.once("drain", () => {
        if (queuedBytes < lowWaterBytes) from.resume();
      });
    }
  };

  const flush = (): void => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now) {
      const { chunk } = queue.shift() as { chunk: Buffer };
      queuedBytes -= chunk.length;
      send(chunk);
    }
    if (queuedBytes < lowWaterBytes && from.isPaused() && to.writableNeedDrain !== true) from.resume();
    if (queue.length > 0) {
      timer = setTimeout(flush, (queue[0] as { at: number }).at - now);
    } else if (ended) {
      to.end();
    }
  };

  from.on("data", (chunk: Buffer) => {
    const d = delayMs();
    if (d <= 0 && queue.length === 0) {
      send(chunk);
      return;
    }
    const at = Math.max(lastAt, Date.now() + d);
    lastAt = at;
    queue.push({ at, chunk });
    queuedBytes += chunk.length;
    if (queuedBytes > highWaterBytes) from.pause();
    if (timer === undefined) timer = setTimeout(flush, Math.max(0, at - Date.now()));
  });
  from.on("end", () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
  from.on("error", () => to.destroy());
  to.on("close", () => {
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
    from.destroy();
  });
}

function listen(server: Server | HttpServer, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (s: string) => {
      body += s;
      if (body.length > 1_000_000) req.destroy(new Error("body too large"));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/** Start a proxy (and its control port); resolves once both listen. */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  let settings: DelaySettings = noDelay;
  const sockets = new Set<Socket>();

  const delayFor = (source: string): number => {
    const base = settings.bySource[source] ?? settings.defaultMs;
    return settings.jitterMs > 0 ? base + Math.random() * settings.jitterMs : base;
  };

  let proxyServer: Server | undefined;
  let listenPort: number | undefined;
  if (options.listenPort !== undefined) {
    const targetPort = options.targetPort;
    if (targetPort === undefined) throw new Error("delay proxy: a listen port needs a target port");
    const targetHost = options.targetHost ?? "127.0.0.1";
    // Half-open: each direction ends on its own, after what it held back has been delivered.
    proxyServer = createServer({ allowHalfOpen: true }, (inbound) => {
      const source = plainAddress(inbound.remoteAddress);
      const outbound = connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.setNoDelay(true);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
      }
      pipeDelayed(inbound, outbound, () => delayFor(source));
      // The way back is delayed by the proxy in front of the other member, if at all.
      pipeDelayed(outbound, inbound, () => 0);
    });
    listenPort = await listen(proxyServer, options.listenPort, options.host);
  }

  const control = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.url !== "/delays") return reply(404, { error: "only /delays is served" });
    if (req.method === "GET") return reply(200, settings);
    if (req.method !== "PUT") return reply(405, { error: "GET or PUT /delays" });
    readBody(req).then(
      (body) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return reply(400, { error: "the body is not JSON" });
        }
        const problem = invalidSettings(parsed);
        if (problem !== "") return reply(400, { error: problem });
        settings = parsed as DelaySettings;
        return reply(200, settings);
      },
      (err: Error) => reply(400, { error: err.message }),
    );
  });
  const controlPort = await listen(control, options.controlPort, options.host);

  return {
    listenPort,
    controlPort,
    settings: () => settings,
    setDelays: (s) => {
      const problem = invalidSettings(s);
      if (problem !== "") throw new Error(`delay proxy: ${problem}`);
      settings = s;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      control.closeAllConnections();
      await Promise.all(
        [proxyServer, control].map((s) => (s === undefined ? undefined : new Promise<void>((resolve) => s.close(() => resolve())))),
      );
    },
  };
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: readonly string[]): Promise<void> {
  const listenArg = argValue(args, "--listen");
  const target = argValue(args, "--target") ?? "127.0.0.1:2381";
  const [targetHost, targetPortText] = target.split(":") as [string, string | undefined];
  const proxy = await startDelayProxy({
    controlPort: Number(argValue(args, "--control") ?? "2390"),
    ...(listenArg === undefined ? {} : { listenPort: Number(listenArg), targetHost, targetPort: Number(targetPortText) }),
  });
  const what = proxy.listenPort === undefined ? "no proxying" : `:${proxy.listenPort} -> ${target}`;
  process.stdout.write(`delay-proxy: ready (${what}, control :${proxy.controlPort})\n`);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      void proxy.close().then(() => process.exit(0));
    });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`delay-proxy: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
