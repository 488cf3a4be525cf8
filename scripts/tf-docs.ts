// Generates the module's requirements, inputs and outputs tables from its .tf files: in full (the
// tables terraform-docs writes) in docs/module-reference.md, and in short in the README, whose
// readers need each input's name, first sentence and default, not its whole type.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { command, readCommandLine, UsageError } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';

const COMMAND = command({
  name: 'scripts/tf-docs',
  usage: `Usage: scripts/tf-docs [--check] [MODULE_DIR]

Writes the requirements, inputs and outputs tables of the Terraform module in MODULE_DIR (default:
the repository root), between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->: in full into
docs/module-reference.md, and in short (each description's first sentence, short defaults) into
README.md.

  --check     change nothing; exit 1 when either file's tables differ from the code
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

interface ModuleDocs {
  requirements: string[];
  inputs: { name: string; description: string; type: string; fallback: string; required: boolean }[];
  outputs: { name: string; description: string }[];
}

async function readModule(dir: string): Promise<ModuleDocs> {
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
      return {
        name,
        required,
        type: variable.type ? code(expression(variable.type)) : 'any',
        fallback: required ? 'n/a' : code(hclValue(variable.default)),
        description: `${cell(variable.description ?? '')}${variable.sensitive ? ' (sensitive)' : ''}`,
      };
    });

  const outputRows = Object.entries(outputs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, [output]]) => ({ name, description: cell(output?.description ?? '') }));
  return { requirements, inputs, outputs: outputRows };
}

/**
 * A description's gist for the README: its first sentence (a "." inside `code` does not count),
 * cut at a word boundary after SUMMARY_LENGTH characters, never inside `code`.
 */
function summary(description: string): string {
  const sentence = /^(?:`[^`]*`|[^`])*?[.!?](?=\s|$)/.exec(description)?.[0] ?? description;
  if (sentence.length <= SUMMARY_LENGTH) return sentence;
  let cut = 0;
  let inCode = false;
  for (let index = 0; index < sentence.length && index <= SUMMARY_LENGTH; index++) {
    if (sentence[index] === '`') inCode = !inCode;
    else if (sentence[index] === ' ' && !inCode) cut = index;
  }
  return `${sentence.slice(0, cut).replace(/[,;:(]+$/, '')} …`;
}

const SUMMARY_LENGTH = 44;

/** A default short enough for the README's table; longer ones are in the reference. */
function shortDefault(fallback: string): string {
  return fallback.length <= 24 ? fallback : 'see reference';
}

/** The full tables, as terraform-docs writes them: docs/module-reference.md. */
export async function renderDocs(dir: string): Promise<string> {
  const module = await readModule(dir);
  return [
    '## Requirements',
    '',
    '| Name | Version |',
    '|------|---------|',
    ...module.requirements,
    '',
    '## Inputs',
    '',
    '| Name | Description | Type | Default | Required |',
    '|------|-------------|------|---------|:--------:|',
    ...module.inputs.map(
      (input) =>
        `| ${input.name} | ${input.description} | ${input.type} | ${input.fallback} | ${input.required ? 'yes' : 'no'} |`,
    ),
    '',
    '## Outputs',
    '',
    '| Name | Description |',
    '|------|-------------|',
    ...module.outputs.map((output) => `| ${output.name} | ${output.description} |`),
  ].join('\n');
}

/** The README's tables: every input and output with its first sentence and a short default. */
export async function renderSummary(dir: string): Promise<string> {
  const module = await readModule(dir);
  return [
    '### Requirements',
    '',
    '| Name | Version |',
    '|------|---------|',
    ...module.requirements,
    '',
    '### Inputs',
    '',
    'Types, whole descriptions and defaults: [docs/module-reference.md](docs/module-reference.md).',
    '',
    '| Name | Description | Default |',
    '|------|-------------|---------|',
    ...module.inputs.map(
      (input) =>
        `| ${input.name} | ${summary(input.description)} | ${input.required ? 'required' : shortDefault(input.fallback)} |`,
    ),
    '',
    '### Outputs',
    '',
    '| Name | Description |',
    '|------|-------------|',
    ...module.outputs.map((output) => `| ${output.name} | ${summary(output.description)} |`),
  ].join('\n');
}

const REFERENCE_HEADER = `# Module reference

Every requirement, input and output of the module, generated from its .tf files by
\`scripts/tf-docs\` (\`scripts/tf-docs --check\` fails when this page drifts from the code). The
README has the same tables in short.

`;

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
  const targets = [
    { path: join(dir, 'README.md'), empty: '', docs: await renderSummary(dir) },
    { path: join(dir, 'docs', 'module-reference.md'), empty: REFERENCE_HEADER, docs: await renderDocs(dir) },
  ];
  for (const target of targets) {
    const current = readOrEmpty(target.path, target.empty);
    const updated = insertDocs(current, target.docs);
    if (updated === current) continue;
    if (check) {
      console.error(`${target.path}: the input/output tables differ from the code; run scripts/tf-docs`);
      process.exitCode = 1;
      continue;
    }
    mkdirSync(dirname(target.path), { recursive: true });
    writeFileSync(target.path, updated);
    console.log(`${target.path}: tables updated`);
  }
}

function readOrEmpty(path: string, empty: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return empty;
  }
}

if (isMainModule(import.meta)) await main();
