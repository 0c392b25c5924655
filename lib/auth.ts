// Infrastructure (stateful): who may call the API. A Cognito user pool with machine clients that get access tokens
// with the client-credentials grant, and people (the ops console) who sign in through the hosted UI with the
// authorization code + PKCE; the resource server `cases` defines the scopes the route table asks for (cases/read,
// cases/write, cases/manage), and a person's user groups decide which of them their token carries.
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  type CfnUserPool,
  type CfnUserPoolClient,
  LambdaVersion,
  UserPoolOperation,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { GROUP_SCOPES, SCOPES, type Scope } from '../functions/routes.ts';
import { EscalatorFunction } from './escalator-function.ts';
import { acknowledge } from './nag.ts';
import type { Policy } from '../functions/domain/policy.ts';

export const RESOURCE_SERVER_ID = 'cases';
export const USER_POOL_LOGICAL_ID = 'EscalatorUserPool';

export interface AuthProps {
  /** Hosted domain prefix (globally unique per region); default `<stack name>-<account id>`, lower case. */
  readonly domainPrefix?: string | undefined;
  /** The validated policy, inlined into the pre-token trigger's bundle as into every function. */
  readonly policy: Policy;
}

export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly domain: UserPoolDomain;
  readonly resourceServer: UserPoolResourceServer;
  /** Read + write: the systems that open and work cases. */
  readonly integrationClient: UserPoolClient;
  /** Read + write + manage: approvals and closing. */
  readonly managerClient: UserPoolClient;
  /** The ops console: a public client (no secret), authorization code + PKCE through the hosted UI. */
  readonly consoleClient: UserPoolClient;
  /** The hosted UI's sign-in and sign-out endpoints. */
  readonly authorizeUrl: string;
  readonly logoutUrl: string;
  /** Where clients exchange id + secret for an access token (client_credentials). */
  readonly tokenUrl: string;
  /** The JWT issuer API Gateway checks. */
  readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      // People sign in to the ops console: an administrator creates them (no self sign-up), TOTP is required.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      accountRecovery: AccountRecovery.NONE,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.userPool.node.defaultChild as CfnUserPool).overrideLogicalId(USER_POOL_LOGICAL_ID);
    // Threat protection (advanced security) needs the Plus plan, priced per monthly active user.
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'the only people are ops staff created by an administrator (self sign-up off) who must use TOTP MFA and a 14-character password; the Plus plan\'s threat protection is left to operators who want it (featurePlan PLUS)',
    );

    const scopes = {
      read: new ResourceServerScope({ scopeName: 'read', scopeDescription: 'read cases, timelines, workflows and metrics' }),
      write: new ResourceServerScope({ scopeName: 'write', scopeDescription: 'open cases and act on them' }),
      manage: new ResourceServerScope({ scopeName: 'manage', scopeDescription: 'approve compensation and close cases' }),
    };
    this.resourceServer = this.userPool.addResourceServer('CasesResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'Escalator cases API',
      scopes: Object.values(scopes),
    });
    // The route table names scopes as `cases/<name>`: make sure they are the ones declared here.
    const oauth = (scope: Scope) => {
      const name = scope.slice(RESOURCE_SERVER_ID.length + 1) as keyof typeof scopes;
      if (`${RESOURCE_SERVER_ID}/${name}` !== scope || !scopes[name]) throw new Error(`route scope ${scope} is not declared on the resource server`);
      return OAuthScope.resourceServer(this.resourceServer, scopes[name]);
    };

    const client = (clientId: string, granted: Scope[]) =>
      this.userPool.addClient(clientId, {
        generateSecret: true,
        authFlows: {},
        oAuth: { flows: { clientCredentials: true }, scopes: granted.map(oauth) },
        accessTokenValidity: Duration.hours(1),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
    this.integrationClient = client('IntegrationClient', [SCOPES.read, SCOPES.write]);
    this.managerClient = client('ManagerClient', [SCOPES.read, SCOPES.write, SCOPES.manage]);

    // The console's client may ask for every scope; the pre-token trigger then removes what the person's groups do
    // not grant. Its callback is set once the console's address is known (allowConsoleAt).
    this.consoleClient = this.userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [SCOPES.read, SCOPES.write, SCOPES.manage].map(oauth),
        callbackUrls: ['https://console.invalid/console/callback'],
        logoutUrls: ['https://console.invalid/console/'],
      },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    for (const group of Object.keys(GROUP_SCOPES) as (keyof typeof GROUP_SCOPES)[]) {
      new CfnUserPoolGroup(this, `Group-${group}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: `console users holding ${GROUP_SCOPES[group].join(', ')}`,
      });
    }
    const preToken = new EscalatorFunction(this, 'PreTokenGeneration', {
      handler: { file: 'functions/auth/pre-token.ts', export: 'handler' },
      description: 'Cognito pre-token generation: a person\'s access token gets only the scopes of their groups',
      policy: props.policy,
      invocation: { kind: 'sync', caller: 'Cognito (pre-token generation trigger)' },
      timeout: Duration.seconds(5),
      memorySize: 256,
    });
    // Version 2 of the event is the one that may change an access token's scopes (Essentials plan and up).
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, preToken, LambdaVersion.V2_0);

    const domainPrefix = props.domainPrefix ?? `${stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${Aws.ACCOUNT_ID}`;
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    this.tokenUrl = `${this.domain.baseUrl()}/oauth2/token`;
    this.authorizeUrl = `${this.domain.baseUrl()}/oauth2/authorize`;
    this.logoutUrl = `${this.domain.baseUrl()}/logout`;
    this.issuerUrl = `https://cognito-idp.${stack.region}.amazonaws.com/${this.userPool.userPoolId}`;
  }

  /** The console's origin (https://…): the only callback and sign-out address the console's client accepts. */
  allowConsoleAt(origin: string): void {
    const cfn = this.consoleClient.node.defaultChild as CfnUserPoolClient;
    cfn.callbackUrLs = [`${origin}/console/callback`];
    cfn.logoutUrLs = [`${origin}/console/`];
  }
}
