/**
 * Bundles the rotation function with esbuild and zips it reproducibly: the same commit gives the
 * same bytes (sorted entries, fixed time stamps and modes, no clock read anywhere in the build).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import yazl from 'yazl';
import { buildClient } from './buildClient.ts';
import { command, readCommandLine } from './cli/commandLine.ts';
import { SOURCE_MAPS_FILE, type SourceMaps } from './sourceMaps.ts';
import { bundledPackages, NOTICES_FILE, noticesText } from './thirdPartyNotices.ts';

const USAGE = `Usage: scripts/build

Bundles the rotation function (function/src) into dist/function.zip, the same bytes for the same
commit, and prints its SHA-256 in hex and in base64 (Terraform's source_code_hash). Also writes
dist/function.zip.sha256 and dist/build.json (version, commit, build time, size, hashes). The zip
also holds ${NOTICES_FILE}: each bundled package's version, license and license text. The
source maps stay out of the zip: dist/${SOURCE_MAPS_FILE} (and its .sha256) holds the map of
each bundle file, published beside the zip by scripts/release (docs/performance.md says how to
read a stack trace with it). Also
builds the client package (client/src into client/dist: ESM and type declarations).

  -h, --help  this text

Environment: FUNCTION_VERSION replaces the version from package.json; DIST_DIR another output
directory than dist/ for the function alone (the reproducibility check builds twice that way).`;

readCommandLine(command({ name: 'scripts/build', usage: USAGE, options: {} }), () => undefined);

const root = join(import.meta.dirname, '..');
// DIST_DIR lets the reproducibility test build twice into separate directories.
const dist = process.env.DIST_DIR ?? join(root, 'dist');
const bundleDir = join(dist, 'bundle');

interface BuildIdentity {
  version: string;
  commit: string;
  buildTime: string;
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Version from package.json, commit and its time from git; "-dirty" marks uncommitted function sources. */
function identity(): BuildIdentity {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const commit = git('rev-parse', 'HEAD') ?? 'unknown';
  const dirty = git(
    'status',
    '--porcelain',
    '--',
    'function',
    'package.json',
    'package-lock.json',
    'scripts/build.ts',
    'scripts/thirdPartyNotices.ts',
  );
  return {
    version: process.env.FUNCTION_VERSION ?? version,
    commit: dirty ? `${commit}-dirty` : commit,
    buildTime: git('log', '-1', '--format=%cI') ?? '1980-01-01T00:00:00Z',
  };
}

/**
 * The bundle: index.mjs, the handler and what every invocation needs first, and chunks/*.mjs, what
 * it loads when an invocation needs it (the AWS SDK, the steps, mysql2, the RDS CA bundle). Returns
 * the files to zip, by their path in the zip, and the bytes of their source maps.
 */
async function bundle(id: BuildIdentity): Promise<{ files: string[]; maps: Buffer }> {
  rmSync(bundleDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: join(root, 'function/src/index.ts') },
    outdir: bundleDir,
    // Each dynamic import gets a file of its own, loaded when it runs: a cold start compiles only
    // index.mjs and what it imports. The names carry a hash of the content, so they are reproducible.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    // The metafile's paths, which the notices are read from, are relative to this folder.
    absWorkingDir: root,
    // ESM entry points let esbuild drop the SDK commands the function never sends.
    mainFields: ['module', 'main'],
    alias: { 'iconv-lite': join(root, 'function/shims/iconv-lite.cjs') },
    logLevel: 'warning',
    // The SDK still calls require() for some Node built-ins; ESM output needs one to exist.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    define: {
      __FUNCTION_VERSION__: JSON.stringify(id.version),
      __GIT_COMMIT__: JSON.stringify(id.commit),
      __BUILD_TIME__: JSON.stringify(id.buildTime),
    },
  });
  writeFileSync(join(dist, 'meta.json'), JSON.stringify(result.metafile));
  const outputs = Object.keys(result.metafile.outputs).filter((output) => output.endsWith('.mjs'));
  const inZip = (output: string) => relative(bundleDir, join(root, output)).split('\\').join('/');
  // legalComments is 'none' to keep the bundle small; the licenses ship beside it instead.
  const packages = bundledPackages(result.metafile, outputs, root);
  writeFileSync(
    join(bundleDir, NOTICES_FILE),
    noticesText(packages, 'the function bundle (index.mjs and chunks/)'),
  );
  const maps = gatherSourceMaps(outputs.map(inZip).sort());
  return { files: [...outputs.map(inZip), NOTICES_FILE], maps };
}

/**
 * The source maps stay out of the zip (they were 44 % of it). Gathers the map esbuild wrote beside
 * each bundle file into the one file that ships beside the zip (sourceMaps.ts), and removes them
 * from the bundle folder. esbuild names the sources relative to the output folder, which DIST_DIR
 * moves; named from the repository's root instead, the maps have the same bytes wherever they were
 * built.
 */
function gatherSourceMaps(files: string[]): Buffer {
  const maps: SourceMaps = { files: {} };
  for (const file of files) {
    const path = join(bundleDir, `${file}.map`);
    const map = JSON.parse(readFileSync(path, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) =>
      relative(root, resolve(dirname(join(bundleDir, file)), source))
        .split('\\')
        .join('/'),
    );
    maps.files[file] = map;
    rmSync(path);
  }
  return Buffer.from(JSON.stringify(maps));
}

async function zip(files: string[], output: string): Promise<void> {
  const archive = new yazl.ZipFile();
  for (const name of [...files].sort()) {
    archive.addBuffer(readFileSync(join(bundleDir, name)), name, {
      mtime: new Date(1980, 0, 1),
      mode: 0o100644,
      forceDosTimestamp: true,
      // Deflate's best level: about 1 kB smaller than its default.
      compressionLevel: 9,
    });
  }
  archive.end();
  await new Promise<void>((resolve, reject) => {
    archive.outputStream.pipe(createWriteStream(output)).on('close', resolve).on('error', reject);
  });
}

function sha256(bytes: Buffer) {
  const digest = createHash('sha256').update(bytes).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
}

const id = identity();
mkdirSync(dist, { recursive: true });
const { files, maps: mapBytes } = await bundle(id);
const zipPath = join(dist, 'function.zip');
// Written aside and renamed: a test process reading the zip never sees half of it.
await zip(files, `${zipPath}.tmp`);
renameSync(`${zipPath}.tmp`, zipPath);
const bytes = readFileSync(zipPath);
const { hex, base64 } = sha256(bytes);
writeFileSync(`${zipPath}.sha256`, `${hex}  function.zip\n`);
const mapPath = join(dist, SOURCE_MAPS_FILE);
const mapHash = sha256(mapBytes);
writeFileSync(mapPath, mapBytes);
writeFileSync(`${mapPath}.sha256`, `${mapHash.hex}  ${SOURCE_MAPS_FILE}\n`);
const sourceMap = {
  file: SOURCE_MAPS_FILE,
  bytes: mapBytes.length,
  sha256: mapHash.hex,
  sha256Base64: mapHash.base64,
};
writeFileSync(
  join(dist, 'build.json'),
  `${JSON.stringify({ ...id, bytes: bytes.length, sha256: hex, sha256Base64: base64, sourceMap }, null, 2)}\n`,
);
console.log(`${relative(root, zipPath)}  ${bytes.length} bytes  version ${id.version}  commit ${id.commit}`);
console.log(`sha256 (hex)     ${hex}`);
console.log(`sha256 (base64)  ${base64}   <- Terraform source_code_hash`);
console.log(
  `${relative(root, mapPath)}  ${mapBytes.length} bytes  sha256 ${mapHash.hex}  (source maps, beside the zip)`,
);
// The client is a package of its own; a DIST_DIR build is a second build of the function only.
if (process.env.DIST_DIR === undefined) console.log(`client/dist  ${buildClient().length} files`);
