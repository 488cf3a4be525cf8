/**
 * Maps a stack trace of the bundled function (positions in index.mjs and chunks/*.mjs, as a Lambda
 * or a local run without --enable-source-maps prints them) to the TypeScript sources, through the
 * source maps that scripts/build writes beside the zip and scripts/release publishes beside it.
 */
import { readFileSync } from 'node:fs';
import type { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { command, readCommandLine, UsageError } from './cli/commandLine.ts';
import { isMainModule } from './cli/mainModule.ts';
import { loadSourceMaps, SOURCE_MAPS_FILE } from './sourceMaps.ts';

const USAGE = `Usage: scripts/map-stack [--map FILE] [TRACE_FILE]

Reads a stack trace (from TRACE_FILE, or standard input) and prints it with every position in
the bundle (index.mjs, chunks/*.mjs) replaced by the source file, line and column it was built
from, the bundle position kept in brackets. Other lines are printed as they are.

  --map FILE  the source maps of the build that ran (default dist/${SOURCE_MAPS_FILE}; for a
              release, ${SOURCE_MAPS_FILE} beside its function.zip in the release bucket)
  -h, --help  this text`;

// "index.mjs:LINE:COLUMN" or "chunks/NAME.mjs:LINE:COLUMN", however the path before it is written
// (file:///var/task/, /tmp/x/).
const POSITION = /(?:file:\/\/)?[^\s()]*?((?:chunks\/)?[\w.-]+\.mjs):(\d+):(\d+)/g;

/** `trace` with each bundle position mapped through `maps`; positions they do not cover stay. */
export function mapStack(trace: string, maps: Map<string, SourceMap>): string {
  return trace.replace(POSITION, (whole, file: string, line: string, column: string) => {
    const map = maps.get(file);
    if (map === undefined) return whole;
    // Stack traces count from 1; the source map counts from 0.
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
    const column1 = (entry.originalColumn ?? 0) + 1;
    return `${entry.originalSource}:${entry.originalLine + 1}:${column1} [${file}:${line}:${column}]`;
  });
}

function readTrace(path: string | undefined): string {
  try {
    return readFileSync(path ?? 0, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the stack trace ${path ?? 'from standard input'} (${(error as NodeJS.ErrnoException).code})`,
      {
        cause: error,
      },
    );
  }
}

function main(): void {
  const callerDir = process.env.MAP_STACK_CALLER_DIR ?? process.cwd();
  const options = readCommandLine(
    command({
      name: 'scripts/map-stack',
      usage: USAGE,
      options: { map: { type: 'string' } },
      maxPositionals: 1,
    }),
    ({ values, positionals }) => ({
      maps: loadSourceMaps(
        values.map === undefined
          ? join(import.meta.dirname, '..', 'dist', SOURCE_MAPS_FILE)
          : resolve(callerDir, values.map),
      ),
      trace: readTrace(positionals[0] === undefined ? undefined : resolve(callerDir, positionals[0])),
    }),
  );
  process.stdout.write(mapStack(options.trace, options.maps));
}

if (isMainModule(import.meta)) main();
