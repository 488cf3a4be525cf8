import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Root of the repository: the module's .tf files live here. */
export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * Bound for a test or hook that applies, plans with a real provider or destroys: each takes 20 to 60
 * seconds on a loaded 2-core machine.
 */
export const TERRAFORM_APPLY_TIMEOUT = 300_000;

export const pluginMirror = process.env.TF_PLUGIN_MIRROR ?? '/opt/tf-plugins';

/** The module's own files: every .tf file at the repository root. */
export const moduleFiles = readdirSync(repoRoot)
  .filter((file) => file.endsWith('.tf'))
  .sort();

export const exampleNames = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && readdirSync(join(repoRoot, 'examples', entry.name)).includes('main.tf'),
  )
  .map((entry) => entry.name)
  .sort();

/**
 * A CLI configuration that installs providers from the offline mirror. The mirror is unpacked, so
 * `terraform init` links each workspace's `.terraform/providers` straight to it (under a second, no
 * copy of the 700 MB AWS provider). No plugin cache on purpose: Terraform replaces a cache entry
 * while installing into it, and a validate in another test file running at that moment found no
 * provider ("no package … cached in .terraform/providers").
 */
function prepareCliConfig(): string {
  const home = join(tmpdir(), `mysql-password-rotation-terraform-${process.getuid?.() ?? 'user'}`);
  const cliConfig = join(home, 'cli.tfrc');
  mkdirSync(home, { recursive: true });
  const config = `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(pluginMirror)}
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`;
  const temporary = `${cliConfig}.${process.pid}`;
  writeFileSync(temporary, config);
  renameSync(temporary, cliConfig);
  return cliConfig;
}

let cliConfig: string | undefined;

export function terraformEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  cliConfig ??= prepareCliConfig();
  const { TF_PLUGIN_CACHE_DIR: _inherited, ...inherited } = process.env;
  return {
    ...inherited,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs terraform; rejects with its output on a non-zero exit unless `allowFailure` is set. */
export function terraform(
  args: string[],
  cwd: string,
  options: { env?: Record<string, string>; allowFailure?: boolean } = {},
): Promise<TerraformResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'terraform',
      args,
      { cwd, env: terraformEnv(options.env), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const result = { code, stdout, stderr };
        if (code !== 0 && !options.allowFailure) {
          reject(new Error(`terraform ${args.join(' ')} in ${cwd} exited ${code}\n${stdout}\n${stderr}`));
        } else {
          resolvePromise(result);
        }
      },
    );
  });
}

/**
 * `hashicorp/time` is not in the offline mirror, so Terraform-running tests use a copy of the module
 * whose `time_sleep` is a `terraform_data` with the same triggers and dependencies. The real block is
 * checked by parsing the HCL (hcl-keeps-rotation-invariants.test.ts).
 */
export function withoutTimeSleep(file: string, text: string): string {
  if (file === 'versions.tf') {
    return text.replace(/\n\s*time = \{[^}]*\}\n/, '\n');
  }
  let result = text.replace(/resource "time_sleep" "initial_rotation" \{\n[\s\S]*?\n\}\n/, (block) =>
    block
      .replace('resource "time_sleep"', 'resource "terraform_data"')
      .replace(/\n\s*create_duration\s*=.*\n/, '\n')
      .replace(/\n(\s*)triggers\s*=/, '\n$1triggers_replace ='),
  );
  result = result.replaceAll('time_sleep.initial_rotation', 'terraform_data.initial_rotation');
  if (result.includes('time_sleep')) throw new Error(`${file}: time_sleep left after substitution`);
  return result;
}

/** Runs at most `count` of the functions given to it at a time, in the order they come. */
export function limit(count: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiting one.
    if (running >= count) await new Promise<void>((start) => waiting.push(start));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/** A temporary directory removed by the returned function. */
export function temporaryDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Copies the module (with `time_sleep` substituted) into `root` and the named examples into
 * `root/examples/<name>`, so that their `source = "../.."` resolves to the copy. `from` names
 * another module directory to copy instead of the repository's (an earlier release).
 */
export function stageModule(root: string, examples: string[] = [], from = repoRoot): void {
  mkdirSync(root, { recursive: true });
  const files = from === repoRoot ? moduleFiles : readdirSync(from).filter((file) => file.endsWith('.tf'));
  for (const file of files) {
    writeFileSync(join(root, file), withoutTimeSleep(file, readFileSync(join(from, file), 'utf8')));
  }
  for (const example of examples) {
    const target = join(root, 'examples', example);
    cpSync(join(repoRoot, 'examples', example), target, {
      recursive: true,
      filter: (source) => !/(\.terraform|node_modules|cdktf\.out|\.tfstate)/.test(source),
    });
  }
}

/** Provider settings that send every AWS call to moto_server at `endpoint`. */
export function motoProviderOverride(endpoint: string, region = 'us-east-1'): string {
  const services = ['ec2', 'events', 'cloudwatch', 'iam', 'lambda', 'logs', 's3', 'secretsmanager', 'sts'];
  return `provider "aws" {
  region                      = "${region}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true

  endpoints {
${services.map((service) => `    ${service} = "${endpoint}"`).join('\n')}
  }
}
`;
}
