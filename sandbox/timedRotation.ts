import type { Period } from './applicationLoadAnalysis.ts';
import type { DriverHooks, RotationRun, SecretsManagerDriver } from './secretsManagerDriver.ts';

export interface TimedRotation {
  run: RotationRun;
  /** The whole rotation, from its start to the answer of its last step (epoch ms). */
  period: Period;
  /**
   * The rotation's window, in which the databases may hold a password AWSCURRENT does not: from
   * the start of the first setSecret to the end of the rotation (the end of finishSecret when it
   * finished). Undefined when setSecret never ran.
   */
  window: Period | undefined;
}

/** One rotation through `driver`, with the times an application's samples are laid over. */
export async function rotateTimed(
  driver: SecretsManagerDriver,
  secretId: string,
  hooks: DriverHooks = {},
): Promise<TimedRotation> {
  const from = Date.now();
  let windowFrom: number | undefined;
  const run = await driver.rotate(secretId, {
    ...hooks,
    beforeStep: async (step, attempt) => {
      if (step === 'setSecret') windowFrom ??= Date.now();
      await hooks.beforeStep?.(step, attempt);
    },
  });
  const to = Date.now();
  return {
    run,
    period: { from, to },
    window: windowFrom === undefined ? undefined : { from: windowFrom, to },
  };
}
