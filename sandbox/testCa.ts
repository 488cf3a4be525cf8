import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of a server certificate issued by a test CA, in the shape `MariaDbServer` takes. */
export interface ServerTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  /** The CA certificate (PEM file) clients trust. */
  caFile: string;
  issueServerCert(name: string, dnsNames: string[], ipAddresses?: string[]): ServerTlsFiles;
}

// A few days: long enough for any test run, short enough that a leaked key is worthless.
const VALIDITY_DAYS = '3';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Creates a fresh CA (EC P-256) in a new subdirectory of `dir`. Call it twice for an
 * unrelated CA ("wrong CA" cases). Keys only ever exist under `dir`, which the caller removes.
 */
export function createTestCa(dir: string, commonName = 'Rotation Test CA'): TestCa {
  const caDir = mkdtempSync(join(dir, 'ca-'));
  const caFile = join(caDir, 'ca.pem');
  const caKeyFile = join(caDir, 'ca.key');
  openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    caKeyFile,
    '-out',
    caFile,
    '-days',
    VALIDITY_DAYS,
    '-subj',
    `/CN=${commonName} ${randomBytes(4).toString('hex')}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);

  return {
    caFile,
    issueServerCert(name, dnsNames, ipAddresses = []) {
      const subjectAltNames = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((ip) => `IP:${ip}`)];
      if (subjectAltNames.length === 0)
        throw new Error('a server certificate needs at least one DNS name or IP');
      const base = join(caDir, name.replace(/[^A-Za-z0-9._-]/g, '_'));
      const extFile = `${base}.ext`;
      writeFileSync(
        extFile,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth',
          `subjectAltName=${subjectAltNames.join(',')}`,
          '',
        ].join('\n'),
      );
      openssl([
        'req',
        '-new',
        ...EC_KEY,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${name}`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caFile,
        '-CAkey',
        caKeyFile,
        '-set_serial',
        `0x${randomBytes(8).toString('hex')}`,
        '-days',
        VALIDITY_DAYS,
        '-extfile',
        extFile,
        '-out',
        `${base}.pem`,
      ]);
      return { caFile, certFile: `${base}.pem`, keyFile: `${base}.key` };
    },
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
