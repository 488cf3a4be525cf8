import { isIP } from 'node:net';
import { ConfigError } from './errors.ts';
import type { Env } from './variables.ts';

/**
 * The SDK sends every call, passwords in PutSecretValue and GetSecretValue included, to the
 * endpoints these variables name. Plain HTTP would carry them in clear text over the network,
 * so it is accepted only where the traffic never leaves the machine (local testing).
 */
const ENDPOINT_VARIABLE = /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/;

/** Refuses any AWS_ENDPOINT_URL* variable that is not https:, or http: to a loopback host. */
export function checkAwsEndpoints(env: Env): void {
  for (const name of Object.keys(env).sort()) {
    if (!ENDPOINT_VARIABLE.test(name)) continue;
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    checkEndpoint(name, raw);
  }
}

function checkEndpoint(name: string, raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(
      name,
      'must be a URL such as https://vpce-0123.secretsmanager.eu-west-1.vpce.amazonaws.com',
      {
        cause: error,
      },
    );
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw new ConfigError(
    name,
    url.protocol === 'http:'
      ? `uses plain http: to ${url.hostname.slice(0, 100)}, which would send secret values unencrypted; ` +
          'use https: (plain http: is accepted only for localhost, 127.0.0.0/8 and ::1)'
      : `must use https:, got ${url.protocol.slice(0, 20)}`,
  );
}

/** localhost, 127.0.0.0/8 or ::1; URL keeps the brackets around an IPv6 host. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
