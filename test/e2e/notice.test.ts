import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NoticeAnswer } from '../../function/src/actions/answers.ts';
import { jsonApi, queryApi, xmlValues } from '../../sandbox/motoRequests.ts';
import { type App, RotationWorld } from '../../sandbox/rotationWorld.ts';

// The notice action through the built bundle against moto: Secrets Manager's NextRotationDate,
// and SNS delivering to an SQS queue subscribed to the topic, which is how the test reads what
// was published. Three secrets: one rotating in a day, one in 30 days, one never.
let world: RotationWorld;
let app: App;
let topicArn: string;
let queueUrl: string;

// moto sets NextRotationDate to RotateSecret's time plus the days of the rule: a window of
// [now + 23 h, now + 25 h) holds the secret rotating in one day.
const WINDOW = { NOTICE_LEAD_MINUTES: '1380', NOTICE_PERIOD_MINUTES: '120' };

beforeAll(async () => {
  world = await RotationWorld.start(0);
  const sns = await queryApi(world.moto, 'sns', '2010-03-31', 'CreateTopic', { Name: 'rotation-notices' });
  topicArn = xmlValues(sns, 'TopicArn')[0] as string;
  const queue = (await jsonApi(world.moto, 'sqs', 'AmazonSQS.CreateQueue', { QueueName: 'notices' })) as {
    QueueUrl: string;
  };
  queueUrl = queue.QueueUrl;
  const attributes = (await jsonApi(world.moto, 'sqs', 'AmazonSQS.GetQueueAttributes', {
    QueueUrl: queueUrl,
    AttributeNames: ['QueueArn'],
  })) as { Attributes: { QueueArn: string } };
  await queryApi(world.moto, 'sns', '2010-03-31', 'Subscribe', {
    TopicArn: topicArn,
    Protocol: 'sqs',
    Endpoint: attributes.Attributes.QueueArn,
  });
  app = await world.createApp({
    servers: [],
    namePrefix: 'notice',
    username: 'notice_app',
    otherUsers: ['notice_batch', 'notice_ro'],
    env: { NOTICE_TOPIC_ARN: topicArn, ...WINDOW },
  });
  for (const [secret, days] of [
    [app, 1],
    [app.others[0] as App, 30],
  ] as const) {
    await world.secrets.send(
      new RotateSecretCommand({ SecretId: secret.secretId, RotationRules: { AutomaticallyAfterDays: days } }),
    );
  }
});

afterAll(async () => {
  app?.cleanup();
  await world?.stop();
});

interface Delivered {
  Subject: string;
  Message: string;
  TopicArn: string;
}

/** Every notification the queue holds now, removed from it. */
async function delivered(): Promise<Delivered[]> {
  const received = (await jsonApi(world.moto, 'sqs', 'AmazonSQS.ReceiveMessage', {
    QueueUrl: queueUrl,
    MaxNumberOfMessages: 10,
  })) as { Messages?: { Body: string; ReceiptHandle: string }[] };
  const messages = received.Messages ?? [];
  for (const message of messages) {
    await jsonApi(world.moto, 'sqs', 'AmazonSQS.DeleteMessage', {
      QueueUrl: queueUrl,
      ReceiptHandle: message.ReceiptHandle,
    });
  }
  return messages.map((message) => JSON.parse(message.Body) as Delivered);
}

async function notice(event: Record<string, unknown> = {}, extraEnv?: Record<string, string>) {
  const invocation = await app.invoke({ action: 'notice', ...event }, extraEnv);
  if (!invocation.ok) throw new Error(`${invocation.error?.name}: ${invocation.error?.message}`);
  return invocation.result as NoticeAnswer;
}

describe('the notice action', () => {
  it('publishes one readable message for the secret whose rotation falls in the window, and says why not for the others', async () => {
    // act
    const answer = await notice();
    const messages = await delivered();

    // assess
    expect(answer.ok).toBe(true);
    expect(answer.announced).toEqual([
      {
        user: 'notice_app',
        secretId: app.secretId,
        name: expect.stringContaining('notice'),
        nextRotation: expect.any(String),
        messageId: expect.any(String),
      },
    ]);
    expect(answer.notAnnounced.map((n) => [n.user, n.outcome])).toEqual([
      ['notice_batch', 'after-window'],
      ['notice_ro', 'not-scheduled'],
    ]);
    expect(answer.notAnnounced[1]?.reason).toBe('automatic rotation is not enabled on the secret');
    expect(messages).toHaveLength(1);
    const [message] = messages as [Delivered];
    expect(message.TopicArn).toBe(topicArn);
    expect(message.Subject).toMatch(/^Password rotation of notice_app at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(message.Message).toContain('The database password of user "notice_app" (secret rotation/notice');
    expect(message.Message).toMatch(/in about 24 hour\(s\)/);
    expect(message.Message).toContain(`aws secretsmanager rotate-secret --secret-id ${app.secretId}`);
    expect(message.Message).toContain('To postpone it');
  });

  it('publishes nothing in a dry run and still lists what it would announce', async () => {
    // act
    const answer = await notice({ dryRun: true });

    // assess
    expect(answer.dryRun).toBe(true);
    expect(answer.message).toMatch(/^dry run, nothing published: 1 announced/);
    expect(answer.announced.map((a) => [a.user, a.messageId])).toEqual([['notice_app', null]]);
    expect(await delivered()).toEqual([]);
  });

  it('leaves a rotation that falls before the window to the run that already announced it', async () => {
    // act: a lead of 25 h puts the window past the rotation due in 24 h
    const answer = await notice({}, { NOTICE_LEAD_MINUTES: '1500' });

    // assess
    expect(answer.announced).toEqual([]);
    expect(answer.notAnnounced[0]).toMatchObject({ user: 'notice_app', outcome: 'before-window' });
    expect(await delivered()).toEqual([]);
  });

  it('says which variable to set when no notice topic is configured', async () => {
    // act
    const invocation = await app.invoke({ action: 'notice' }, { NOTICE_TOPIC_ARN: '' });

    // assess
    expect(invocation.error?.name).toBe('ConfigError');
    expect(invocation.error?.message).toContain(
      'NOTICE_TOPIC_ARN: is not set, and the "notice" action publishes',
    );
  });

  it('reports a topic it cannot publish to as a failure of that secret, not of the run', async () => {
    // act
    const answer = await notice({}, { NOTICE_TOPIC_ARN: `${topicArn}-deleted` });

    // assess
    expect(answer.ok).toBe(false);
    expect(answer.notAnnounced[0]).toMatchObject({ user: 'notice_app', outcome: 'failed' });
    expect(answer.notAnnounced[0]?.reason).toMatch(/^Publish failed: /);
    expect(answer.message).toContain('FAILED for notice_app');
  });
});
