import { randomUUID } from 'node:crypto';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '../../function/src/config.ts';
import { Deadline } from '../../function/src/instances.ts';
import { forgetSensitiveValues, setLogLevel } from '../../function/src/logger.ts';
import {
  type RotationEnvironment,
  type RotationStep,
  runRotationStep,
  type StepResult,
} from '../../function/src/rotation.ts';
import { SecretStaging } from '../../function/src/staging.ts';
import { AWS_TEST_CREDENTIALS, TEST_REGION } from '../../sandbox/moto.ts';
import type { App } from '../../sandbox/rotationWorld.ts';

/** The function's own code in this process, with AWS clients as the handler creates them (one per container). */
export class InProcessFunction {
  private readonly secrets: SecretsManagerClient;
  private readonly rds: RDSClient;

  constructor(endpoint: string) {
    const clientConfig = { endpoint, region: TEST_REGION, credentials: AWS_TEST_CREDENTIALS };
    this.secrets = new SecretsManagerClient(clientConfig);
    this.rds = new RDSClient(clientConfig);
  }

  /**
   * The app's configuration at the given parallelism. Logging stays at WARN so the bench output
   * stays readable; INFO adds two short JSON lines per instance, microseconds against logins.
   */
  environment(app: App, parallel: number): RotationEnvironment {
    const config = loadConfig({ ...app.env, PARALLEL: String(parallel), LOG_LEVEL: 'WARN' });
    setLogLevel(config.logLevel);
    return {
      config,
      staging: new SecretStaging(this.secrets, app.secretId),
      rds: this.rds,
      deadline: Deadline.unlimited(),
    };
  }

  /** Forgets the passwords it saw after each step, as the handler does per invocation. */
  async step(env: RotationEnvironment, step: RotationStep, token: string): Promise<StepResult> {
    try {
      return await runRotationStep(env, step, token);
    } finally {
      forgetSensitiveValues();
    }
  }

  /** A new AWSPENDING version with a value, as Secrets Manager and createSecret leave it. */
  async begin(app: App, env: RotationEnvironment): Promise<string> {
    const token = randomUUID();
    await app.driver.startRotation(app.secretId, token);
    await this.step(env, 'createSecret', token);
    return token;
  }

  /** Finishes the rotation so that the next repetition starts from a clean secret. */
  async complete(env: RotationEnvironment, token: string): Promise<void> {
    await this.step(env, 'testSecret', token);
    await this.step(env, 'finishSecret', token);
  }

  destroy(): void {
    this.secrets.destroy();
    this.rds.destroy();
  }
}
