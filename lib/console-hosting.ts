// Infrastructure (stateless): the ops console on AWS — its built files in a private S3 bucket, served by CloudFront
// over HTTPS with the console's security headers, and the API behind the same distribution (/cases*, /queue, …) so
// the console calls it on its own origin: no CORS to configure, and its CSP stays `connect-src 'self'`.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Aws, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_CSP, HSTS_MAX_AGE_SECONDS, PERMISSIONS_POLICY, type ConsoleConfig } from '../console/headers.ts';
import type { Auth } from './auth.ts';
import type { EscalatorApi } from './http-api.ts';
import { acknowledge, acknowledgeWildcardResource } from './nag.ts';
import { REPO_ROOT } from './paths.ts';
import { accessLogsBucket } from './access-logs.ts';

/** API paths the distribution passes to API Gateway (everything the console calls). */
export const API_PATH_PATTERNS = ['/cases*', '/metrics*', '/queue', '/inbound/*'] as const;

/**
 * A page of the single-page app (/console/cases/{id}, /console/callback) is answered with index.html; files keep
 * their path. Viewer-request, so the rewrite happens before the cache.
 */
const SPA_ROUTING = `function handler(event) {
  var r = event.request;
  if (r.uri === '/console') return { statusCode: 308, statusDescription: 'Permanent Redirect', headers: { location: { value: '/console/' } } };
  if (r.uri.indexOf('/console/') === 0 && r.uri.slice(r.uri.lastIndexOf('/')).indexOf('.') === -1) r.uri = '/console/index.html';
  return r;
}`;

export interface ConsoleHostingProps {
  readonly api: EscalatorApi;
  readonly auth: Auth;
}

export class ConsoleHosting extends Construct {
  readonly bucket: Bucket;
  readonly logs: Bucket;
  readonly distribution: Distribution;
  /** https://<distribution>.cloudfront.net */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Access logs of the bucket and the distribution (CloudFront's standard logs need ACLs on the bucket).
    this.logs = accessLogsBucket(this);

    // Private: only this distribution reads it (origin access control); nothing in it is public.
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/',
      // Built output only, redeployed by every deploy: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Escalator ops console: CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: { customHeaders: [{ header: 'Permissions-Policy', value: PERMISSIONS_POLICY, override: true }] },
    });

    // The API through the same origin. Authorization must reach API Gateway, and CloudFront forwards it only when it
    // is part of the cache key: so it is, with a TTL of 0 (the API sends no caching headers), so nothing is cached.
    const apiCache = new CachePolicy(this, 'ApiCache', {
      comment: 'Escalator API through the console distribution: forward Authorization, cache nothing',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
    });
    const apiBehavior: BehaviorOptions = {
      origin: new HttpOrigin(`${props.api.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: apiCache,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Escalator ops console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: securityHeaders,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'SpaRouting', { code: FunctionCode.fromInline(SPA_ROUTING), runtime: FunctionRuntime.JS_2_0, comment: 'console pages → index.html' }),
          },
        ],
      },
      additionalBehaviors: Object.fromEntries(API_PATH_PATTERNS.map((p) => [p, apiBehavior])),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'served on the distribution\'s own *.cloudfront.net name, whose certificate and security policy CloudFront fixes (a minimum TLS version takes a custom domain and ACM certificate); HTTPS is required (redirect-to-https, HSTS) and browsers negotiate TLS 1.2+',
    );
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'ops staff may work from any country; access is controlled by Cognito sign-in and the API\'s JWT authorizer, not by geography');
    acknowledge(this.distribution, 'AwsSolutions-CFR2', 'static files and an API that refuses every request without a valid token (and throttles per stage/route); add a WAF web ACL (webAclId) where a deployment requires one');
    this.origin = `https://${this.distribution.distributionDomainName}`;

    props.auth.allowConsoleAt(this.origin);
    const config: ConsoleConfig = {
      apiUrl: '',
      authorizeUrl: props.auth.authorizeUrl,
      tokenUrl: props.auth.tokenUrl,
      logoutUrl: props.auth.logoutUrl,
      clientId: props.auth.consoleClient.userPoolClientId,
      redirectUri: `${this.origin}/console/callback`,
    };
    const consoleDir = path.join(REPO_ROOT, 'console');
    new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      sources: [
        // Built by Vite at synth (console/build.ts); an in-process synth that skips bundling stages the sources only.
        Source.asset(consoleDir, {
          assetHashType: AssetHashType.SOURCE,
          exclude: ['dist', 'node_modules', '*.md'],
          bundling: {
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
            local: {
              tryBundle(outputDir: string): boolean {
                execFileSync(process.execPath, ['--import', 'tsx', path.join(consoleDir, 'build.ts')], { cwd: REPO_ROOT, stdio: 'inherit' });
                cpSync(path.join(consoleDir, 'dist'), outputDir, { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('.source-hash') });
                return true;
              },
            },
          },
        }),
        Source.jsonData('config.json', config),
      ],
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
      retainOnDelete: false,
      memoryLimit: 256,
    });
    // The deployment's Lambda is CDK's own (a singleton at the stack's root); its findings are acknowledged there, one
    // by one, so a new permission in a CDK upgrade fails the synth instead of slipping under these.
    const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!provider) throw new Error('BucketDeployment created no provider function');
    acknowledge(provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'CDK\'s BucketDeployment provider writes its own logs through AWSLambdaBasicExecutionRole; it runs only during deployments');
    const copy = 'CDK\'s BucketDeployment provider copies the console\'s build from the CDK asset bucket into the console bucket (prefix console/) and removes stale files';
    for (const finding of ['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::s3:DeleteObject*']) acknowledge(provider, `AwsSolutions-IAM5[${finding}]`, copy);
    // The CDK bootstrap's asset bucket (default qualifier), and the console bucket, which holds nothing else.
    acknowledgeWildcardResource(provider, `arn:${stack.partition}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`, `${copy}: the objects of the CDK asset bucket, named by content hash`);
    acknowledgeWildcardResource(provider, `${this.bucket.bucketArn}/*`, `${copy}: every object of the console bucket, which holds nothing else`);
    acknowledge(provider, 'AwsSolutions-IAM5[Resource::*]', 'CDK\'s BucketDeployment provider invalidates the distribution\'s cache after a copy (cloudfront:CreateInvalidation/GetInvalidation, granted by CDK on *)');
    const pinned = 'CDK\'s BucketDeployment provider pins the Python runtime its bundled AWS CLI layer supports; CDK upgrades move it';
    acknowledge(provider, 'AwsSolutions-L1', pinned);
    acknowledge(provider, 'Serverless-LambdaLatestVersion', pinned);
    acknowledge(provider, 'Serverless-LambdaDLQ', 'invoked synchronously by CloudFormation during a deployment, which reports a failure and rolls back');
    acknowledge(provider, 'Serverless-LambdaTracing', 'runs only during deployments, whose outcome CloudFormation records; nothing to trace at run time');
  }
}
