import { ConfigError } from '../errors.ts';
import { logger } from '../logger.ts';
import { DEFAULT_USER, type SecretEntry } from '../servedSecrets.ts';
import type { SecretDescription } from '../staging.ts';
import { errorMessage } from '../text.ts';
import type { Topic } from '../topic.ts';
import type { Announced, NotAnnounced, NoticeAnswer } from './answers.ts';
import type { ActionContext } from './environment.ts';
import type { ActionRequest } from './request.ts';

/** The run's window: a rotation date in [from, to) is announced by this run. */
export interface NoticeWindow {
  now: Date;
  from: Date;
  to: Date;
}

/**
 * A schedule invokes `notice` every NOTICE_PERIOD_MINUTES; each run announces the rotations
 * that fall in [now + lead, now + lead + period). Consecutive windows touch without overlap, so
 * each scheduled rotation is announced once, provided no run is missed and the next rotation date
 * does not move into a window that has already passed (a schedule changed at the last moment).
 */
export function noticeWindow(now: Date, leadMinutes: number, periodMinutes: number): NoticeWindow {
  const from = new Date(now.getTime() + leadMinutes * 60_000);
  return { now, from, to: new Date(from.getTime() + periodMinutes * 60_000) };
}

/** Announces, on the notice topic, every served secret whose next rotation falls in this run's window. */
export async function notice(request: ActionRequest, ctx: ActionContext): Promise<NoticeAnswer> {
  const started = Date.now();
  const { noticeTopicArn, noticeLeadMinutes, noticePeriodMinutes, secrets } = ctx.config;
  if (noticeTopicArn === undefined) {
    throw new ConfigError(
      'NOTICE_TOPIC_ARN',
      'is not set, and the "notice" action publishes to that SNS topic; configure the notice topic in the module',
    );
  }
  const window = noticeWindow(new Date(started), noticeLeadMinutes, noticePeriodMinutes);
  const topic = ctx.topic(noticeTopicArn);
  const announced: Announced[] = [];
  const notAnnounced: NotAnnounced[] = [];
  // One secret after another: at most 20, and SNS and Secrets Manager throttle bursts.
  for (const secret of secrets) {
    const result = await noticeFor(secret, ctx, window, topic, request.dryRun);
    if ('messageId' in result) announced.push(result);
    else notAnnounced.push(result);
  }
  const failed = notAnnounced.filter((n) => n.outcome === 'failed');
  const answer: NoticeAnswer = {
    action: 'notice',
    ok: failed.length === 0,
    dryRun: request.dryRun,
    topicArn: noticeTopicArn,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    message:
      `${request.dryRun ? 'dry run, nothing published: ' : ''}${announced.length} announced, ` +
      `${notAnnounced.length - failed.length} not due in this window` +
      (failed.length === 0 ? '' : `; FAILED for ${failed.map((n) => n.user).join(', ')}`),
    announced,
    notAnnounced,
    ms: Date.now() - started,
  };
  logger.info(`notice ${answer.ok ? 'succeeded' : 'failed'}`, {
    summary: answer.message,
    window: answer.window,
  });
  return answer;
}

async function noticeFor(
  secret: SecretEntry,
  ctx: ActionContext,
  window: NoticeWindow,
  topic: Topic,
  dryRun: boolean,
): Promise<Announced | NotAnnounced> {
  const base = { user: secret.user, secretId: secret.secretId };
  let description: SecretDescription;
  try {
    description = await ctx.staging(secret.secretId).describe();
  } catch (error) {
    return failed(base, null, `DescribeSecret failed: ${(error as Error).name}: ${errorMessage(error)}`);
  }
  const next = description.raw.NextRotationDate;
  if (!description.rotationEnabled || next === undefined) {
    return {
      ...base,
      nextRotation: next?.toISOString() ?? null,
      outcome: 'not-scheduled',
      reason: description.rotationEnabled
        ? 'the secret has no next rotation date'
        : 'automatic rotation is not enabled on the secret',
    };
  }
  const nextRotation = next.toISOString();
  if (next < window.from) {
    return {
      ...base,
      nextRotation,
      outcome: 'before-window',
      reason:
        'it rotates sooner than NOTICE_LEAD_MINUTES from now: an earlier run announced it (or it was scheduled after that run)',
    };
  }
  if (next >= window.to) {
    return { ...base, nextRotation, outcome: 'after-window', reason: 'a later run announces it' };
  }
  const { subject, message } = noticeText(secret, description, next, window.now);
  if (dryRun) return { ...base, name: description.name, nextRotation, messageId: null };
  try {
    const messageId = await topic.publish(subject, message);
    logger.info('rotation announced', { user: secret.user, nextRotation, messageId });
    return { ...base, name: description.name, nextRotation, messageId };
  } catch (error) {
    return failed(base, nextRotation, `Publish failed: ${(error as Error).name}: ${errorMessage(error)}`);
  }
}

function failed(
  base: { user: string; secretId: string },
  nextRotation: string | null,
  reason: string,
): NotAnnounced {
  logger.error('notice failed', { user: base.user, error: reason });
  return { ...base, nextRotation, outcome: 'failed', reason };
}

/** What the readers of the topic (the application team, the DBAs) need to know and do. */
export function noticeText(
  secret: SecretEntry,
  description: SecretDescription,
  next: Date,
  now: Date,
): { subject: string; message: string } {
  const hours = Math.round((next.getTime() - now.getTime()) / 3_600_000);
  const when = next.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // The SECRET_ID shorthand's entry is called "default": no name a reader would recognise.
  const named = secret.user !== DEFAULT_USER;
  const status = named ? `{"action": "status", "user": "${secret.user}"}` : '{"action": "status"}';
  return {
    subject: `Password rotation of ${named ? secret.user : description.name} at ${when}`,
    message: [
      `The database password ${named ? `of user "${secret.user}" ` : ''}(secret ${description.name}) will be ` +
        `rotated automatically at ${when}, in about ${hours} hour(s).`,
      '',
      `Secret: ${description.arn}`,
      '',
      'Applications that read the secret when they connect need nothing. Anything that keeps a copy of ' +
        'the password must read it again after that time.',
      '',
      'To rotate it now instead (a rate schedule then counts from now):',
      `  aws secretsmanager rotate-secret --secret-id ${description.arn}`,
      "To postpone it, change the secret's rotation schedule before that time.",
      `To see the secret's rotation state, invoke the rotation function with ${status}.`,
    ].join('\n'),
  };
}
