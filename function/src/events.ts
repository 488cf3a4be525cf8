import { InvalidEventError } from './errors.ts';
import { ROTATION_STEPS, type RotationStep } from './protocol.ts';
import { describeValue as describe } from './text.ts';

interface RotationEvent {
  kind: 'rotation';
  step: RotationStep;
  secretId: string;
  token: string;
  rotationToken?: string;
}

export interface ManualEvent {
  kind: 'manual';
  action: string;
  /** The whole event, validated field by field by the action itself. */
  fields: Record<string, unknown>;
}

const EXPECTED =
  'expected a Secrets Manager rotation event {"Step", "SecretId", "ClientRequestToken"} ' +
  'or a manual invocation {"action": "..."}';

/** Tells the two kinds of invocation apart by shape; anything else is refused before any work. */
export function classifyEvent(event: unknown): RotationEvent | ManualEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidEventError(`the event is ${describe(event)}; ${EXPECTED}`);
  }
  const fields = event as Record<string, unknown>;
  if ('Step' in fields || 'SecretId' in fields || 'ClientRequestToken' in fields) {
    return rotationEvent(fields);
  }
  if ('action' in fields) {
    if (typeof fields.action !== 'string' || fields.action.trim() === '') {
      throw new InvalidEventError(`"action" must be a non-empty string, got ${describe(fields.action)}`);
    }
    return { kind: 'manual', action: fields.action, fields };
  }
  throw new InvalidEventError(
    `the event has neither "Step" nor "action" (keys: ${Object.keys(fields).join(', ') || 'none'}); ${EXPECTED}`,
  );
}

function rotationEvent(fields: Record<string, unknown>): RotationEvent {
  for (const name of ['Step', 'SecretId', 'ClientRequestToken']) {
    const value = fields[name];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidEventError(
        `rotation event field "${name}" must be a non-empty string, got ${describe(value)}`,
      );
    }
  }
  const step = fields.Step as string;
  if (!ROTATION_STEPS.includes(step as RotationStep)) {
    throw new InvalidEventError(
      `unknown rotation step ${describe(step)}; expected one of ${ROTATION_STEPS.join(', ')}`,
    );
  }
  const rotationToken = fields.RotationToken;
  if (rotationToken !== undefined && typeof rotationToken !== 'string') {
    throw new InvalidEventError(
      `rotation event field "RotationToken" must be a string, got ${describe(rotationToken)}`,
    );
  }
  return {
    kind: 'rotation',
    step: step as RotationStep,
    secretId: fields.SecretId as string,
    token: fields.ClientRequestToken as string,
    rotationToken,
  };
}
