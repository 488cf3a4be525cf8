import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const scripts = join(import.meta.dirname, '..');

/**
 * Installs what the sandbox runs (mariadbd, moto_server) when it is missing. Called once the
 * command line is known to be right, so that --help or a typo installs nothing.
 */
export function ensureSandboxTools(): void {
  for (const installer of ['ensure-mariadb', 'ensure-moto']) {
    execFileSync(join(scripts, installer), { stdio: 'inherit' });
  }
}
