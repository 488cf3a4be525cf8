// Replaced by the build (esbuild `define`); the fallbacks are what tests running the sources see.
declare const __FUNCTION_VERSION__: string | undefined;
declare const __GIT_COMMIT__: string | undefined;
declare const __BUILD_TIME__: string | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  buildTime: string;
}

export const buildInfo: BuildInfo = {
  version: typeof __FUNCTION_VERSION__ === 'string' ? __FUNCTION_VERSION__ : 'dev',
  commit: typeof __GIT_COMMIT__ === 'string' ? __GIT_COMMIT__ : 'unknown',
  buildTime: typeof __BUILD_TIME__ === 'string' ? __BUILD_TIME__ : 'unknown',
};
