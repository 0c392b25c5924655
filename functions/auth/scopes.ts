// The API's OAuth scopes and which of them people hold by user group. Free of other imports: the route table, the
// CDK app, the local authorization server and Cognito's pre-token trigger all read it.

export const SCOPES = {
  read: 'cases/read',
  write: 'cases/write',
  manage: 'cases/manage',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/**
 * People (the ops console) get scopes from their user groups, the same map on AWS (Cognito groups, applied by the
 * pre-token-generation trigger) and locally (local users): a token's scopes are checked like any client's.
 */
export const GROUP_SCOPES = {
  'escalator-readers': [SCOPES.read],
  'escalator-agents': [SCOPES.read, SCOPES.write],
  'escalator-managers': [SCOPES.read, SCOPES.write, SCOPES.manage],
} as const satisfies Record<string, readonly Scope[]>;
export type UserGroup = keyof typeof GROUP_SCOPES;

/** The scopes a person in these groups holds (union, in the route table's order). */
export function scopesOfGroups(groups: readonly string[]): Scope[] {
  const held = new Set<Scope>(groups.flatMap((g) => (g in GROUP_SCOPES ? GROUP_SCOPES[g as UserGroup] : [])));
  return Object.values(SCOPES).filter((s) => held.has(s));
}
