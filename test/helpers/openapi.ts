/** The API's own OpenAPI document, as the tests read it. */

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /v1/cases/{caseNumber}. */
  path: string;
  statuses: Set<number>;
  queryNames: string[];
  takesBody: boolean;
}

/** Every operation of a served OpenAPI document, with the statuses it lists. */
export async function documentedOperations(url: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { in: string; name: string }[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      statuses: new Set(Object.keys(op.responses).map(Number)),
      queryNames: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      takesBody: method !== 'get' && method !== 'head',
    })),
  );
}
