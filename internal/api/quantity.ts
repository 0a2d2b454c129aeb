/**
 * Resource quantities ("500m", "128Mi", "1e3", 2): parsing to a number for comparisons, as the
 * validation of requests against limits and the QoS class need. Values are kept as doubles,
 * which is exact for every quantity a container spec sensibly holds.
 */

const quantityPattern = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** kube's message for a malformed quantity. */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const suffixes: Readonly<Record<string, number>> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores, bytes), or undefined if it is malformed. */
export function parseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) ? quantity : undefined;
  const match = quantityPattern.exec(quantity.trim());
  if (match === null) return undefined;
  const [, numberPart = "", suffix = ""] = match;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(numberPart)) return undefined;
  const base = Number(numberPart);
  const multiplier = suffixes[suffix];
  if (multiplier !== undefined) return base * multiplier;
  const exponent = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
  if (exponent === null) return undefined;
  return base * 10 ** Number(exponent[1]);
}
