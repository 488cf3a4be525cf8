import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { currentCandidate, readCandidate } from '../../function/src/candidates.ts';
import { PENDING, PREVIOUS, SecretStaging } from '../../function/src/staging.ts';
import { mockSecretsManager, notFound, secretsClient, throttling } from './helpers.ts';

const SECRET_ID = 'app-db-credentials';
const TOKEN = '11111111-2222-3333-4444-555555555555';
const PREVIOUS_ID = '00000000-0000-0000-0000-000000000009';
const PASSWORD = 'Previous#Pass0word!xyz';

// Throttling and malformed values on demand: the mocked client produces them where moto would not.
const secretsMock = mockSecretsManager();

function stored(value: object | string): void {
  secretsMock.on(GetSecretValueCommand).resolves({
    VersionId: PREVIOUS_ID,
    SecretString: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

function staging(): SecretStaging {
  return new SecretStaging(secretsClient(), SECRET_ID);
}

describe('readCandidate', () => {
  it('returns the previous password for the same user, labelled previous', async () => {
    // prepare
    stored({ username: 'app', password: PASSWORD });

    // act
    const candidate = await readCandidate(staging(), PREVIOUS, 'app');

    // assess
    expect(candidate).toEqual({ label: 'previous', password: PASSWORD });
  });

  it('reads the pending version by label and id, labelled pending', async () => {
    // prepare
    stored({ username: 'app', password: PASSWORD });

    // act
    const candidate = await readCandidate(staging(), PENDING, 'app', TOKEN);

    // assess
    expect(candidate).toEqual({ label: 'pending', password: PASSWORD });
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ID,
      VersionStage: PENDING,
      VersionId: TOKEN,
    });
  });

  it('is no candidate when the version is for another user', async () => {
    // prepare
    stored({ username: 'admin', password: PASSWORD });

    // act
    const candidate = await readCandidate(staging(), PREVIOUS, 'app');

    // assess
    expect(candidate).toBeUndefined();
  });

  it('waits for a username still being read before deciding', async () => {
    // prepare
    stored({ username: 'admin', password: PASSWORD });

    // act
    const candidates = await Promise.all([
      readCandidate(staging(), PREVIOUS, Promise.resolve('admin')),
      readCandidate(staging(), PREVIOUS, Promise.resolve('app')),
    ]);

    // assess
    expect(candidates).toEqual([{ label: 'previous', password: PASSWORD }, undefined]);
  });

  it.each([
    ['missing', () => secretsMock.on(GetSecretValueCommand).rejects(notFound())],
    ['malformed', () => stored(`{"user":"app","password":"${PASSWORD}"}`)],
    ['unreadable', () => secretsMock.on(GetSecretValueCommand).rejects(throttling())],
  ])('is no candidate when the version is %s', async (_name, prepare) => {
    // prepare
    prepare();

    // act
    const candidate = await readCandidate(staging(), PREVIOUS, 'app');

    // assess
    expect(candidate).toBeUndefined();
  });
});

describe('currentCandidate', () => {
  it('labels the AWSCURRENT password current', () => {
    // act
    const candidate = currentCandidate({
      versionId: PREVIOUS_ID,
      credentials: { username: 'app', password: PASSWORD, engine: 'mysql' },
    });

    // assess
    expect(candidate).toEqual({ label: 'current', password: PASSWORD });
  });
});
