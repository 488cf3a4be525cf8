import { fileURLToPath } from 'node:url';

// The implementation is plain JavaScript, shared with the child-process preload.
export { installLoopbackDns, isLoopbackHost, LOOPBACK_SUFFIXES } from './loopbackDnsPatch.mjs';

/** Absolute path of the preload, for `node --import <path>` in child processes. */
export const LOOPBACK_DNS_PRELOAD = fileURLToPath(new URL('./loopback-dns.mjs', import.meta.url));
