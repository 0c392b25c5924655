// Infrastructure: the HTTP API, built from the route table (functions/http/route-table.ts: each route's contract
// bound to its handler by import), the same table the local gateway serves and whose contracts the OpenAPI document
// describes. One function per route, named by its operationId, entry where the handler is, with only the grants it needs;
// a JWT authorizer (Cognito) with the route's scope on every route that has one.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTE_TABLE } from '../functions/http/route-table.ts';
import type { RouteNeeds, RouteSpec, Throttle } from '../functions/routes.ts';
import type { Auth } from './auth.ts';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction } from './escalator-function.ts';
import { acknowledge } from './nag.ts';
import type { Policy } from '../functions/domain/policy.ts';

export type { RouteNeeds, Throttle } from '../functions/routes.ts';

/** Every route unless its entry in the route table says otherwise (requests per second, steady and burst). */
export const DEFAULT_THROTTLE: Throttle = { rateLimit: 50, burstLimit: 100 };

/** Below the HTTP API's 30 s integration limit, above a write's retries under contention (8 s). */
export const API_FUNCTION_TIMEOUT = Duration.seconds(28);

/** What the route's function may access and how it is throttled: declared on its entry in functions/routes.ts. */
export function routeNeeds(route: RouteSpec): RouteNeeds {
  return route.needs;
}

/** `POST /cases/{id}/resolve`, the key API Gateway uses for routes and route settings. */
export const routeKey = (route: RouteSpec): string => `${route.method} ${route.path}`;

export interface EscalatorApiProps {
  readonly policy: Policy;
  readonly cases: CasesTable;
  readonly stateMachine: StateMachine;
  readonly email: EmailSending;
  readonly linkSigningKey: ISecret;
  readonly auth: Auth;
}

export class EscalatorApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** Route functions by operationId. */
  readonly functions: Record<string, EscalatorFunction> = {};

  constructor(scope: Construct, id: string, props: EscalatorApiProps) {
    super(scope, id);

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Escalator: customer escalation engine API',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // routeKey, never the raw path: survey tokens travel in the path.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            clientId: '$context.authorizer.claims.client_id',
          }),
        ),
      },
    });

    const authorizer = new HttpJwtAuthorizer('CognitoJwt', props.auth.issuerUrl, {
      // Cognito access tokens carry no `aud`; API Gateway then matches `client_id` against this list.
      // The console's client too: a person's token is checked like a machine client's (issuer, client, scope).
      jwtAudience: [props.auth.integrationClient.userPoolClientId, props.auth.managerClient.userPoolClientId, props.auth.consoleClient.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const { route, entry } of ROUTE_TABLE) {
      const needs = routeNeeds(route);
      const fn = new EscalatorFunction(this, route.operationId, {
        handler: entry,
        description: `${routeKey(route)}: ${route.summary}`.slice(0, 256),
        policy: props.policy,
        invocation: { kind: 'sync', caller: 'API Gateway' },
        // A write may retry a lost race for up to 8 s; HTTP APIs wait at most 30 s for a Lambda.
        timeout: API_FUNCTION_TIMEOUT,
        environment: {
          TABLE_NAME: props.cases.table.tableName,
          STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
          LINK_SIGNING_SECRET_ARN: props.linkSigningKey.secretArn,
          SES_CONFIGURATION_SET: props.email.configurationSetName,
        },
      });
      if (needs.table) fn.bindTable(props.cases, needs.table);
      if (needs.workflow?.length) fn.bindWorkflow(props.stateMachine, ...needs.workflow);
      if (needs.email) fn.bindEmail(props.email);
      if (needs.linkSigningKey) fn.bindLinkSigningKey(props.linkSigningKey);
      this.functions[route.operationId] = fn;

      const routes = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.operationId}Integration`, fn),
        ...(route.scope ? { authorizer, authorizationScopes: [route.scope] } : {}),
      });
      if (!route.scope) {
        for (const r of routes) {
          acknowledge(
            r,
            'AwsSolutions-APIG4',
            route.path.startsWith('/feedback/')
              ? 'public by design: the customer follows an HMAC-signed, expiring, case-bound survey link from an email; the handler verifies it'
              : 'public by design: the OpenAPI document of this API, no data',
          );
        }
      }
      if (needs.throttle) {
        routeSettings[routeKey(route)] = { ThrottlingRateLimit: needs.throttle.rateLimit, ThrottlingBurstLimit: needs.throttle.burstLimit };
      }
    }
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = routeSettings;
    // Route settings name routes by key: the routes must exist before the stage refers to them.
    for (const child of this.api.node.children) {
      if (child instanceof HttpRoute) cfnStage.node.addDependency(child);
    }
  }

  get url(): string {
    return this.stage.url;
  }
}
