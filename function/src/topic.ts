import type { SNSClient } from '@aws-sdk/client-sns';
import { logger } from './logger.ts';

/** SNS limits a subject to 100 characters. */
const MAX_SUBJECT = 100;

/** One SNS topic the function publishes to: the only module that sends SNS a command. */
export class Topic {
  /** `client`: the SNS client, made on first use; only the notice action publishes. */
  constructor(
    private readonly client: () => Promise<SNSClient>,
    readonly arn: string,
  ) {}

  /** Publishes one message; returns SNS's message id. */
  async publish(subject: string, message: string): Promise<string> {
    logger.debug('calling Publish', { api: 'Publish', topic: this.arn });
    // The SNS SDK loads here, not at cold start: every other invocation goes without it.
    const [{ PublishCommand }, client] = await Promise.all([import('@aws-sdk/client-sns'), this.client()]);
    const output = await client.send(
      new PublishCommand({ TopicArn: this.arn, Subject: subject.slice(0, MAX_SUBJECT), Message: message }),
    );
    return output.MessageId ?? '';
  }
}
