// Application: the inbound use case bound to the deployed adapters (DynamoDB, the mail store, the link key). Only the
// inbound function imports it.
import { caseStore } from '../adapters/case-store.ts';
import { inboundRepository } from '../adapters/inbound-repository.ts';
import { mailStore } from '../adapters/mail-store.ts';
import { getPolicy, requireEnv } from '../commons/config.ts';
import { linkSigningKey, verifyReplyAddress } from '../commons/signed-links.ts';
import { DEFAULT_MAX_ATTACHMENT_BYTES } from '../inbound/parse.ts';
import { inboundUseCases } from './inbound.ts';
import { cases } from './wiring.ts';

export const inbound = inboundUseCases({
  cases,
  store: caseStore,
  inbound: inboundRepository,
  mail: mailStore,
  policy: getPolicy,
  replyReference: async (address) => verifyReplyAddress(address, requireEnv('INBOUND_DOMAIN'), await linkSigningKey()),
  maxAttachmentBytes: Number(process.env['INBOUND_MAX_ATTACHMENT_BYTES'] ?? DEFAULT_MAX_ATTACHMENT_BYTES),
});
