import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runManualAction } from './actions.ts';
import { type Config, loadConfig } from './config.ts';
import { createRdsClient } from './discovery.ts';
import { errorMessage } from './errors.ts';
import { classifyEvent } from './events.ts';
import { Deadline } from './instances.ts';
import { forgetSensitiveValues, logger, setLogLevel } from './logger.ts';
import { type RotationEnvironment, runRotationStep } from './rotation.ts';
import { SecretStaging } from './staging.ts';

/** The part of the Lambda context the function uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
  functionName?: string;
}

/** Read once per cold start; a bad variable fails every invocation with the same clear message. */
const startup = (() => {
  try {
    const config = loadConfig();
    setLogLevel(config.logLevel);
    return { config };
  } catch (error) {
    logger.error('invalid configuration', { error: errorMessage(error) });
    return { error: error as Error };
  }
})();

let clients: { secrets: SecretsManagerClient; rds: ReturnType<typeof createRdsClient> } | undefined;

function awsClients(config: Config) {
  clients ??= { secrets: new SecretsManagerClient({}), rds: createRdsClient(config) };
  return clients;
}

export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  const started = Date.now();
  forgetSensitiveValues();
  logger.resetKeys();
  if (context?.awsRequestId) logger.appendKeys({ requestId: context.awsRequestId });
  try {
    if (startup.error) throw startup.error;
    const config = startup.config;
    const invocation = classifyEvent(event);
    const deadline = context
      ? new Deadline(() => context.getRemainingTimeInMillis(), reserveMs(config))
      : Deadline.unlimited();
    if (invocation.kind === 'manual') {
      logger.appendKeys({ action: invocation.action });
      return await runManualAction(invocation, { config, deadline, clients: () => awsClients(config) });
    }
    logger.appendKeys({ secret: invocation.secretId, step: invocation.step, token: invocation.token });
    logger.info('rotation step started');
    const { secrets, rds } = awsClients(config);
    const env: RotationEnvironment = {
      config,
      staging: new SecretStaging(secrets, invocation.secretId),
      rds,
      deadline,
    };
    const result = await runRotationStep(env, invocation.step, invocation.token, invocation.rotationToken);
    logger.info('rotation step succeeded', { ms: Date.now() - started, instances: result.instances });
    return result;
  } catch (error) {
    logger.error('invocation failed', {
      ms: Date.now() - started,
      errorName: (error as Error).name,
      error: errorMessage(error),
    });
    throw withoutStack(error);
  } finally {
    forgetSensitiveValues();
  }
}

/**
 * Time kept back from instance work so that a rollback can still run: the worst case of one
 * instance (three logins and two statements) before the Lambda is stopped.
 */
function reserveMs(config: Config): number {
  return 3 * config.connectTimeoutMs + 2 * config.queryTimeoutMs;
}

/** Lambda returns the stack of a thrown error to the caller; it says nothing useful to them. */
function withoutStack(error: unknown): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const clean = new Error(source.message);
  clean.name = source.name;
  clean.stack = `${source.name}: ${source.message}`;
  return clean;
}
