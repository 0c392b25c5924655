// The cases table's shape, free of SDK imports so the CDK app (lib/cases-table.ts), the store and the local stack share
// it: every key format and index, once. The layout (README "Storage") in short:
//
//   pk                       sk                                        item
//   CASE#<caseId>            CASE                                      the case: current state, version, timer, stats
//   CASE#<caseId>            EV#<eventId>                              one timeline event (eventId: a ULID, ascending)
//   CASE#<caseId>            EV#<eventId>#EMAIL#<template>#<to>        one email that event owes, and its delivery record
//   IDEM#<clientId>#<key>    IDEM                                      an Idempotency-Key's request hash and response
//   REF#<reference>          REF                                       the claim of a case's short reference (ESC-…)
//   SUPPRESS#<address>       SUPPRESS                                  an address that bounced or complained
//   INBOUND#QUARANTINE       <receivedAt>#<sha256 of Message-ID>       an inbound message kept aside, with why
//
// An email sorts right after the event that owes it, so one Query over `EV#` reads a page of the timeline with its
// emails' outcomes. The case item and a new email carry `attention` until their effect is done (timer confirmed,
// email settled): the sparse `needsAttention` index is the reconciler's work list.

/** Every item has a string partition key `pk` and sort key `sk`. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

export const CASE_SK = 'CASE';
export const EVENT_PREFIX = 'EV#';
const EMAIL_INFIX = '#EMAIL#';

export const keys = {
  casePk: (caseId: string) => `CASE#${caseId}`,
  case: (caseId: string) => ({ pk: `CASE#${caseId}`, sk: CASE_SK }),
  event: (caseId: string, eventId: string) => ({ pk: `CASE#${caseId}`, sk: `${EVENT_PREFIX}${eventId}` }),
  email: (caseId: string, eventId: string, template: string, to: string) => ({
    pk: `CASE#${caseId}`,
    sk: `${EVENT_PREFIX}${eventId}${EMAIL_INFIX}${template}#${to.toLowerCase()}`,
  }),
  idempotency: (clientId: string, key: string) => ({ pk: `IDEM#${clientId}#${key}`, sk: 'IDEM' }),
  reference: (reference: string) => ({ pk: `REF#${reference}`, sk: 'REF' }),
  suppression: (address: string) => ({ pk: `SUPPRESS#${address.trim().toLowerCase()}`, sk: 'SUPPRESS' }),
  /** One partition, newest last: ops read it a page at a time (refused mail is rare next to cases). */
  quarantinedMail: (receivedAt: string, id: string) => ({ pk: QUARANTINE_PK, sk: `${receivedAt}#${id}` }),
};

export const QUARANTINE_PK = 'INBOUND#QUARANTINE';

export type ItemKind = 'case' | 'event' | 'email' | 'suppression' | 'other';

/** What an item is, from its keys alone (the stream consumer and the reconciler see keys first). */
export function itemKind(key: { pk?: unknown; sk?: unknown }): ItemKind {
  if (typeof key.pk !== 'string' || typeof key.sk !== 'string') return 'other';
  if (key.pk.startsWith('SUPPRESS#')) return 'suppression';
  if (!key.pk.startsWith('CASE#')) return 'other';
  if (key.sk === CASE_SK) return 'case';
  if (!key.sk.startsWith(EVENT_PREFIX)) return 'other';
  return key.sk.includes(EMAIL_INFIX) ? 'email' : 'event';
}

export const caseIdOfPk = (pk: string): string => pk.slice('CASE#'.length);

/** Index names and keys; lib/cases-table.ts declares exactly these. Only case items carry the list indexes' keys. */
export const CASE_INDEXES = {
  byCreated: { partitionKey: 'kind', sortKey: 'id' },
  byStatus: { partitionKey: 'status', sortKey: 'id' },
  byCustomer: { partitionKey: 'customerId', sortKey: 'id' },
  byDepartment: { partitionKey: 'department', sortKey: 'id' },
  /** The short human reference (ESC-7K2M9Q): unique, so a search finds at most one case. */
  byReference: { partitionKey: 'reference', sortKey: 'id' },
  /** Sparse: only OPEN and PAUSED cases, by their next deadline (functions/domain/queue.ts): the ops queue. */
  byNextDeadline: { partitionKey: 'queue', sortKey: 'dueAt' },
  /** Sparse: case items whose timer start is unconfirmed and emails not yet settled, oldest first. */
  needsAttention: { partitionKey: 'attention', sortKey: 'attentionSince' },
} as const;
export type CaseIndexName = keyof typeof CASE_INDEXES;

/**
 * What each index carries. The list indexes project the whole case item: it is the case's state and nothing else (its
 * history is items of its own), and an INCLUDE list would meet the 100-attribute limit (DynamoDB Local: 20 per index).
 * The sparse work list carries keys only.
 */
export function projectionFor(index: CaseIndexName): 'ALL' | 'KEYS_ONLY' {
  return index === 'needsAttention' ? 'KEYS_ONLY' : 'ALL';
}
