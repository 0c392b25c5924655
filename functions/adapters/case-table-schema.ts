// The cases table's shape, free of SDK imports so the CDK app (lib/cases-table.ts) and the repository share it.

/**
 * Every item has a string partition key `pk` and sort key `sk`; a case is pk CASE#<id>, sk CASE; the claim of a
 * case reference is pk REF#<reference>, sk REF (its caseId says whose).
 */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Index names and keys; lib/cases-table.ts declares exactly these. */
export const CASE_INDEXES = {
  byCreated: { partitionKey: 'kind', sortKey: 'id' },
  byStatus: { partitionKey: 'status', sortKey: 'id' },
  byCustomer: { partitionKey: 'customerId', sortKey: 'id' },
  byDepartment: { partitionKey: 'department', sortKey: 'id' },
  /** The short human reference (ESC-7K2M9Q): unique, so a search finds at most one case. */
  byReference: { partitionKey: 'reference', sortKey: 'id' },
  /** Sparse: only cases whose timer start is unconfirmed or whose outbox holds unsent email. */
  needsAttention: { partitionKey: 'attention', sortKey: 'id' },
} as const;
export type CaseIndexName = keyof typeof CASE_INDEXES;

/** The attributes the list indexes carry: the case as the API shows it, without timeline and outbox. */
export const LIST_PROJECTION = [
  'reference', 'priority', 'level', 'category', 'customer', 'subject', 'description', 'createdAt', 'updatedAt', 'version', 'sla',
  'resolution', 'resolvedAt', 'closedAt', 'feedback', 'reopenCount', 'compensations', 'timer',
] as const;


/** The non-key attributes an index carries (DynamoDB refuses an index's own keys here); the sparse index carries keys only. */
export function projectionFor(index: CaseIndexName): string[] | 'KEYS_ONLY' {
  if (index === 'needsAttention') return 'KEYS_ONLY';
  const keys = new Set<string>([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, CASE_INDEXES[index].partitionKey, CASE_INDEXES[index].sortKey]);
  return [...LIST_PROJECTION, 'status', 'department'].filter((a) => !keys.has(a));
}
