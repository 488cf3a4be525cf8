/**
 * The source maps of the function bundle, gathered in one file that ships beside function.zip:
 * index.mjs and each file of chunks/ has a map of its own (esbuild writes one per output file),
 * kept here under the file's path in the zip.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { UsageError } from './cli/commandLine.ts';

export const SOURCE_MAPS_FILE = 'sourcemaps.json';

/** What scripts/build writes: `files` maps "index.mjs" or "chunks/NAME-HASH.mjs" to its source map. */
export interface SourceMaps {
  files: Record<string, unknown>;
}

/** The maps of `path`, by bundle file; a UsageError that says what to do when it cannot be read. */
export function loadSourceMaps(path: string): Map<string, SourceMap> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the source maps ${path} (${(error as NodeJS.ErrnoException).code}): run scripts/build, or give --map`,
      { cause: error },
    );
  }
  try {
    const { files } = JSON.parse(text) as Partial<SourceMaps>;
    if (typeof files !== 'object' || files === null) throw new Error(`it has no "files" object`);
    return new Map(
      Object.entries(files).map(([file, map]) => [
        file,
        new SourceMap(map as ConstructorParameters<typeof SourceMap>[0]),
      ]),
    );
  } catch (error) {
    throw new UsageError(
      `${path} is not the source maps of a build (${(error as Error).message}): give the ${SOURCE_MAPS_FILE} of the build that ran`,
      { cause: error },
    );
  }
}
