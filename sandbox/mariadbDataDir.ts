import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const MARIADBD = existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd';
// mariadbd refuses to run as root unless told to.
export const RUN_AS = process.getuid?.() === 0 ? ['--user=root'] : [];
// Small InnoDB files and buffers: a server then starts in well under a second.
export const SMALL_INNODB = ['--innodb-log-file-size=4M', '--innodb-buffer-pool-size=8M'];
const INSTALL_ARGS = [
  '--no-defaults',
  ...RUN_AS,
  '--auth-root-authentication-method=normal',
  '--skip-test-db',
  '--skip-name-resolve',
  ...SMALL_INNODB,
];

// mariadb-install-db takes ~0.5 s and much CPU; copying its output takes ~20 ms. The template
// is a cache in the temp directory shared by all processes that start servers (keyed by server version and
// options), created under a unique name and renamed into place so that concurrent creators
// do not clash. It is looked up on every use, so deleting it between runs is harmless.
let templatePath: Promise<string> | undefined;
let creating: Promise<string> | undefined;

/** A ready-made data directory (system tables, root without password) to copy for a new server. */
export async function dataDirTemplate(): Promise<string> {
  templatePath ??= templateLocation();
  const target = await templatePath;
  if (existsSync(join(target, 'mysql'))) return target;
  creating ??= createDataDirTemplate(target).finally(() => {
    creating = undefined;
  });
  return creating;
}

async function templateLocation(): Promise<string> {
  const { stdout: version } = await execFileAsync(MARIADBD, ['--version'], { timeout: 10_000 });
  const key = createHash('sha256')
    .update(`${version}\n${INSTALL_ARGS.join(' ')}`)
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), `mariadb-datadir-template-${key}`);
}

async function createDataDirTemplate(target: string): Promise<string> {
  const staging = await mkdtemp(`${target}.tmp-`);
  try {
    await execFileAsync('mariadb-install-db', [...INSTALL_ARGS, `--datadir=${staging}`], { timeout: 60_000 });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Lost the race against another process: its template is as good as ours.
    if (!existsSync(join(target, 'mysql'))) throw error;
  }
  return target;
}
