// Unit (no AWS): the SES bounce/complaint handler turns notifications into suppression items.
// Lives beside the CDK tests because it ships with lib/notifications.ts; it could move to test/notifications/.
import type { SNSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ddb } from '../../functions/commons/clients/dynamodb.ts';
import { handler, suppressionsFrom } from '../../functions/notifications/bounces.ts';

const bounce = (bounceType: string, ...addresses: string[]) => ({
  eventType: 'Bounce',
  bounce: { bounceType, bounceSubType: 'General', timestamp: '2026-03-02T09:00:00.000Z', bouncedRecipients: addresses.map((emailAddress) => ({ emailAddress })) },
  mail: { messageId: 'm-1' },
});
const complaint = (...addresses: string[]) => ({
  notificationType: 'Complaint',
  complaint: { complaintFeedbackType: 'abuse', timestamp: '2026-03-02T10:00:00.000Z', complainedRecipients: addresses.map((emailAddress) => ({ emailAddress })) },
});
const snsEvent = (...messages: unknown[]): SNSEvent =>
  ({ Records: messages.map((m, i) => ({ Sns: { MessageId: `sns-${i}`, Message: typeof m === 'string' ? m : JSON.stringify(m) } })) }) as unknown as SNSEvent;

describe('suppressionsFrom', () => {
  it('suppresses permanently bounced and complaining recipients, not transient bounces or deliveries', () => {
    expect(suppressionsFrom(bounce('Permanent', 'A@Example.com', 'b@example.com'))).toEqual([
      { address: 'A@Example.com', reason: 'bounce: Permanent/General', at: '2026-03-02T09:00:00.000Z' },
      { address: 'b@example.com', reason: 'bounce: Permanent/General', at: '2026-03-02T09:00:00.000Z' },
    ]);
    expect(suppressionsFrom(complaint('c@example.com'))).toEqual([{ address: 'c@example.com', reason: 'complaint: abuse', at: '2026-03-02T10:00:00.000Z' }]);
    expect(suppressionsFrom(bounce('Transient', 'd@example.com'))).toEqual([]);
    expect(suppressionsFrom({ eventType: 'Delivery', mail: {} })).toEqual([]);
    expect(suppressionsFrom('nonsense')).toEqual([]);
  });
});

describe('handler', () => {
  const send = vi.spyOn(ddb(), 'send');
  beforeEach(() => {
    process.env['TABLE_NAME'] = 'cases';
    send.mockReset();
    send.mockResolvedValue({} as never);
  });
  afterEach(() => {
    delete process.env['TABLE_NAME'];
  });

  it('writes one SUPPRESS#<lower-cased address> item per recipient and skips unreadable messages', async () => {
    // Act
    const result = await handler(snsEvent(bounce('Permanent', 'A@Example.com'), 'not json', complaint('c@example.com')));
    // Assess
    expect(result).toEqual({ suppressed: 2 });
    const items = send.mock.calls.map(([cmd]) => (cmd as unknown as { input: { TableName: string; Item: unknown } }).input);
    expect(items).toEqual([
      { TableName: 'cases', Item: { pk: 'SUPPRESS#a@example.com', sk: 'SUPPRESS', reason: 'bounce: Permanent/General', at: '2026-03-02T09:00:00.000Z' } },
      { TableName: 'cases', Item: { pk: 'SUPPRESS#c@example.com', sk: 'SUPPRESS', reason: 'complaint: abuse', at: '2026-03-02T10:00:00.000Z' } },
    ]);
  });

  it('fails the invocation when the write fails, so SNS retries and then dead-letters it', async () => {
    send.mockRejectedValueOnce(new Error('throttled') as never);
    await expect(handler(snsEvent(bounce('Permanent', 'a@example.com')))).rejects.toThrow('throttled');
  });
});
