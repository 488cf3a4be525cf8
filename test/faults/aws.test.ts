import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { AwsFaultRule } from '../../sandbox/awsFaultProxy.ts';
import type { App } from '../../sandbox/rotationWorld.ts';
import type { Step } from '../../sandbox/secretsManagerDriver.ts';
import { expectSettled, FaultWorld, scenario, summary } from './faultWorld.ts';

// Secrets Manager and RDS answering with server errors (500) or throttling, through the AWS
// fault proxy in front of moto. Transient faults (two failures) are absorbed by the SDK's own
// retries (three attempts); persistent ones fail the step, and the rotation either stays in
// progress (Secrets Manager retries it later: here, resumed once the fault is gone) or is abandoned.
let fw: FaultWorld;
const world = () => fw;

beforeAll(async () => {
  fw = await FaultWorld.start(2);
});

afterAll(async () => {
  await fw?.stop('Fault scenarios: AWS API faults');
});

/** Rotates with `rule` injected just before `step` (first attempt). */
async function rotateWithFault(app: App, step: Step, rule: AwsFaultRule) {
  return app.driver.rotate(app.secretId, {
    beforeStep: (current, attempt) => {
      if (current === step && attempt === 1) fw.aws.inject(rule);
    },
  });
}

const transient: [string, Step, AwsFaultRule][] = [
  [
    'DescribeSecret 500 twice',
    'createSecret',
    { service: 'secretsmanager', operation: 'DescribeSecret', kind: 'server-error', times: 2 },
  ],
  [
    'GetSecretValue throttled twice',
    'setSecret',
    { service: 'secretsmanager', operation: 'GetSecretValue', kind: 'throttling', times: 2 },
  ],
  [
    'PutSecretValue throttled twice',
    'createSecret',
    { service: 'secretsmanager', operation: 'PutSecretValue', kind: 'throttling', times: 2 },
  ],
  [
    'UpdateSecretVersionStage 500 twice',
    'finishSecret',
    { service: 'secretsmanager', operation: 'UpdateSecretVersionStage', kind: 'server-error', times: 2 },
  ],
  [
    'RDS DescribeDBInstances throttled twice',
    'setSecret',
    { service: 'rds', operation: 'DescribeDBInstances', kind: 'throttling', times: 2 },
  ],
  [
    'RDS DescribeDBInstances 500 twice',
    'testSecret',
    { service: 'rds', operation: 'DescribeDBInstances', kind: 'server-error', times: 2 },
  ],
];

describe('transient AWS faults', () => {
  for (const [name, step, rule] of transient) {
    scenario(world, `${step}: ${name} (SDK retries absorb it)`, async () => {
      const app = await fw.createApp();
      const run = await rotateWithFault(app, step, rule);
      expect(run.error).toBeUndefined();
      expect(fw.aws.failures()).toBe(2);
      expect(run.runs.length).toBe(4);
      await expectSettled(app);
      return { rotation: summary(run), detail: '2 injected failures, no step failed' };
    });
  }
});

/** Persistent faults that leave the rotation in progress: resumed with the same token once AWS answers. */
const inProgress: [string, Step, AwsFaultRule, string][] = [
  [
    'DescribeSecret throttled throughout',
    'createSecret',
    { service: 'secretsmanager', operation: 'DescribeSecret', kind: 'throttling', times: 1000 },
    'nothing changed',
  ],
  [
    'GetSecretValue 500 throughout',
    'setSecret',
    { service: 'secretsmanager', operation: 'GetSecretValue', kind: 'server-error', times: 1000 },
    'nothing changed',
  ],
  [
    'PutSecretValue 500 throughout',
    'createSecret',
    { service: 'secretsmanager', operation: 'PutSecretValue', kind: 'server-error', times: 1000 },
    'nothing changed',
  ],
  [
    'UpdateSecretVersionStage throttled throughout (promote fails)',
    'finishSecret',
    { service: 'secretsmanager', operation: 'UpdateSecretVersionStage', kind: 'throttling', times: 1000 },
    'databases on pending until resumed',
  ],
  [
    'UpdateSecretVersionStage 500 after the promote (AWSPENDING removal fails)',
    'finishSecret',
    {
      service: 'secretsmanager',
      operation: 'UpdateSecretVersionStage',
      kind: 'server-error',
      times: 1000,
      skip: 1,
    },
    'new version is AWSCURRENT+AWSPENDING until resumed',
  ],
];

describe('persistent AWS faults that leave the rotation in progress', () => {
  for (const [name, step, rule, state] of inProgress) {
    scenario(world, `${step}: ${name}`, async () => {
      const app = await fw.createApp();
      const run = await rotateWithFault(app, step, rule);
      expect(run.ok).toBe(false);
      expect(run.error).toMatch(
        /InternalServiceError|ThrottlingException|injected server error|Rate exceeded/,
      );
      // Secrets Manager keeps AWSPENDING and retries the rotation later with the same token.
      expect(await app.hasPendingLabel()).toBe(true);
      fw.aws.clear();
      const resumed = await app.driver.resume(app.secretId, run.token);
      expect(resumed.error).toBeUndefined();
      await expectSettled(app);
      return { rotation: `${summary(run)}; resumed: ${summary(resumed)}`, detail: state };
    });
  }
});

describe('persistent RDS faults', () => {
  scenario(world, 'setSecret: RDS DescribeDBInstances 500 throughout', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFault(app, 'setSecret', {
      service: 'rds',
      operation: 'DescribeDBInstances',
      kind: 'server-error',
      times: 1000,
    });
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/setSecret: .*injected server error/);
    // An API error is no decision about the instances: the rotation stays in progress.
    expect(await app.hasPendingLabel()).toBe(true);
    fw.aws.clear();
    const resumed = await app.driver.resume(app.secretId, run.token);
    expect(resumed.error).toBeUndefined();
    await expectSettled(app);
    return { rotation: `${summary(run)}; resumed: ${summary(resumed)}`, detail: 'nothing changed' };
  });

  scenario(world, 'testSecret: RDS DescribeDBInstances throttled throughout', async () => {
    const app = await fw.createApp();
    const run = await rotateWithFault(app, 'testSecret', {
      service: 'rds',
      operation: 'DescribeDBInstances',
      kind: 'throttling',
      times: 1000,
    });
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/(setSecret|testSecret): .*Rate exceeded/);
    // Every database is on the pending password by now: the rotation must stay resumable.
    expect(await app.hasPendingLabel()).toBe(true);
    fw.aws.clear();
    const resumed = await app.driver.resume(app.secretId, run.token);
    expect(resumed.error).toBeUndefined();
    await expectSettled(app);
    return {
      rotation: `${summary(run)}; resumed: ${summary(resumed)}`,
      detail: 'databases on pending meanwhile',
    };
  });
});
