import { runManualAction } from './actions/index.ts';
import { FunctionEnvironment, type LambdaContext, withMemoryWipe } from './environment.ts';
import { admitRotation, checkInvokedThrough, classifyEvent } from './events.ts';
import { logger } from './logger.ts';
import { runRotationStep } from './rotation.ts';
import { errorMessage } from './text.ts';

/** Built once per cold start; a bad variable fails every invocation with the same clear message. */
const startup = (() => {
  try {
    return { environment: FunctionEnvironment.fromEnv(process.env) };
  } catch (error) {
    logger.error('invalid configuration', { error: errorMessage(error) });
    return { error: error as Error };
  }
})();

export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  const started = Date.now();
  return withMemoryWipe(async () => {
    logger.resetKeys();
    if (context?.awsRequestId) logger.appendKeys({ requestId: context.awsRequestId });
    try {
      if (startup.error) throw startup.error;
      const environment = startup.environment;
      const { config } = environment;
      // Everything about the event is checked before any of it reaches a log line or AWS.
      const invocation = classifyEvent(event);
      const deadline = environment.deadline(context);
      if (invocation.kind === 'manual') {
        checkInvokedThrough('manual', config.rotationAlias, context?.invokedFunctionArn);
        return await runManualAction(invocation, environment.actions(deadline));
      }
      const rotation = admitRotation(invocation, config, context?.invokedFunctionArn);
      logger.appendKeys({
        secret: rotation.secret.secretId,
        user: rotation.secret.user,
        step: rotation.step,
        token: rotation.token,
      });
      logger.info('rotation step started');
      const result = await runRotationStep(
        environment.rotation(rotation.secret, deadline),
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
