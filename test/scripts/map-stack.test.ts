import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltZip } from '../../sandbox/bundleInvoker.ts';
import { mapStack } from '../../scripts/map-stack.ts';
import { loadSourceMaps } from '../../scripts/sourceMaps.ts';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'map-stack-'));
let trace: string;

/** The line (1-based) of the first one of `file` (under function/src) that includes `text`. */
function sourceLine(file: string, text: string): number {
  const lines = readFileSync(join(root, 'function/src', file), 'utf8').split('\n');
  return lines.findIndex((line) => line.includes(text)) + 1;
}

/** Where the handler first reads the request id (index.mjs). */
const requestIdLine = () => sourceLine('index.ts', 'context?.awsRequestId');
const ALREADY_CURRENT = 'version is already AWSCURRENT, nothing to do';

/**
 * A trace line at the position of `text` in the file of chunks/ that holds it (rotation.ts is
 * loaded on demand): no invocation gets there without AWS.
 */
function chunkTraceLine(text: string): { line: string; file: string; position: string } {
  const chunks = readdirSync(join(dir, 'chunks')).map((name) => `chunks/${name}`);
  for (const file of chunks) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes(text));
    if (at >= 0) {
      const position = `${at + 1}:${(lines[at] ?? '').indexOf(text) + 1}`;
      return { line: `    at runRotationStep (file:///var/task/${file}:${position})`, file, position };
    }
  }
  throw new Error(`no file of chunks/ holds "${text}"`);
}

beforeAll(() => {
  const zip = ensureBuiltZip();
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, dir]);
  // A real trace from the built bundle, as a Lambda prints one: no source map support. The
  // context's request id getter records where the handler reads it.
  const probe = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    let stack = '';
    const context = { getRemainingTimeInMillis: () => 60000, get awsRequestId() { stack ||= new Error('probe').stack; return 'r-1'; } };
    await handler({ action: 'version' }, context).catch(() => undefined);
    process.stdout.write(stack);`;
  trace = execFileSync('node', ['--input-type=module', '-e', probe], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SECRET_ID: 'app-db-credentials',
      DB_IDENTIFIER_PREFIX: 'app-',
      ROTATION_ALIAS: 'rotation',
      LOG_LEVEL: 'ERROR',
    },
  });
  writeFileSync(join(dir, 'trace.txt'), trace);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/map-stack', () => {
  it('maps each position in the bundle of a real stack trace to its TypeScript source, keeping the bundle position', () => {
    // prepare
    const bundlePosition = /index\.mjs:(\d+):(\d+)/.exec(trace.split('\n')[2] ?? '');
    const inChunk = chunkTraceLine(ALREADY_CURRENT);

    // act
    const mapped = mapStack(`${trace}\n${inChunk.line}`, loadSourceMaps(join(root, 'dist/sourcemaps.json')));

    // assess
    expect(bundlePosition).not.toBeNull();
    const handlerLine = mapped.split('\n').find((line) => line.includes('function/src/index.ts:'));
    expect(handlerLine).toContain(`function/src/index.ts:${requestIdLine()}:`);
    expect(handlerLine).toContain(`[index.mjs:${bundlePosition?.[1]}:${bundlePosition?.[2]}]`);
    expect(mapped.split('\n')[0]).toBe('Error: probe');
    const rotationLine = mapped.split('\n').at(-1);
    expect(rotationLine).toContain(`function/src/rotation.ts:${sourceLine('rotation.ts', ALREADY_CURRENT)}:`);
    expect(rotationLine).toContain(`[${inChunk.file}:${inChunk.position}]`);
  });

  it('reads the trace from a file given relative to where the user stands, through its wrapper', () => {
    // act
    const mapped = execFileSync(join(root, 'scripts/map-stack'), ['trace.txt'], {
      cwd: dir,
      encoding: 'utf8',
    });

    // assess
    expect(mapped).toContain(`function/src/index.ts:${requestIdLine()}:`);
  });

  it('says what to do when the source map cannot be read (exit 2)', () => {
    // act
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync(join(root, 'scripts/map-stack'), ['--map', 'missing.map', 'trace.txt'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error as typeof failure;
    }

    // assess
    expect(failure.status).toBe(2);
    expect(failure.stderr).toContain(
      `scripts/map-stack: cannot read the source maps ${join(dir, 'missing.map')} (ENOENT): run scripts/build, or give --map`,
    );
  });
});
