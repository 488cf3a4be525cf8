import type { Config } from './config.ts';
import { InvalidEventError } from './errors.ts';
import { ROTATION_STEPS, type RotationStep } from './protocol.ts';
import { findServedSecret, type SecretEntry, servedUsers } from './servedSecrets.ts';
import { boundedList, describeValue as describe, quoteIdentifier, quoteKey } from './text.ts';

export interface RotationEvent {
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

/** A rotation event for a served secret, through the way Secrets Manager invokes the function. */
export interface AdmittedRotation extends RotationEvent {
  secret: SecretEntry;
}

const EXPECTED =
  'expected a Secrets Manager rotation event {"Step", "SecretId", "ClientRequestToken"} ' +
  'or a manual invocation {"action": "..."}';

/**
 * Secrets Manager's tokens are UUIDs; the token is written on every log line of the step, so it
 * must be short and plain.
 */
const TOKEN = /^[\w.:-]{1,64}$/;

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
  const keys = Object.keys(fields);
  throw new InvalidEventError(
    `the event has neither "Step" nor "action" (${keys.length} key(s): ${boundedList(keys.map(quoteKey))}); ${EXPECTED}`,
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
  const token = fields.ClientRequestToken as string;
  if (!TOKEN.test(token)) {
    throw new InvalidEventError(
      `rotation event field "ClientRequestToken" must be 1 to 64 letters, digits, "_", ".", ":" or "-" ` +
        `(Secrets Manager sends a UUID), got ${describe(token)}`,
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
    token,
    rotationToken,
  };
}

/**
 * Whether the invocation came the way its kind must come. With ROTATION_ALIAS set, Secrets
 * Manager invokes that alias, and the resource policy lets only Secrets Manager (for the
 * secrets' ARNs) invoke it; every other caller goes through another alias or the unqualified
 * function. So a rotation step that did not come through the alias was sent by hand (it could
 * move AWSCURRENT to a password no database has), and a manual action through it is refused so
 * that the alias stays for rotations alone. The limit: a principal granted
 * lambda:InvokeFunction on the alias itself can still send a step; finishSecret's own login with
 * the pending password on every instance is what protects AWSCURRENT then.
 */
export function checkInvokedThrough(
  kind: 'rotation' | 'manual',
  alias: string | undefined,
  invokedFunctionArn: string | undefined,
): void {
  if (alias === undefined) return;
  const qualifier = qualifierOf(invokedFunctionArn);
  // Lambda writes the ARN: the qualifier is an alias or version that exists, not caller text.
  const through = qualifier === undefined ? 'the unqualified function' : `qualifier "${qualifier}"`;
  if (kind === 'rotation' && qualifier !== alias) {
    throw new InvalidEventError(
      `rotation steps are accepted only through the Lambda alias "${alias}", which Secrets Manager invokes; ` +
        `this invocation came through ${invokedFunctionArn === undefined ? 'no known function ARN' : through}. ` +
        'Nothing was read. To rotate by hand, ask Secrets Manager: aws secretsmanager rotate-secret --secret-id <secret>',
    );
  }
  if (kind === 'manual' && qualifier === alias) {
    throw new InvalidEventError(
      `manual actions are refused through the Lambda alias "${alias}", which is kept for Secrets Manager's ` +
        'rotation steps; invoke the function through its alias for manual actions. Nothing was read.',
    );
  }
}

/** The alias or version of arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]. */
function qualifierOf(arn: string | undefined): string | undefined {
  const parts = arn?.split(':') ?? [];
  return parts.length === 8 ? parts[7] : undefined;
}

/**
 * A rotation event is admitted when it came through the rotation alias (when one is configured)
 * and names a served secret; the step then works on that entry, never on the event's identifier.
 */
export function admitRotation(
  event: RotationEvent,
  config: Pick<Config, 'secrets' | 'rotationAlias'>,
  invokedFunctionArn: string | undefined,
): AdmittedRotation {
  checkInvokedThrough('rotation', config.rotationAlias, invokedFunctionArn);
  const secret = findServedSecret(config.secrets, event.secretId);
  if (secret === undefined) {
    throw new InvalidEventError(
      `the event's SecretId ${quoteIdentifier(event.secretId)} is not a secret this function serves ` +
        `(it serves the users ${servedUsers(config.secrets)}); nothing was read`,
    );
  }
  return { ...event, secret };
}
