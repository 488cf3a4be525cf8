import { randomUUID } from 'node:crypto';
import { type AwsClients, createAwsClients, FunctionEnvironment } from '../../function/src/environment.ts';
import type { RotationStep } from '../../function/src/protocol.ts';
import type { StepResult } from '../../function/src/rotation.ts';
import { AWS_TEST_CREDENTIALS, TEST_REGION } from '../../sandbox/moto.ts';
import type { App } from '../../sandbox/rotationWorld.ts';

/** One app's function as the handler builds it, at a given parallelism, for in-process timing. */
export interface BenchFunction {
  environment: FunctionEnvironment;
  secretId: string;
}

/**
 * The function's own code in this process, built by the same factory the handler uses, with one
 * set of AWS clients for the whole bench (the handler keeps one per container).
 */
export class InProcessFunction {
  private readonly clients: AwsClients;

  constructor(endpoint: string) {
    this.clients = createAwsClients({ endpoint, region: TEST_REGION, credentials: AWS_TEST_CREDENTIALS });
  }

  /**
   * The app's configuration at the given parallelism. Logging stays at WARN so the bench output
   * stays readable; INFO adds two short JSON lines per instance, microseconds against logins.
   */
  environment(app: App, parallel: number): BenchFunction {
    const env = { ...app.env, PARALLEL: String(parallel), LOG_LEVEL: 'WARN' };
    return { environment: FunctionEnvironment.fromEnv(env, this.clients), secretId: app.secretId };
  }

  /** One step as an invocation runs it: the passwords it saw are forgotten afterwards. */
  step(fn: BenchFunction, step: RotationStep, token: string): Promise<StepResult> {
    return fn.environment.runStep(fn.secretId, step, token);
  }

  /** A new AWSPENDING version with a value, as Secrets Manager and createSecret leave it. */
  async begin(app: App, fn: BenchFunction): Promise<string> {
    const token = randomUUID();
    await app.driver.startRotation(app.secretId, token);
    await this.step(fn, 'createSecret', token);
    return token;
  }

  /** Finishes the rotation so that the next repetition starts from a clean secret. */
  async complete(fn: BenchFunction, token: string): Promise<void> {
    await this.step(fn, 'testSecret', token);
    await this.step(fn, 'finishSecret', token);
  }

  destroy(): void {
    this.clients.secrets.destroy();
    this.clients.rds.destroy();
  }
}
