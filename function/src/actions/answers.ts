/**
 * What the manual actions return. The invoke client imports these types, so the two cannot
 * drift apart. They are a contract with every caller: actions and fields are added, never
 * renamed. No field ever holds a password: instances are named by identifier and endpoint,
 * passwords only by their label (`current`, `pending`, `previous`, `provision`, `abandoned`).
 */
import type { ListedInstanceState } from '../discovery.ts';
import type { InstanceReport } from '../instances.ts';
import type { BuildInfo } from '../version.ts';

export type ActionName = 'version' | 'status' | 'verify' | 'reset' | 'heal' | 'notice';

export interface VersionAnswer extends BuildInfo {
  action: 'version';
  ok: true;
}

/** An instance the discovery saw but that the work actions leave alone. */
export interface NotIncluded {
  instance: string;
  rdsStatus: string;
  reason: string;
}

/**
 * `verify`, `reset` and `heal`. `ok` is false when any instance failed or was skipped; the
 * function then still returns (it does not throw), and the invoke client exits non-zero.
 */
export interface WorkAnswer {
  action: 'verify' | 'reset' | 'heal';
  ok: boolean;
  secretId: string;
  /**
   * The served entry the action worked on (`default` for SECRET_ID); absent from the answers of
   * function versions that served one secret only.
   */
  user?: string;
  dryRun: boolean;
  /** One line for people: what happened overall. */
  message: string;
  instances: InstanceReport[];
  notIncluded: NotIncluded[];
  ms: number;
  /**
   * verify under alternating-users: the logins as the user AWSPREVIOUS names (the application may
   * still use it until the next rotation). Reported only: `ok` depends on the current user alone.
   */
  previousUser?: { username: string; message: string; instances: InstanceReport[] };
}

export interface HealAnswer extends WorkAnswer {
  action: 'heal';
  /** What heal did about AWSPENDING; null when the secret has none. */
  pending: (PendingState & { label: 'removed' | 'would-remove' | 'kept'; labelReason: string }) | null;
}

/** The version carrying AWSPENDING and whether a rotation may still be running for it. */
export interface PendingState {
  versionId: string;
  /** Whether the same version also carries AWSCURRENT (finishSecret ended before removing AWSPENDING). */
  onCurrent: boolean;
  /** CreatedDate of the version (ListSecretVersionIds), ISO 8601, when known. */
  created: string | null;
  ageMinutes: number | null;
  stale: boolean;
  /** How `stale` was decided, in words. */
  rule: string;
}

export interface VersionState {
  versionId: string;
  stages: string[];
  created: string | null;
  lastAccessed: string | null;
}

export interface StatusAnswer {
  action: 'status';
  /** False when something needs a person: listed in `attention`. */
  ok: boolean;
  secretId: string;
  /**
   * The served entry the action worked on (`default` for SECRET_ID); absent from the answers of
   * function versions that served one secret only.
   */
  user?: string;
  name: string;
  rotation: {
    enabled: boolean;
    lambdaArn: string | null;
    rules: {
      automaticallyAfterDays: number | null;
      duration: string | null;
      scheduleExpression: string | null;
    };
    lastRotated: string | null;
    nextRotation: string | null;
    lastChanged: string | null;
  };
  versions: VersionState[];
  pending: PendingState | null;
  instances: ListedInstanceState[];
  attention: string[];
  ms: number;
}

/** A secret the notice run published a message for. */
export interface Announced {
  user: string;
  secretId: string;
  name: string;
  /** NextRotationDate, ISO 8601. */
  nextRotation: string;
  /** SNS's id of the message; null in a dry run. */
  messageId: string | null;
}

/** A secret the notice run did not announce, and why. */
export interface NotAnnounced {
  user: string;
  secretId: string;
  nextRotation: string | null;
  /** `failed`: DescribeSecret or Publish failed (ok is then false); the others are normal. */
  outcome: 'not-scheduled' | 'before-window' | 'after-window' | 'failed';
  reason: string;
}

/**
 * `notice`: for every served secret, whether its next rotation falls in this run's window
 * [now + lead, now + lead + period), and the message published for those that do.
 */
export interface NoticeAnswer {
  action: 'notice';
  ok: boolean;
  dryRun: boolean;
  topicArn: string;
  window: { from: string; to: string };
  message: string;
  announced: Announced[];
  notAnnounced: NotAnnounced[];
  ms: number;
}

export type ActionAnswer = VersionAnswer | StatusAnswer | WorkAnswer | HealAnswer | NoticeAnswer;
