import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { ActionEnvironment } from './actions/environment.ts';
import { type Config, loadConfig, type SecretEntry } from './config.ts';
import { InvalidEventError } from './errors.ts';
import { Deadline } from './instances.ts';
import { setLogLevel, withMemoryWipe } from './logger.ts';
import type { RotationStep } from './protocol.ts';
import { type RotationEnvironment, runRotationStep, type StepResult } from './rotation.ts';
import { findServedSecret } from './servedSecrets.ts';
import { SecretStaging } from './staging.ts';
import { quoteIdentifier } from './text.ts';
import { Topic } from './topic.ts';

/** The part of the Lambda context the function uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
  functionName?: string;
  /** The ARN the caller invoked: qualified with the alias or version when it named one. */
  invokedFunctionArn?: string;
}

/** Where the AWS clients send their calls. In Lambda none is set: the SDK's defaults apply. */
export interface AwsClientSettings {
  /** One endpoint for both APIs (moto, in the sandbox and the bench). */
  endpoint?: string;
  region?: string;
  credentials?: SecretsManagerClientConfig['credentials'];
  /** RDS_HTTPS_PROXY: the RDS API through an HTTP CONNECT proxy (Secrets Manager is reached directly). */
  rdsHttpsProxy?: string;
}

export interface AwsClients {
  secrets: SecretsManagerClient;
  rds: RDSClient;
  /**
   * Only the notice action publishes: without one here, a client with the SDK's defaults is
   * created (and its SDK loaded) on first use.
   */
  sns?: SNSClient;
}

export function createAwsClients(settings: AwsClientSettings = {}): AwsClients {
  return {
    secrets: new SecretsManagerClient(clientConfig(settings)),
    rds: createRdsClient(settings),
  };
}

export function createRdsClient(settings: AwsClientSettings): RDSClient {
  const config: RDSClientConfig = clientConfig(settings);
  if (settings.rdsHttpsProxy !== undefined) {
    config.requestHandler = { httpsAgent: new HttpsProxyAgent(settings.rdsHttpsProxy) };
  }
  return new RDSClient(config);
}

/** Only the settings given: an explicit undefined would hide the SDK's own default. */
function clientConfig({ endpoint, region, credentials }: AwsClientSettings) {
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(credentials === undefined ? {} : { credentials }),
  };
}

/**
 * Everything an invocation of the function works with. One is built per Lambda container (the
 * handler builds it when the module loads): the configuration is validated once, and the AWS
 * clients are created on first use and kept. Per invocation it hands out the deadline and the
 * environment of a rotation step or of a manual action.
 */
export class FunctionEnvironment {
  private clients: AwsClients | undefined;

  /** `clients`: the AWS clients to use; by default created from the configuration on first use. */
  constructor(
    readonly config: Config,
    private readonly createClients: () => AwsClients = () =>
      createAwsClients({ rdsHttpsProxy: config.rdsHttpsProxy }),
  ) {}

  /**
   * Validates the configuration in `env` (the function's environment variables, see
   * docs/configuration.md) and applies its log level. Throws ConfigError naming the first bad
   * variable. `clients`, when given, are used instead of clients built from the configuration.
   */
  static fromEnv(env: Record<string, string | undefined>, clients?: AwsClients): FunctionEnvironment {
    const config = loadConfig(env);
    setLogLevel(config.logLevel);
    return clients === undefined
      ? new FunctionEnvironment(config)
      : new FunctionEnvironment(config, () => clients);
  }

  /** The AWS clients, created on first use and kept for the life of this environment. */
  aws(): AwsClients {
    this.clients ??= this.createClients();
    return this.clients;
  }

  /**
   * The Lambda's remaining time less a reserve that lets a rollback still run; without a
   * context (the bench, a local call) there is no limit.
   */
  deadline(context?: Pick<LambdaContext, 'getRemainingTimeInMillis'>): Deadline {
    if (context === undefined) return Deadline.unlimited();
    return new Deadline(() => context.getRemainingTimeInMillis(), reserveMs(this.config));
  }

  /** What a rotation step of the served secret `secret` runs with. */
  rotation(secret: SecretEntry, deadline: Deadline = Deadline.unlimited()): RotationEnvironment {
    const { secrets, rds } = this.aws();
    return {
      config: this.config,
      secret,
      staging: new SecretStaging(secrets, secret.secretId),
      rds,
      deadline,
    };
  }

  /** The served entry `secretId` names; InvalidEventError when it names none. */
  servedSecret(secretId: string): SecretEntry {
    const secret = findServedSecret(this.config.secrets, secretId);
    if (secret === undefined) {
      throw new InvalidEventError(`${quoteIdentifier(secretId)} is not a secret this function serves`);
    }
    return secret;
  }

  /** What a manual action runs with; it creates AWS clients only if the action calls AWS. */
  actions(deadline: Deadline = Deadline.unlimited()): ActionEnvironment {
    return {
      config: this.config,
      deadline,
      staging: (secretId) => new SecretStaging(this.aws().secrets, secretId),
      rds: () => this.aws().rds,
      topic: (arn) => new Topic(() => this.sns(), arn),
    };
  }

  private async sns(): Promise<SNSClient> {
    const clients = this.aws();
    if (clients.sns === undefined) {
      const { SNSClient } = await import('@aws-sdk/client-sns');
      clients.sns ??= new SNSClient({});
    }
    return clients.sns;
  }

  /** One rotation step as an invocation runs it, memory wipe included; no deadline unless given. */
  runStep(
    secretId: string,
    step: RotationStep,
    token: string,
    options: { rotationToken?: string; deadline?: Deadline } = {},
  ): Promise<StepResult> {
    return withMemoryWipe(() =>
      runRotationStep(
        this.rotation(this.servedSecret(secretId), options.deadline),
        step,
        token,
        options.rotationToken,
      ),
    );
  }
}

/**
 * Time kept back from instance work so that a rollback can still run: the worst case of one
 * instance (three logins and two statements) before the Lambda is stopped.
 */
function reserveMs(config: Config): number {
  return 3 * config.connectTimeoutMs + 2 * config.queryTimeoutMs;
}
