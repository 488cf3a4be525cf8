import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../function/src/errors.ts';
import { redactText } from '../../function/src/logger.ts';
import { provisionCandidate, requireProvision } from '../../function/src/provision.ts';
import { SecretStaging } from '../../function/src/staging.ts';
import { provisionPassword } from '../../function/src/steps/known.ts';
import { mockSecretsManager, secretsClient, testConfig, testSecret } from './helpers.ts';

// What the default provision password (DPP) comes from. A secret that lacks the user's key or is
// not JSON is tested end to end against moto (test/e2e/severalSecrets.test.ts); AccessDenied,
// which moto does not enforce, and the redaction list, which only this process can look into,
// are tested here with a mocked Secrets Manager.
const secretsMock = mockSecretsManager();
const PROVISION_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:provision-AbCdEf';
const APP_DPP = 'Dpp#App-7Kq2!mW9';
const READER_DPP = 'Dpp#Reader-3Zx8!pL4';

function staging(): SecretStaging {
  return new SecretStaging(
    secretsClient(),
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-AbCdEf',
  );
}

function accessDenied(): Error {
  const error = new Error(
    'User: arn:aws:sts::111122223333:assumed-role/fn is not authorized to perform: GetSecretValue',
  );
  error.name = 'AccessDeniedException';
  return error;
}

describe('provisionCandidate', () => {
  it("reads the user's DPP from the provision secret and registers every value in it for redaction", async () => {
    // prepare
    secretsMock
      .on(GetSecretValueCommand, { SecretId: PROVISION_ARN })
      .resolves({ SecretString: JSON.stringify({ app: APP_DPP, reader: READER_DPP }) });

    // act
    const candidate = await provisionCandidate(
      { provisionSecretArn: PROVISION_ARN, defaultProvisionPassword: undefined },
      testSecret({ user: 'reader' }),
      staging(),
    );

    // assess
    expect(candidate).toEqual({ label: 'provision', password: READER_DPP });
    expect(redactText(`${APP_DPP} ${READER_DPP}`)).toBe('[REDACTED] [REDACTED]');
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: PROVISION_ARN,
      VersionStage: 'AWSCURRENT',
    });
  });

  it('reads nothing and returns the plain DPP of a SECRET_ID deployment', async () => {
    // act
    const candidate = await provisionCandidate(
      { provisionSecretArn: undefined, defaultProvisionPassword: APP_DPP },
      testSecret(),
      staging(),
    );

    // assess
    expect(candidate).toEqual({ label: 'provision', password: APP_DPP });
    expect(secretsMock.calls()).toHaveLength(0);
  });

  it('turns a refused read of the provision secret into a ConfigError naming PROVISION_SECRET_ARN', async () => {
    // prepare
    secretsMock.on(GetSecretValueCommand).rejects(accessDenied());

    // act
    const read = provisionCandidate(
      { provisionSecretArn: PROVISION_ARN, defaultProvisionPassword: undefined },
      testSecret({ user: 'app' }),
      staging(),
    );

    // assess
    await expect(read).rejects.toThrow(ConfigError);
    await expect(read).rejects.toThrow(
      /^PROVISION_SECRET_ARN: the secret could not be read \(AccessDeniedException: User: .* not authorized/,
    );
  });
});

describe('requireProvision', () => {
  it('says, before any read, that reset needs a DPP when none is configured', async () => {
    // act
    const read = requireProvision(
      { provisionSecretArn: undefined, defaultProvisionPassword: undefined },
      testSecret(),
      staging(),
      'reset',
    );

    // assess
    await expect(read).rejects.toThrow('PROVISION_SECRET_ARN: is not set (nor DEFAULT_PROVISION_PASSWORD)');
    expect(secretsMock.calls()).toHaveLength(0);
  });
});

describe("the steps' provision password", () => {
  it('comes from the provision secret the module configures, read once however often a step asks', async () => {
    // prepare
    secretsMock
      .on(GetSecretValueCommand, { SecretId: PROVISION_ARN })
      .resolves({ SecretString: JSON.stringify({ app: APP_DPP, reader: READER_DPP }) });
    const provision = provisionPassword({
      config: testConfig({ provisionSecretArn: PROVISION_ARN, defaultProvisionPassword: undefined }),
      secret: testSecret({ user: 'app' }),
      staging: staging(),
    });

    // act
    const [first, second] = await Promise.all([provision(), provision()]);

    // assess
    expect(first).toEqual({ label: 'provision', password: APP_DPP });
    expect(second).toBe(first);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});
