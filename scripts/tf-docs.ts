// Generates the README's requirements, inputs and outputs tables from the module's .tf files
// (the tables terraform-docs writes, between the same markers).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { command, readCommandLine, UsageError } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';

const COMMAND = command({
  name: 'scripts/tf-docs',
  usage: `Usage: scripts/tf-docs [--check] [MODULE_DIR]

Writes the requirements, inputs and outputs tables of the Terraform module in MODULE_DIR (default:
the repository root) into its README.md, between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->.

  --check     change nothing; exit 1 when the README's tables differ from the code
  -h, --help  this text`,
  options: { check: { type: 'boolean' } },
  maxPositionals: 1,
});

const BEGIN = '<!-- BEGIN_TF_DOCS -->';
const END = '<!-- END_TF_DOCS -->';

interface Variable {
  description?: string;
  type?: string;
  default?: unknown;
  sensitive?: boolean;
}

interface Output {
  description?: string;
}

type Blocks<T> = Record<string, T[]>;

/** hcl2json wraps expressions as "${...}"; tables show them on one line, attributes separated by commas. */
function expression(value: string): string {
  const unwrapped = value.startsWith('${') && value.endsWith('}') ? value.slice(2, -1) : value;
  const lines = unwrapped
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '');
  return lines.reduce((joined, line) => {
    if (joined === '') return line;
    const opens = /[{([]$/.test(joined);
    const closes = /^[})\]]/.test(line);
    return `${joined}${opens || closes ? ' ' : ', '}${line}`;
  }, '');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

function hclValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(hclValue).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0
      ? '{}'
      : `{ ${entries.map(([key, item]) => `${key} = ${hclValue(item)}`).join(', ')} }`;
  }
  return String(value);
}

async function parseFile<T>(dir: string, file: string): Promise<T> {
  return (await parse(file, readFileSync(join(dir, file), 'utf8'))) as T;
}

export async function renderDocs(dir: string): Promise<string> {
  const variables = (await parseFile<{ variable?: Blocks<Variable> }>(dir, 'variables.tf')).variable ?? {};
  const outputs = (await parseFile<{ output?: Blocks<Output> }>(dir, 'outputs.tf')).output ?? {};
  const versions = await parseFile<{
    terraform?: { required_version?: string; required_providers?: Record<string, { version?: string }>[] }[];
  }>(dir, 'versions.tf');

  const terraformBlock = versions.terraform?.[0];
  const requirements = [
    `| terraform | ${code(terraformBlock?.required_version ?? 'any')} |`,
    ...Object.entries(terraformBlock?.required_providers?.[0] ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, provider]) => `| ${name} | ${code(provider.version ?? 'any')} |`),
  ];

  const inputs = Object.entries(variables)
    .map(([name, [variable]]) => ({ name, variable: variable ?? {} }))
    .sort((a, b) => {
      const aRequired = !('default' in a.variable);
      const bRequired = !('default' in b.variable);
      return aRequired === bRequired ? a.name.localeCompare(b.name) : aRequired ? -1 : 1;
    })
    .map(({ name, variable }) => {
      const required = !('default' in variable);
      const type = variable.type ? code(expression(variable.type)) : 'any';
      const fallback = required ? 'n/a' : code(hclValue(variable.default));
      const description = `${cell(variable.description ?? '')}${variable.sensitive ? ' (sensitive)' : ''}`;
      return `| ${name} | ${description} | ${type} | ${fallback} | ${required ? 'yes' : 'no'} |`;
    });

  const outputRows = Object.entries(outputs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, [output]]) => `| ${name} | ${cell(output?.description ?? '')} |`);

  return [
    '## Requirements',
    '',
    '| Name | Version |',
    '|------|---------|',
    ...requirements,
    '',
    '## Inputs',
    '',
    '| Name | Description | Type | Default | Required |',
    '|------|-------------|------|---------|:--------:|',
    ...inputs,
    '',
    '## Outputs',
    '',
    '| Name | Description |',
    '|------|-------------|',
    ...outputRows,
  ].join('\n');
}

/** The README with the generated tables between the markers (the markers are added when missing). */
export function insertDocs(readme: string, docs: string): string {
  const section = `${BEGIN}\n${docs}\n${END}`;
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) {
    return `${readme.trimEnd()}${readme.trim() === '' ? '' : '\n\n'}${section}\n`;
  }
  return `${readme.slice(0, begin)}${section}${readme.slice(end + END.length)}`;
}

async function main(): Promise<void> {
  const { check, dir } = readCommandLine(COMMAND, ({ values, positionals }) => {
    const dir = resolve(positionals[0] ?? join(import.meta.dirname, '..'));
    if (!existsSync(join(dir, 'variables.tf'))) {
      throw new UsageError(`${dir} holds no variables.tf; give the directory of a Terraform module`);
    }
    return { check: values.check === true, dir };
  });
  const readmePath = join(dir, 'README.md');
  let readme = '';
  try {
    readme = readFileSync(readmePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const updated = insertDocs(readme, await renderDocs(dir));
  if (updated === readme) return;
  if (check) {
    console.error(`${readmePath}: the input/output tables differ from the code; run scripts/tf-docs`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(readmePath, updated);
  console.log(`${readmePath}: tables updated`);
}

if (isMainModule(import.meta)) await main();
