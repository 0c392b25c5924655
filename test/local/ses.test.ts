// The local SES answers what the AWS CLI asks first (`aws ses list-identities`, `get-send-quota`) and refuses what it
// does not implement at once, with SES's error shape, instead of leaving the request hanging; sending still works.
import { GetSendQuotaCommand, ListIdentitiesCommand, SendEmailCommand, SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSes } from '../../local/ses.ts';

let server: Server;
let url: string;
let ses: SESClient;
beforeAll(async () => {
  server = await startLocalSes({ host: '127.0.0.1', port: 0, identities: ['help@example.com'] });
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  // One attempt and a short timeout: a hang fails the test fast instead of retrying for minutes.
  ses = new SESClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1, requestHandler: { requestTimeout: 3_000 } });
});
afterAll(async () => {
  ses?.destroy();
  await new Promise((r) => server?.close(r));
});

describe('local SES (v1 query API)', () => {
  it('lists the policy sender as its identity', async () => {
    const r = await ses.send(new ListIdentitiesCommand({}));
    expect(r.Identities).toEqual(['help@example.com']);
  });

  it('reports the send quota: no limit, and what was sent in the last 24 hours', async () => {
    // Prepare
    await ses.send(new SendEmailCommand({ Source: 'help@example.com', Destination: { ToAddresses: ['ana@example.org'] }, Message: { Subject: { Data: 'hi' }, Body: { Text: { Data: 'hello' } } } }));
    // Act
    const r = await ses.send(new GetSendQuotaCommand({}));
    // Assess
    expect(r).toMatchObject({ Max24HourSend: -1, MaxSendRate: -1, SentLast24Hours: 1 });
    const store = (await (await fetch(`${url}/store`)).json()) as { emails: { subject: string }[] };
    expect(store.emails.map((e) => e.subject)).toEqual(['hi']);
  });

  it('refuses an action it does not implement at once, saying what it does answer', async () => {
    const started = Date.now();
    const e = await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: 'x@example.com' })).catch((err: Error) => err);
    expect(e).toMatchObject({ name: 'InvalidAction' });
    expect((e as Error).message).toContain('does not implement VerifyEmailIdentity; it answers SendEmail, SendRawEmail, ListIdentities, GetSendQuota');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
