import { RDSClient } from '@aws-sdk/client-rds';
import {
  InvalidParameterException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { type Config, loadConfig, type SecretEntry } from '../../function/src/config.ts';
import { logger } from '../../function/src/logger.ts';

/** Region and fake credentials so that SDK clients can be built without touching a real account. */
export function stubAwsEnvironment(): void {
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'unit-test-fake-secret-access-key');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
}

const clientOptions = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'unit-test-fake-secret-access-key' },
  maxAttempts: 1,
};

export function secretsClient(): SecretsManagerClient {
  return new SecretsManagerClient(clientOptions);
}

export function rdsClient(): RDSClient {
  return new RDSClient(clientOptions);
}

/**
 * A mocked Secrets Manager for the calling test file: logs silenced, the mock reset and fake AWS
 * settings stubbed before each test, the environment restored after it.
 */
export function mockSecretsManager() {
  const mock = mockClient(SecretsManagerClient);
  beforeAll(() => silenceLogs());
  beforeEach(() => {
    mock.reset();
    stubAwsEnvironment();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return mock;
}

/**
 * The least a configuration needs: one secret (SECRET_ID) and a discovery scope (here, knowingly,
 * every instance: what the discovery tests look at).
 */
export const MINIMAL_ENV = { SECRET_ID: 'app-db-credentials', DB_DISCOVER_ALL: 'true' } as const;

/** The default configuration with `overrides` applied. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig(MINIMAL_ENV), ...overrides };
}

/** The served entry of the default configuration with `overrides` applied. */
export function testSecret(overrides: Partial<SecretEntry> = {}): SecretEntry {
  return { ...(testConfig().secrets[0] as SecretEntry), ...overrides };
}

/** Keeps the function's INFO lines out of the test output. */
export function silenceLogs(): void {
  logger.setLogLevel('SILENT');
}

export function notFound(
  message = "Secrets Manager can't find the specified secret value",
): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: { httpStatusCode: 400 } });
}

export function invalidParameter(message: string): InvalidParameterException {
  return new InvalidParameterException({ message, $metadata: { httpStatusCode: 400 } });
}

/** What the SDK throws once it gives up retrying a throttled call. */
export function throttling(): Error {
  const error = new Error('Rate exceeded');
  error.name = 'ThrottlingException';
  Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 } });
  return error;
}
