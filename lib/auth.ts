// Infrastructure (stateful): who may call the API. A Cognito user pool with no users at all, only machine clients
// that get access tokens with the client-credentials grant; the resource server `cases` defines the scopes the
// route table asks for (cases/read, cases/write, cases/manage).
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  type CfnUserPool,
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
import { SCOPES, type Scope } from '../functions/routes.ts';
import { acknowledge } from './nag.ts';

export const RESOURCE_SERVER_ID = 'cases';
export const USER_POOL_LOGICAL_ID = 'EscalatorUserPool';

export interface AuthProps {
  /** Hosted domain prefix (globally unique per region); default `<stack name>-<account id>`, lower case. */
  readonly domainPrefix?: string | undefined;
}

export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly domain: UserPoolDomain;
  readonly resourceServer: UserPoolResourceServer;
  /** Read + write: the systems that open and work cases. */
  readonly integrationClient: UserPoolClient;
  /** Read + write + manage: approvals and closing. */
  readonly managerClient: UserPoolClient;
  /** Where clients exchange id + secret for an access token (client_credentials). */
  readonly tokenUrl: string;
  /** The JWT issuer API Gateway checks. */
  readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: AuthProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      // No human users sign in; the settings below are what a human user would get if one were ever added.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      accountRecovery: AccountRecovery.NONE,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.userPool.node.defaultChild as CfnUserPool).overrideLogicalId(USER_POOL_LOGICAL_ID);
    // Threat protection (advanced security) needs the Plus plan and watches user sign-ins; this pool has none.
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'machine-to-machine only (client-credentials grant, no users, self sign-up off): the Plus plan\'s threat protection guards user sign-ins, which this pool never has',
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

    const domainPrefix = props.domainPrefix ?? `${stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${Aws.ACCOUNT_ID}`;
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    this.tokenUrl = `${this.domain.baseUrl()}/oauth2/token`;
    this.issuerUrl = `https://cognito-idp.${stack.region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
