import { performance } from 'node:perf_hooks';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorCode, type SecretRead } from './applicationLoadRecord.ts';

/**
 * Records every GetSecretValue call `client` makes (start, latency, label asked for, error) into
 * `reads`, with an SDK middleware: how the bench times an application's reads of its secret
 * without touching the library that makes them.
 */
export function recordSecretReads(client: SecretsManagerClient, reads: SecretRead[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'GetSecretValueCommand') return next(args);
      const stage = String((args.input as { VersionStage?: string }).VersionStage ?? 'AWSCURRENT');
      const at = Date.now();
      const started = performance.now();
      let failure = '';
      try {
        return await next(args);
      } catch (error) {
        failure = errorCode(error);
        throw error;
      } finally {
        reads.push([at, performance.now() - started, stage, failure]);
      }
    },
    { step: 'initialize', name: 'recordSecretReads' },
  );
}
