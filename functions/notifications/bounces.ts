// Primary adapter (SNS): SES bounce and complaint events from the configuration set. Every permanently bounced or
// complaining recipient becomes a suppression item; the email sender (functions/app/effects.ts) checks it and never emails that address again.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import * as z from '../domain/zod.ts';
import { ddb } from '../commons/clients/dynamodb.ts';
import { tableName } from '../commons/config.ts';
import { observed, tagCase } from '../commons/middleware.ts';
import { countMetric, logger, METRIC } from '../commons/observability.ts';
import { suppressionKey } from './suppression.ts';

const Recipient = z.object({ emailAddress: z.string().check(z.minLength(3)) });

/** SES event publishing (`eventType`) and identity notifications (`notificationType`) share these shapes. */
const SesFeedback = z.object({
  eventType: z.optional(z.string()),
  notificationType: z.optional(z.string()),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      bouncedRecipients: z.array(Recipient),
      timestamp: z.optional(z.string()),
    }),
  ),
  complaint: z.optional(
    z.object({
      complainedRecipients: z.array(Recipient),
      complaintFeedbackType: z.optional(z.string()),
      timestamp: z.optional(z.string()),
    }),
  ),
});

export interface Suppression {
  address: string;
  reason: string;
  at: string;
}

/** The addresses one SES notification says must not be emailed again (only permanent bounces and complaints). */
export function suppressionsFrom(message: unknown, now = new Date()): Suppression[] {
  const parsed = SesFeedback.safeParse(message);
  if (!parsed.success) return [];
  const n = parsed.data;
  const type = n.eventType ?? n.notificationType;
  if (type === 'Bounce' && n.bounce?.bounceType === 'Permanent') {
    const reason = `bounce: Permanent/${n.bounce.bounceSubType ?? 'General'}`;
    const at = n.bounce.timestamp ?? now.toISOString();
    return n.bounce.bouncedRecipients.map((r) => ({ address: r.emailAddress, reason, at }));
  }
  if (type === 'Complaint' && n.complaint) {
    const reason = `complaint: ${n.complaint.complaintFeedbackType ?? 'unspecified'}`;
    const at = n.complaint.timestamp ?? now.toISOString();
    return n.complaint.complainedRecipients.map((r) => ({ address: r.emailAddress, reason, at }));
  }
  return [];
}

/** The case an SES notification is about: SES echoes the sent email's tags (`mail.tags.case`, a list of values; functions/notifications/compose.ts sets it). */
function caseIdOf(message: unknown): string | undefined {
  const tags = (message as { mail?: { tags?: Record<string, unknown> } })?.mail?.tags;
  const v = tags?.['case'];
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

/** Failing writes throw: SNS retries the delivery, then it lands in the dead-letter queue. Unreadable messages are skipped. */
export const handler = observed('bounces', async (event: SNSEvent): Promise<{ suppressed: number }> => {
  let suppressed = 0;
  for (const record of event.Records) {
    let message: unknown;
    try {
      message = JSON.parse(record.Sns.Message);
    } catch {
      logger.warn('SES notification is not JSON; skipped', { messageId: record.Sns.MessageId });
      continue;
    }
    // The email's tags name its case (functions/adapters/ses-mailer.ts): the bounce is logged against it.
    const caseId = caseIdOf(message);
    if (caseId) tagCase(caseId);
    for (const s of suppressionsFrom(message)) {
      await ddb().send(
        new PutCommand({ TableName: tableName(), Item: { ...suppressionKey(s.address), reason: s.reason, at: s.at } }),
      );
      suppressed++;
      countMetric(METRIC.addressesSuppressed);
      logger.info('address suppressed', { reason: s.reason });
    }
  }
  return { suppressed };
});
