/** Chart values: a YAML map (its own module, so the schema and the merge code both use it without a cycle). */
export type Values = Record<string, unknown>;

export function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
