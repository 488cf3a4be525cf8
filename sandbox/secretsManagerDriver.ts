import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type Invocation, type Invoke, ROTATION_ALIAS } from './bundleInvoker.ts';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

export interface StepRun {
  step: Step;
  attempt: number;
  invocation: Invocation;
}

export interface RotationRun {
  token: string;
  ok: boolean;
  /** Every invocation in order, retries included. */
  runs: StepRun[];
  /** The error of the last failed invocation, when the rotation did not finish. */
  error?: string;
  ms: number;
}

export interface DriverHooks {
  /** Runs before each invocation; throwing `new SimulatedCrash()` skips the invocation as if the Lambda died. */
  beforeStep?: (step: Step, attempt: number) => Promise<void> | void;
  /** Runs after each invocation that returned, before the next one. */
  afterStep?: (step: Step, attempt: number, invocation: Invocation) => Promise<void> | void;
}

/** Thrown by a hook to play a Lambda that died before answering. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export interface DriverOptions {
  /** Runs of the four steps per rotation, the first included (default 2). */
  attempts?: number;
  /**
   * Wait before every invocation of a rotation but its first (default 0). Secrets Manager
   * invokes the steps as separate Lambda invocations about a second apart, so in AWS the window
   * between setSecret and finishSecret lasts seconds: applications under load need it to be as
   * long here.
   */
  stepDelayMs?: number;
}

/**
 * Plays Secrets Manager's part for the local tests and the demo: moto's RotateSecret creates the
 * empty AWSPENDING version but never runs the function, so this driver invokes the four steps in
 * order and, like Secrets Manager, retries the whole rotation with the same token when a step fails.
 */
export class SecretsManagerDriver {
  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly invoke: Invoke,
    private readonly options: DriverOptions = {},
  ) {}

  /** Starts a rotation the way RotateSecret does and runs it to the end or to its last failure. */
  async rotate(
    secretId: string,
    hooks: DriverHooks = {},
    token: string = randomUUID(),
  ): Promise<RotationRun> {
    await this.startRotation(secretId, token);
    return this.resume(secretId, token, hooks);
  }

  /**
   * Leaves the secret as AWS's RotateSecret does before it invokes the function: a new version
   * `token` with no value carrying AWSPENDING, the other labels untouched, rotation enabled.
   * moto's RotateSecret without a function moves AWSCURRENT to the new (empty) version at once,
   * so the labels are put back where AWS would have left them, and the result is checked.
   */
  async startRotation(secretId: string, token: string): Promise<void> {
    const before = await this.labels(secretId);
    const stale = Object.entries(before).find(
      ([, stages]) => stages.includes(PENDING) && !stages.includes(CURRENT),
    );
    if (stale) {
      throw new Error(`A previous rotation isn't complete: version ${stale[0]} still carries AWSPENDING`);
    }
    const current = versionWith(before, CURRENT);
    const previous = versionWith(before, PREVIOUS);
    await this.secrets.send(
      new RotateSecretCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const stage = (VersionStage: string, MoveToVersionId?: string, RemoveFromVersionId?: string) =>
      this.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage,
          MoveToVersionId,
          RemoveFromVersionId,
        }),
      );
    // moto relabels its own idea of the default version, which an abandoned rotation leaves
    // stale: the real current version may have kept AWSCURRENT or lost it to AWSPREVIOUS.
    // Either way, these moves leave AWSCURRENT on `current` alone and AWSPREVIOUS on `token`.
    if (current !== undefined) {
      const currentKeptLabel = (await this.labels(secretId))[current]?.includes(CURRENT);
      await stage(CURRENT, currentKeptLabel ? undefined : current, token);
    }
    await stage(PREVIOUS, previous, token);
    await stage(PENDING, token);
    const after = await this.labels(secretId);
    const expected = { ...before, [token]: [PENDING] };
    const normalise = (labels: Record<string, string[]>) =>
      JSON.stringify(
        Object.entries(labels)
          .filter(([, s]) => s.length > 0)
          .map(([id, s]) => [id, [...s].sort()])
          .sort(),
      );
    if (normalise(after) !== normalise(expected)) {
      throw new Error(
        `could not emulate RotateSecret: labels ${JSON.stringify(after)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }

  private async labels(secretId: string): Promise<Record<string, string[]>> {
    const description = await this.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.fromEntries(
      Object.entries(description.VersionIdsToStages ?? {}).map(([id, s]) => [id, s ?? []]),
    );
  }

  /** Runs the four steps for an existing token: what Secrets Manager does when it retries. */
  async resume(secretId: string, token: string, hooks: DriverHooks = {}): Promise<RotationRun> {
    const started = Date.now();
    const runs: StepRun[] = [];
    const attempts = this.options.attempts ?? 2;
    const stepDelayMs = this.options.stepDelayMs ?? 0;
    let error: string | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      error = undefined;
      for (const step of STEPS) {
        if (runs.length > 0 && stepDelayMs > 0) await sleep(stepDelayMs);
        const invocation = await this.invokeStep(secretId, token, step, attempt, hooks);
        runs.push({ step, attempt, invocation });
        if (!invocation.ok) {
          error = `${step}: ${invocation.error?.name}: ${invocation.error?.message}`;
          break;
        }
      }
      if (error === undefined) return { token, ok: true, runs, ms: Date.now() - started };
      if (!(await this.stillPending(secretId, token))) break;
    }
    return { token, ok: false, runs, error, ms: Date.now() - started };
  }

  /** Invokes one step, as Secrets Manager would, for tests that drive steps by hand. */
  async invokeStep(
    secretId: string,
    token: string,
    step: Step,
    attempt = 1,
    hooks: DriverHooks = {},
  ): Promise<Invocation> {
    try {
      await hooks.beforeStep?.(step, attempt);
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      return { ok: false, error: { name: 'SimulatedCrash', message: error.message }, logs: [], ms: 0 };
    }
    // Secrets Manager invokes the rotation alias, the only way in the function admits a step through.
    const invocation = await this.invoke(
      { Step: step, SecretId: secretId, ClientRequestToken: token },
      undefined,
      ROTATION_ALIAS,
    );
    await hooks.afterStep?.(step, attempt, invocation);
    return invocation;
  }

  private async stillPending(secretId: string, token: string): Promise<boolean> {
    const description = await this.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    return description.VersionIdsToStages?.[token]?.includes(PENDING) === true;
  }
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';

function versionWith(labels: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(labels).find(([, stages]) => stages.includes(stage))?.[0];
}
