// CDK: receiving customers' replies — the receipt rule set for the inbound domain (context, default reply.<sender's
// domain>), raw MIME into the encrypted, private mail bucket, then the inbound function; what the function may touch;
// the senders' reply domain. Fine-grained assertions on the synthesized template.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RAW_PREFIX } from '../../functions/adapters/mail-store.ts';
import { HANDLER_METADATA_KEY } from '../../lib/escalator-function.ts';
import { defaultSynth, iamStatements, synth, type Synthesized } from './synth.ts';
import { flattenCfnReference } from '../../lib/nag.ts';

let s: Synthesized;
beforeAll(() => {
  s = defaultSynth();
});

const fnOf = (file: string) => Object.entries(s.json.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && (r.Metadata?.[HANDLER_METADATA_KEY] as { file?: string } | undefined)?.file === file)!;

describe('inbound email', () => {
  it('has one receipt rule for reply.<the sender\'s domain>: spam and virus scanning, the raw message to S3 under raw/, then the function, asynchronously', () => {
    s.template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
    const bucket = s.logicalId(s.stack.inbound.bucket);
    const [fnId] = fnOf('functions/inbound/receive.ts');
    s.template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({
        Enabled: true,
        Recipients: ['reply.example.com'],
        ScanEnabled: true,
        Actions: [
          { S3Action: { BucketName: { Ref: bucket }, ObjectKeyPrefix: RAW_PREFIX } },
          { LambdaAction: { FunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, InvocationType: 'Event' } },
        ],
      }),
    });
    // SES may invoke it, from this account only; SES may write raw messages to the bucket, from this account only.
    s.template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'ses.amazonaws.com', FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] }, SourceAccount: { Ref: 'AWS::AccountId' } });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:PutObject', Principal: { Service: 'ses.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })]) },
    });
  });

  it('keeps mail in a retained, encrypted, private bucket that refuses plain HTTP and logs access; raw messages expire after 90 days', () => {
    const id = s.logicalId(s.stack.inbound.bucket);
    const bucket = s.json.Resources[id]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: s.logicalId(s.stack.inbound.logs) } },
      LifecycleConfiguration: { Rules: [{ Prefix: RAW_PREFIX, ExpirationInDays: 90, Status: 'Enabled' }] },
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('lets the function read raw/ and write attachments/ only, the table and the link key; async with a dead-letter queue', () => {
    const [fnId, fn] = fnOf('functions/inbound/receive.ts');
    expect(fn.Properties).toMatchObject({
      DeadLetterConfig: { TargetArn: expect.anything() },
      Environment: { Variables: expect.objectContaining({ INBOUND_DOMAIN: 'reply.example.com', INBOUND_BUCKET: { Ref: s.logicalId(s.stack.inbound.bucket) }, LINK_SIGNING_SECRET_ARN: expect.anything(), TABLE_NAME: expect.anything() }) },
    });
    const role = (fn.Properties!['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const own = iamStatements(s.json).filter((st) => st.owner.startsWith(role.replace(/Role.*$/, 'Role')) || st.owner === role);
    const s3 = own.filter((st) => st.actions.some((a) => a.startsWith('s3:')));
    const mail = s.logicalId(s.stack.inbound.bucket);
    expect(s3.map((st) => [st.actions, st.resources.map(flattenCfnReference)])).toEqual(
      expect.arrayContaining([
        [['s3:GetObject'], [`<${mail}.Arn>/raw/*`]],
        [['s3:PutObject'], [`<${mail}.Arn>/attachments/*`]],
      ]),
    );
    expect(s3).toHaveLength(2);
    expect(own.flatMap((st) => st.actions).filter((a) => a.startsWith('ses:') || a.startsWith('states:'))).toEqual([]);
    expect(fnId).toBeTruthy();
  });

  it('gives every sender the inbound domain, so customer emails carry the case\'s reply address', () => {
    for (const f of ['functions/stream/effects.ts', 'functions/workflow/reconciler.ts']) {
      const [, fn] = fnOf(f);
      expect((fn.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables['INBOUND_DOMAIN'], f).toBe('reply.example.com');
    }
  });

  it('takes the domain from context (-c inboundDomain=…) and names it in the outputs', () => {
    const other = synth({ context: { inboundDomain: 'Replies.Example.NET' } });
    other.template.hasResourceProperties('AWS::SES::ReceiptRule', { Rule: Match.objectLike({ Recipients: ['replies.example.net'] }) });
    expect(other.json.Outputs?.['InboundDomain']).toMatchObject({ Value: 'replies.example.net' });
  });
});
