/** Query parameters read as kube-apiserver's parameter codec reads them. */

/**
 * A boolean query parameter as kube's Convert_Slice_string_To_bool reads it: absent is
 * undefined; "0" and "false" (any case) are false; anything else, even empty, is true (the
 * Python client sends `watch=True`).
 */
export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return !(v === "0" || v.toLowerCase() === "false");
}
