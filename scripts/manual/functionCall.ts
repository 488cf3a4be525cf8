import type { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { type FunctionTarget, invocationOf } from './target.ts';

/** The invocation failed, or the function raised an error; the message is ready for the user. */
export class FunctionCallError extends Error {
  /** The function's error payload, when it answered one. */
  readonly payload: unknown;

  constructor(message: string, options?: ErrorOptions & { payload?: unknown }) {
    super(message, options);
    this.name = 'FunctionCallError';
    this.payload = options?.payload;
  }
}

export interface LambdaSender {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

/** Invokes a manual action synchronously (through the manual alias unless one was named). */
export async function callFunction(
  lambda: LambdaSender,
  target: FunctionTarget,
  event: Record<string, unknown>,
): Promise<unknown> {
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const invocation = invocationOf(target);
  const shown = invocation.Qualifier ? `${target.given} (alias ${invocation.Qualifier})` : target.given;
  let response: InvokeCommandOutput;
  try {
    response = await lambda.send(
      new InvokeCommand({
        ...invocation,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  } catch (error) {
    const { name, message } = error as Error;
    throw new FunctionCallError(`invoking ${shown} failed: ${name}: ${message}`, { cause: error });
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  let payload: unknown;
  try {
    payload = text === '' ? undefined : JSON.parse(text);
  } catch (error) {
    throw new FunctionCallError(`the function answered something that is not JSON: ${text.slice(0, 200)}`, {
      cause: error,
    });
  }
  if (response.FunctionError !== undefined) {
    const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
    throw new FunctionCallError(
      `the function failed (${response.FunctionError}): ${errorType ?? 'Error'}: ${errorMessage ?? text}`,
      { payload },
    );
  }
  return payload;
}
