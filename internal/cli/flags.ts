/**
 * A small etcd-style flag parser: `--name value`, `--name=value`, `-name value`, and ETCD_*
 * environment variables as fallbacks, as etcd reads them.
 * Definitions are data, kept apart from the commands' run functions.
 */

export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  /** Default as text, parsed like a given value. */
  readonly default: string;
  /** A switch: `--name` alone means true; `--name=false` turns it off. */
  readonly boolean?: true;
}

/** Bad command-line input: the caller prints the message and exits with code 2. */
export class FlagError extends Error {
  override readonly name = "FlagError";
}

/** `--initial-cluster-token` → `ETCD_INITIAL_CLUSTER_TOKEN`. */
export function envName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Raw values by flag name: given on the command line, else from the environment, else default. */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new FlagError(`unexpected argument "${arg}" (flags look like --name=value)`);
    const name = m[1] as string;
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`flag provided but not defined: --${name}`);
    if (given.has(name)) throw new FlagError(`flag --${name} given twice`);
    let value = m[2];
    if (value === undefined && spec.boolean) {
      value = "true";
    } else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
    }
    given.set(name, value);
  }
  const values = new Map<string, string>();
  for (const spec of specs) {
    values.set(spec.name, given.get(spec.name) ?? env[envName(spec.name)] ?? spec.default);
  }
  return values;
}

export function usageOf(command: string, summary: string, specs: readonly FlagSpec[]): string {
  const lines = [`Usage: raftplane ${command} [flags]`, "", summary, "", "Flags:"];
  for (const s of specs) {
    const def = s.default === "" ? "" : ` (default ${JSON.stringify(s.default)})`;
    lines.push(`  --${s.name}${s.boolean ? "" : " value"}`, `        ${s.help}${def}`);
  }
  return lines.join("\n");
}

// ---- typed readers: each names the flag in its error ----

export function readInt(values: Map<string, string>, name: string, min = 0): number {
  const raw = values.get(name) ?? "";
  if (!/^-?\d+$/.test(raw)) throw new FlagError(`invalid value "${raw}" for flag --${name}: not an integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new FlagError(`invalid value "${raw}" for flag --${name}: must be an integer >= ${min}`);
  }
  return n;
}

export function readBool(values: Map<string, string>, name: string): boolean {
  const raw = values.get(name) ?? "";
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0" || raw === "") return false;
  throw new FlagError(`invalid value "${raw}" for flag --${name}: want true or false`);
}

export function readChoice<T extends string>(values: Map<string, string>, name: string, choices: readonly T[]): T {
  const raw = values.get(name) ?? "";
  if (!(choices as readonly string[]).includes(raw)) {
    throw new FlagError(`invalid value "${raw}" for flag --${name}: want one of ${choices.join(", ")}`);
  }
  return raw as T;
}

/** A comma-separated list of http(s)://host:port URLs, normalised without a trailing slash. */
export function readUrls(values: Map<string, string>, name: string): string[] {
  const raw = values.get(name) ?? "";
  const urls = raw.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (urls.length === 0) throw new FlagError(`flag --${name} needs at least one URL`);
  return urls.map((u) => checkUrl(u, `--${name}`));
}

export function checkUrl(u: string, what: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new FlagError(`invalid URL "${u}" in ${what}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FlagError(`URL "${u}" in ${what} must use http or https`);
  }
  if (url.port === "" || (url.pathname !== "/" && url.pathname !== "")) {
    throw new FlagError(`URL "${u}" in ${what} must be scheme://host:port with no path`);
  }
  return `${url.protocol}//${url.host}`;
}
