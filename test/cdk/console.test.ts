// CDK: the ops console's hosting (private bucket, CloudFront with TLS and security headers, the API on the same
// origin) and its sign-in (hosted-UI client with the authorization code, groups, the trigger mapping groups to scopes).
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, HSTS_MAX_AGE_SECONDS } from '../../console/headers.ts';
import { scopesToSuppress } from '../../functions/auth/pre-token.ts';
import { GROUP_SCOPES } from '../../functions/routes.ts';
import { API_PATH_PATTERNS } from '../../lib/console-hosting.ts';
import { defaultSynth, type Synthesized } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = defaultSynth();
});
const resourcesOf = (type: string) => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);

describe('console hosting', () => {
  it('keeps the files in a bucket that is not public, encrypted, TLS-only, read by CloudFront alone', () => {
    const files = s.logicalId(s.stack.console.bucket);
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: Match.anyValue(),
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/' }),
    });
    expect(s.json.Resources[files]?.Properties?.['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const policy = resourcesOf('AWS::S3::BucketPolicy').find(([, r]) => JSON.stringify(r.Properties?.['Bucket']).includes(files));
    const statements = (policy?.[1].Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement;
    const allows = statements.filter((x) => x['Effect'] === 'Allow');
    expect(allows.map((x) => x['Principal'])).toEqual([{ Service: 'cloudfront.amazonaws.com' }]);
    expect(JSON.stringify(allows[0]?.['Condition'])).toContain('AWS:SourceArn');
    expect(statements.some((x) => x['Effect'] === 'Deny' && JSON.stringify(x['Condition']).includes('aws:SecureTransport'))).toBe(true);
    s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('serves over HTTPS only, with the console\'s security headers, pages routed to index.html, and the API on the same origin', () => {
    s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
        }),
        CacheBehaviors: API_PATH_PATTERNS.map((p) => Match.objectLike({ PathPattern: p, ViewerProtocolPolicy: 'https-only', AllowedMethods: Match.arrayWith(['POST']) })),
        Origins: Match.arrayWith([Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] }) })]),
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
    s.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        },
      }),
    });
    // Authorization reaches the API (in the cache key) and nothing is cached.
    s.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 0, MinTTL: 0, ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] } }) }),
    });
  });

  it('deploys the build and a config.json naming the hosted UI and the console client', () => {
    const [, deploy] = resourcesOf('Custom::CDKBucketDeployment')[0]!;
    expect(deploy.Properties?.['DestinationBucketKeyPrefix']).toBe('console/');
    expect(deploy.Properties?.['DistributionPaths']).toEqual(['/console/*']);
    // config.json's deploy-time values: the hosted UI's domain, the console client, the distribution's name.
    const markers = JSON.stringify(deploy.Properties?.['SourceMarkers']);
    for (const c of [s.stack.auth.domain, s.stack.auth.consoleClient, s.stack.console.distribution]) expect(markers).toContain(s.logicalId(c));
    expect(JSON.stringify(s.json.Outputs)).toContain('ConsoleUrl');
  });
});

describe('console sign-in', () => {
  it('has a public hosted-UI client: authorization code only, no secret, the console\'s callback, every API scope', () => {
    const client = s.logicalId(s.stack.auth.consoleClient);
    const props = s.json.Resources[client]!.Properties!;
    expect(props['GenerateSecret']).toBe(false);
    expect(props['AllowedOAuthFlows']).toEqual(['code']);
    expect(props['AllowedOAuthFlowsUserPoolClient']).toBe(true);
    expect(JSON.stringify(props['CallbackURLs'])).toContain('/console/callback');
    expect(JSON.stringify(props['CallbackURLs'])).toContain(s.logicalId(s.stack.console.distribution));
    expect(JSON.stringify(props['AllowedOAuthScopes'])).toMatch(/\/read.*\/write.*\/manage/);
    // The API accepts its tokens like the machine clients'.
    const authorizer = resourcesOf('AWS::ApiGatewayV2::Authorizer')[0]![1];
    expect(JSON.stringify(authorizer.Properties?.['JwtConfiguration'])).toContain(client);
  });

  it('maps user groups to scopes with a version-2 pre-token trigger', () => {
    for (const g of Object.keys(GROUP_SCOPES)) s.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: g });
    s.template.hasResourceProperties('AWS::Cognito::UserPool', { LambdaConfig: { PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: Match.anyValue() } } });
    // Prepare/Act/Assess on the trigger's rule itself
    expect(scopesToSuppress(['escalator-readers'], ['openid', 'cases/read', 'cases/write', 'cases/manage'])).toEqual(['cases/write', 'cases/manage']);
    expect(scopesToSuppress(['escalator-agents'], ['cases/read', 'cases/write', 'cases/manage'])).toEqual(['cases/manage']);
    expect(scopesToSuppress(['escalator-managers'], ['cases/read', 'cases/write', 'cases/manage'])).toEqual([]);
    expect(scopesToSuppress([], ['cases/read'])).toEqual(['cases/read']);
  });
});
