import {
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { SecretVersion } from '../../client/src/secretCache.ts';

// The unit tests mock Secrets Manager (aws-sdk-client-mock) because they need what no emulator
// gives: a read held open while many connections pile up behind it, a read that fails on cue,
// and exact control of time (fake timers) for refresh intervals and backoff waits. Everything
// against a real server lives in rotation.test.ts (MariaDB with TLS, moto).

type Stage = 'AWSCURRENT' | 'AWSPENDING';

/** A secret's versions and labels as Secrets Manager holds them, answering GetSecretValue. */
export class FakeSecret {
  readonly versions = new Map<string, { username: string; password: string }>();
  readonly labels = new Map<Stage, string>();
  /** Stages asked for, in order. */
  readonly reads: Stage[] = [];
  /** While set, every read waits for it. */
  gate: Promise<void> | undefined;
  /** Reads in progress right now, and the most at once. */
  inProgress = 0;
  maxInProgress = 0;
  failNextReads = 0;
  /** Stages the caller's role may not read (an IAM policy allowing AWSCURRENT only). */
  readonly denied = new Set<Stage>();

  constructor(readonly id = 'app/db') {}

  put(versionId: string, username: string, password: string, stage?: Stage): this {
    this.versions.set(versionId, { username, password });
    if (stage !== undefined) this.labels.set(stage, versionId);
    return this;
  }

  /** finishSecret: AWSCURRENT moves to the pending version, AWSPENDING is removed. */
  finish(): void {
    const pending = this.labels.get('AWSPENDING');
    if (pending === undefined) throw new Error('no AWSPENDING to finish');
    this.labels.set('AWSCURRENT', pending);
    this.labels.delete('AWSPENDING');
  }

  async answer(input: GetSecretValueCommandInput) {
    const stage = input.VersionStage as Stage;
    this.reads.push(stage);
    this.inProgress++;
    this.maxInProgress = Math.max(this.maxInProgress, this.inProgress);
    try {
      await this.gate;
      if (this.failNextReads > 0) {
        this.failNextReads--;
        throw new Error('connect ETIMEDOUT secretsmanager.us-east-1.amazonaws.com');
      }
      if (this.denied.has(stage)) {
        throw Object.assign(new Error(`not authorized to perform secretsmanager:GetSecretValue (${stage})`), {
          name: 'AccessDeniedException',
        });
      }
      const versionId = this.labels.get(stage);
      const value = versionId === undefined ? undefined : this.versions.get(versionId);
      if (versionId === undefined || value === undefined) {
        throw new ResourceNotFoundException({
          message: `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          $metadata: {},
        });
      }
      return { VersionId: versionId, SecretString: JSON.stringify(value), VersionStages: [stage] };
    } finally {
      this.inProgress--;
    }
  }
}

/** A Secrets Manager client of its own (so tests do not share caches) answering from `secret`. */
export function mockedSecretsManager(secret: FakeSecret): {
  client: SecretsManagerClient;
  mock: AwsClientStub<SecretsManagerClient>;
} {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'unit-test-fake-secret-access-key' },
  });
  const mock = mockClient(client);
  mock.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => secret.answer(input));
  return { client, mock };
}

/** Sets `owner.gate` to a promise that `release()` settles (and clears). */
function hold(owner: { gate: Promise<void> | undefined }): { release: () => void } {
  let release = () => {};
  owner.gate = new Promise<void>((resolve) => {
    release = () => {
      owner.gate = undefined;
      resolve();
    };
  });
  return { release };
}

/** A hold on every read until `release()`. */
export function holdReads(secret: FakeSecret): { release: () => void } {
  return hold(secret);
}

/** A hold on the answer to every login until `release()`. */
export function holdLogins(db: FakeDatabase): { release: () => void } {
  return hold(db);
}

/** The error mysql2 gives for a refused login (shape only: code, errno, message). */
export function accessDenied(user: string): Error {
  return Object.assign(new Error(`Access denied for user '${user}'@'127.0.0.1' (using password: YES)`), {
    code: 'ER_ACCESS_DENIED_ERROR',
    errno: 1045,
    sqlState: '28000',
    fatal: true,
  });
}

/** A database with its accounts (user name -> password); counts logins and refusals. */
export class FakeDatabase {
  readonly accounts = new Map<string, string>();
  logins = 0;
  refused = 0;
  /** Logins asked for, answered or not. */
  started = 0;
  /** Date.now() of every refusal. */
  readonly refusedAt: number[] = [];
  /** While set, logins wait for it before they are answered (see holdLogins). */
  gate: Promise<void> | undefined;

  constructor(username: string, password: string) {
    this.accounts.set(username, password);
  }

  /** ALTER USER ... IDENTIFIED BY (or CREATE USER). */
  setPassword(username: string, password: string): this {
    this.accounts.set(username, password);
    return this;
  }

  async login(credentials: SecretVersion): Promise<string> {
    this.started++;
    await (this.gate ?? Promise.resolve());
    if (this.accounts.get(credentials.username) === credentials.password) {
      this.logins++;
      return `${credentials.username} via ${credentials.label} ${credentials.versionId}`;
    }
    this.refused++;
    this.refusedAt.push(Date.now());
    throw accessDenied(credentials.username);
  }
}
