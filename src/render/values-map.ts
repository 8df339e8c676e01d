/** Chart values: a YAML map (its own module, so the schema, the merge code and the CLI kit use it without a cycle). */
export type Values = Record<string, unknown>;

export function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** The Helm-style value flags of a command, as given on the command line. */
export interface ValueOptions {
  /** -f/--values files, in order */
  values?: string[];
  set?: string[];
  setString?: string[];
  setFile?: string[];
  /** Standard input, read beforehand by the command when a source is "-" (cli-kit's valueOptions). */
  stdin?: string;
}
