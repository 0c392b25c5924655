// The cases table's shape, free of SDK imports so the CDK app (lib/cases-table.ts) and the repository share it.

/** Every item has a string partition key `pk` and sort key `sk`; a case is pk CASE#<id>, sk CASE. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Index names and keys; lib/cases-table.ts declares exactly these. */
export const CASE_INDEXES = {
  byCreated: { partitionKey: 'kind', sortKey: 'id' },
  byStatus: { partitionKey: 'status', sortKey: 'id' },
  byCustomer: { partitionKey: 'customerId', sortKey: 'id' },
  byDepartment: { partitionKey: 'department', sortKey: 'id' },
  /** Sparse: only OPEN and PAUSED cases, by their next deadline (functions/domain/queue.ts): the ops queue. */
  byNextDeadline: { partitionKey: 'queue', sortKey: 'dueAt' },
  /** Sparse: only cases whose timer start is unconfirmed or whose outbox holds unsent email. */
  needsAttention: { partitionKey: 'attention', sortKey: 'id' },
} as const;
export type CaseIndexName = keyof typeof CASE_INDEXES;

/** The attributes the list indexes carry: the case as the API shows it, without timeline and outbox. */
export const LIST_PROJECTION = [
  'priority', 'level', 'category', 'customer', 'subject', 'description', 'createdAt', 'updatedAt', 'version', 'sla',
  'resolution', 'resolvedAt', 'closedAt', 'feedback', 'reopenCount', 'compensations', 'timer',
] as const;


/** The non-key attributes an index carries (DynamoDB refuses an index's own keys here); the sparse index carries keys only. */
export function projectionFor(index: CaseIndexName): string[] | 'KEYS_ONLY' {
  if (index === 'needsAttention') return 'KEYS_ONLY';
  const keys = new Set<string>([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, CASE_INDEXES[index].partitionKey, CASE_INDEXES[index].sortKey]);
  // The queue index also carries id (not one of its keys) and riskAt (its at-risk filter); the others are left as
  // they are, since changing an index's projection rebuilds it.
  const extra = index === 'byNextDeadline' ? ['id', 'riskAt'] : [];
  return [...LIST_PROJECTION, 'status', 'department', ...extra].filter((a) => !keys.has(a));
}
