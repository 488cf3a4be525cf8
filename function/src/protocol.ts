/**
 * The steps of Secrets Manager's rotation protocol, in the order it invokes them. Kept apart
 * from the steps themselves: the event parser needs the names, not the work.
 */
export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export const ROTATION_STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];
