import type { Candidate } from './candidates.ts';
import type { Config } from './config.ts';
import { ConfigError } from './errors.ts';
import { logger, registerSensitive } from './logger.ts';
import type { SecretEntry } from './servedSecrets.ts';
import type { SecretStaging } from './staging.ts';
import { errorMessage, quoteKey } from './text.ts';

/**
 * The default provision password (DPP): the password the team that creates database users gives
 * a new user, before the first `reset` sets the secret's current one. It comes from the secret
 * named by PROVISION_SECRET_ARN (a JSON object: entry user -> DPP), or, for a SECRET_ID
 * deployment, from DEFAULT_PROVISION_PASSWORD. The secret is read only when a DPP is needed,
 * and every value in it is registered for redaction.
 */

/**
 * The DPP of `secret`'s user as a candidate, or undefined when none is configured. `staging` is
 * any SecretStaging: its client reads the provision secret. Throws ConfigError, naming
 * PROVISION_SECRET_ARN, when that secret cannot be read or has no DPP for the user.
 */
export async function provisionCandidate(
  config: Pick<Config, 'provisionSecretArn' | 'defaultProvisionPassword'>,
  secret: SecretEntry,
  staging: SecretStaging,
): Promise<Candidate | undefined> {
  if (config.provisionSecretArn !== undefined) {
    const password = await readProvisionSecret(config.provisionSecretArn, secret.user, staging);
    return { label: 'provision', password };
  }
  if (config.defaultProvisionPassword === undefined) return undefined;
  registerSensitive(config.defaultProvisionPassword);
  return { label: 'provision', password: config.defaultProvisionPassword };
}

/** Like provisionCandidate, for work that cannot go on without a DPP (`reset`). */
export async function requireProvision(
  config: Pick<Config, 'provisionSecretArn' | 'defaultProvisionPassword'>,
  secret: SecretEntry,
  staging: SecretStaging,
  action: string,
): Promise<Candidate> {
  const provision = await provisionCandidate(config, secret, staging);
  if (provision === undefined) {
    throw new ConfigError(
      'PROVISION_SECRET_ARN',
      `is not set (nor DEFAULT_PROVISION_PASSWORD), and "${action}" needs the default provision password ` +
        'to log in to instances whose users still have it; configure it in the module. Nothing was changed.',
    );
  }
  return provision;
}

async function readProvisionSecret(arn: string, user: string, staging: SecretStaging): Promise<string> {
  const fail = (problem: string, cause?: unknown): never => {
    throw new ConfigError('PROVISION_SECRET_ARN', `${problem}. Nothing was changed.`, { cause });
  };
  let value: Record<string, unknown> | undefined;
  try {
    value = await staging.forSecret(arn).readObject();
  } catch (error) {
    logger.warn('could not read the provision secret', { error: errorMessage(error) });
    return fail(
      `the secret could not be read (${(error as Error).name}: ${errorMessage(error).slice(0, 200)})`,
      error,
    );
  }
  if (value === undefined) return fail('the secret has no AWSCURRENT value');
  const password = value[user];
  if (typeof password !== 'string' || password === '') {
    return fail(
      `the secret has no default provision password for user ${quoteKey(user)}: its value must be a JSON ` +
        `object with a non-empty string under the key ${quoteKey(user)} (it has ${Object.keys(value).length} key(s))`,
    );
  }
  return password;
}
