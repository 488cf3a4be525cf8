import { type Config, loadConfig } from './config.ts';
import type { FunctionEnvironment, LambdaContext } from './environment.ts';
import { admitRotation, checkInvokedThrough, classifyEvent } from './events.ts';
import { logger, setLogLevel, withMemoryWipe } from './logger.ts';
import { errorMessage } from './text.ts';

/**
 * Validated once per cold start; a bad variable fails every invocation with the same clear message.
 * Only what every invocation needs first is loaded with this module: the configuration, the log
 * and the event checks. The AWS SDK, the steps and the actions load when an invocation needs them
 * (see environment() below), so a step pays only for what it runs.
 */
const startup = (() => {
  try {
    const config = loadConfig(process.env);
    setLogLevel(config.logLevel);
    return { config };
  } catch (error) {
    logger.error('invalid configuration', { error: errorMessage(error) });
    return { error: error as Error };
  }
})();

let loadedEnvironment: Promise<FunctionEnvironment> | undefined;

/** The AWS clients and the step and action environments, loaded by the first invocation and kept. */
function environment(config: Config): Promise<FunctionEnvironment> {
  loadedEnvironment ??= import('./environment.ts').then(
    ({ FunctionEnvironment }) => new FunctionEnvironment(config),
    (error: unknown) => {
      // Not kept: the next invocation tries again rather than failing for the container's life.
      loadedEnvironment = undefined;
      throw error;
    },
  );
  return loadedEnvironment;
}

export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  const started = Date.now();
  return withMemoryWipe(async () => {
    logger.resetKeys();
    if (context?.awsRequestId) logger.appendKeys({ requestId: context.awsRequestId });
    try {
      if (startup.error) throw startup.error;
      const { config } = startup;
      // Everything about the event is checked before any of it reaches a log line or AWS.
      const invocation = classifyEvent(event);
      if (invocation.kind === 'manual') {
        checkInvokedThrough('manual', config.rotationAlias, context?.invokedFunctionArn);
        const [functionEnvironment, { runManualAction }] = await Promise.all([
          environment(config),
          import('./actions/index.ts'),
        ]);
        return await runManualAction(
          invocation,
          functionEnvironment.actions(functionEnvironment.deadline(context)),
        );
      }
      const rotation = admitRotation(invocation, config, context?.invokedFunctionArn);
      logger.appendKeys({
        secret: rotation.secret.secretId,
        user: rotation.secret.user,
        step: rotation.step,
        token: rotation.token,
      });
      logger.info('rotation step started');
      const [functionEnvironment, { runRotationStep }] = await Promise.all([
        environment(config),
        import('./rotation.ts'),
      ]);
      const result = await runRotationStep(
        functionEnvironment.rotation(rotation.secret, functionEnvironment.deadline(context)),
        rotation.step,
        rotation.token,
        rotation.rotationToken,
      );
      logger.info('rotation step succeeded', { ms: Date.now() - started, instances: result.instances });
      return result;
    } catch (error) {
      logger.error('invocation failed', {
        ms: Date.now() - started,
        errorName: (error as Error).name,
        error: errorMessage(error),
      });
      throw withoutStack(error);
    }
  });
}

/** Lambda returns the stack of a thrown error to the caller; it says nothing useful to them. */
function withoutStack(error: unknown): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const clean = new Error(source.message);
  clean.name = source.name;
  clean.stack = `${source.name}: ${source.message}`;
  return clean;
}
