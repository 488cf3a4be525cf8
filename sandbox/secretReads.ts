import { performance } from 'node:perf_hooks';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorCode, type SecretRead } from './applicationLoadRecord.ts';

/**
 * Records every GetSecretValue call `client` makes (start, latency, label asked for, error) into
 * `reads`: how the bench times an application's reads of its secret without touching the library
 * that makes them. A read is timed as the application pays it, from its call of `send` (the SDK
 * sets up each call before any middleware runs) to the answer, and starts at a fractional epoch
 * millisecond: whole milliseconds would put an error of up to one in a read of ten.
 */
export function recordSecretReads(client: SecretsManagerClient, reads: SecretRead[]): void {
  const send = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const recorded = async (command: unknown, ...rest: unknown[]): Promise<unknown> => {
    if (command?.constructor?.name !== 'GetSecretValueCommand') return send(command, ...rest);
    const stage = String(
      (command as { input?: { VersionStage?: string } }).input?.VersionStage ?? 'AWSCURRENT',
    );
    const started = performance.now();
    let failure = '';
    try {
      return await send(command, ...rest);
    } catch (error) {
      failure = errorCode(error);
      throw error;
    } finally {
      reads.push([performance.timeOrigin + started, performance.now() - started, stage, failure]);
    }
  };
  client.send = recorded as SecretsManagerClient['send'];
}
