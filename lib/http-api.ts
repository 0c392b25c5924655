// Infrastructure: the HTTP API, built from the route table (functions/routes.ts), the same list the local gateway
// and the OpenAPI document use. One function per route, named by its operationId, with only the grants it needs;
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
import { ROUTES, type RouteSpec } from '../functions/routes.ts';
import type { Auth } from './auth.ts';
import type { CasesTable } from './cases-table.ts';
import { type EmailSending, EscalatorFunction, type TableAccess, type WorkflowAccess } from './escalator-function.ts';
import { acknowledge } from './nag.ts';

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Every route unless it says otherwise (requests per second, steady and burst). */
export const DEFAULT_THROTTLE: Throttle = { rateLimit: 50, burstLimit: 100 };

/** What a route's function may touch. Anything not listed here is denied. */
export interface RouteNeeds {
  readonly table?: TableAccess;
  readonly workflow?: readonly WorkflowAccess[];
  /** Sends the email a change owes (and signs survey links in it). */
  readonly email?: boolean;
  /** Verifies or signs customer links. */
  readonly linkSigningKey?: boolean;
  readonly throttle?: Throttle;
}

/** Below the HTTP API's 30 s integration limit, above a write's retries under contention (8 s). */
export const API_FUNCTION_TIMEOUT = Duration.seconds(28);

const READ: RouteNeeds = { table: 'read' };
/** A change to a case: one transaction. Its effects (timer, emails) follow from the stream (lib/stream-effects.ts). */
const CHANGE: RouteNeeds = { table: 'readWrite' };
/** Anyone with a link can reach these: keep them slow. */
const PUBLIC_THROTTLE: Throttle = { rateLimit: 5, burstLimit: 10 };

/** Keyed by operationId. A route missing here fails the synth: new routes must say what they need. */
export const ROUTE_NEEDS: Readonly<Record<string, RouteNeeds>> = {
  createCase: { ...CHANGE, throttle: { rateLimit: 20, burstLimit: 40 } },
  listCases: READ,
  getCase: READ,
  escalateCase: CHANGE,
  commentOnCase: CHANGE,
  offerCompensation: CHANGE,
  approveCompensation: CHANGE,
  pauseCase: CHANGE,
  resumeCase: CHANGE,
  resolveCase: CHANGE,
  reopenCase: CHANGE,
  closeCase: CHANGE,
  changePriority: CHANGE,
  adoptCurrentPolicy: CHANGE,
  getSla: READ,
  getTimeline: READ,
  getCustomerHistory: READ,
  getWorkflow: { table: 'read', workflow: ['describe', 'history'] },
  getMetrics: { ...READ, throttle: { rateLimit: 5, burstLimit: 10 } },
  simulatePolicy: { ...READ, throttle: { rateLimit: 2, burstLimit: 4 } },
  answerSurveyLink: { ...CHANGE, linkSigningKey: true, throttle: PUBLIC_THROTTLE },
  submitFeedback: { ...CHANGE, linkSigningKey: true, throttle: PUBLIC_THROTTLE },
  getOpenApi: { throttle: PUBLIC_THROTTLE },
};

export function routeNeeds(route: RouteSpec): RouteNeeds {
  const needs = ROUTE_NEEDS[route.operationId];
  if (!needs) throw new Error(`route ${route.operationId} has no entry in ROUTE_NEEDS (lib/http-api.ts): declare what its function may access`);
  return needs;
}

/** `POST /cases/{id}/resolve`, the key API Gateway uses for routes and route settings. */
export const routeKey = (route: RouteSpec): string => `${route.method} ${route.path}`;

export interface EscalatorApiProps {
  readonly policyDocument: unknown;
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
      jwtAudience: [props.auth.integrationClient.userPoolClientId, props.auth.managerClient.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of ROUTES) {
      const needs = routeNeeds(route);
      const fn = new EscalatorFunction(this, route.operationId, {
        handler: route.handler,
        description: `${routeKey(route)}: ${route.summary}`.slice(0, 256),
        policyDocument: props.policyDocument,
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
