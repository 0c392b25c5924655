// Cognito pre-token-generation trigger (event version 2): a person signed in through the hosted UI gets, in their
// access token, only the API scopes their user groups grant (GROUP_SCOPES, the same map the local stack applies).
// The console's app client may ask for every scope; this trigger takes away those the groups do not give, so the
// JWT authorizer then checks a person's token exactly as it checks a machine client's.
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { observed } from '../commons/middleware.ts';
import { logger } from '../commons/observability.ts';
import { SCOPES, scopesOfGroups } from './scopes.ts';

const API_SCOPES: readonly string[] = Object.values(SCOPES);

/** The requested API scopes the groups do not grant (other scopes, e.g. openid, are left alone). */
export function scopesToSuppress(groups: readonly string[], requested: readonly string[]): string[] {
  const held = new Set<string>(scopesOfGroups(groups));
  return requested.filter((s) => API_SCOPES.includes(s) && !held.has(s));
}

export const handler = observed('pre-token', async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  const suppress = scopesToSuppress(groups, event.request.scopes ?? []);
  event.response = { claimsAndScopeOverrideDetails: { accessTokenGeneration: { scopesToSuppress: suppress } } };
  // No case here: a sign-in. The user name is Cognito's, the groups are what the scopes follow.
  logger.info('token scopes', { userName: event.userName, groups, suppressed: suppress });
  return event;
});
