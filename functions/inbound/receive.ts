// Primary adapter: SES's receipt rule invokes this for every message to the inbound domain, after storing the raw
// MIME in the inbound bucket (the local SMTP server does the same with a file and the same event). Each record goes to
// the inbound use case; an error fails the invocation, so SES's asynchronous invocation retries it (then the
// dead-letter queue) — safe, because the use case is idempotent on the Message-ID.
import type { SESEvent, SESEventRecord } from 'aws-lambda';
import { rawKeyOf } from '../adapters/mail-store.ts';
import { inbound } from '../app/inbound-wiring.ts';
import type { InboundOutcome, ReceivedMail } from '../app/inbound.ts';
import { observed } from '../commons/middleware.ts';
import { logger } from '../commons/observability.ts';

export function receivedMail(r: SESEventRecord): ReceivedMail {
  const { mail, receipt } = r.ses;
  return {
    rawKey: rawKeyOf(mail.messageId),
    receivedAt: new Date(mail.timestamp).toISOString(),
    envelopeFrom: mail.source ?? '',
    recipients: receipt.recipients,
    verdicts: {
      spf: receipt.spfVerdict?.status ?? 'GRAY',
      dkim: receipt.dkimVerdict?.status ?? 'GRAY',
      dmarc: receipt.dmarcVerdict?.status ?? 'GRAY',
      spam: receipt.spamVerdict?.status ?? 'GRAY',
      virus: receipt.virusVerdict?.status ?? 'GRAY',
    },
  };
}

export const handler = observed('inbound', async (event: SESEvent): Promise<{ outcomes: InboundOutcome[] }> => {
  const outcomes: InboundOutcome[] = [];
  for (const r of event.Records) {
    const outcome = await inbound.receive(receivedMail(r));
    logger.info('inbound message', { sesMessageId: r.ses.mail.messageId, ...outcome });
    outcomes.push(outcome);
  }
  return { outcomes };
});
