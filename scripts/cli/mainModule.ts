import { realpathSync } from 'node:fs';

/**
 * Whether the module with this `import.meta` is the script Node was started with (and not
 * imported by a test, say). Node gives argv[1] as typed, tsx as an absolute path: compare real paths.
 */
export function isMainModule(meta: ImportMeta): boolean {
  const started = process.argv[1];
  if (started === undefined) return false;
  try {
    return realpathSync(started) === realpathSync(meta.filename);
  } catch {
    return false;
  }
}
