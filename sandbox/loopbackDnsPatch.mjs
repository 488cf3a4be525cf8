// Plain JavaScript so that child processes running the built bundle can preload it with
// `node --import <abs path>/loopback-dns.mjs` (no TypeScript loader there). In-process use
// goes through loopbackDns.ts.
import dns from 'node:dns';

/** Host names under these suffixes resolve to 127.0.0.1. */
export const LOOPBACK_SUFFIXES = ['.rds.amazonaws.com', '.test'];

const patched = Symbol.for('mysql-password-rotation.loopbackDns');

/** @param {string} hostname */
export function isLoopbackHost(hostname) {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * Replaces `dns.lookup` (which `net.connect`, and so mysql2 and the AWS SDK, use) so that the
 * sandbox's host names reach the servers on loopback; every other name resolves as before.
 * Idempotent.
 */
export function installLoopbackDns() {
  if (dns.lookup[patched]) return;
  const original = dns.lookup;
  const lookup = (hostname, options, callback) => {
    const done = typeof options === 'function' ? options : callback;
    if (typeof hostname !== 'string' || typeof done !== 'function' || !isLoopbackHost(hostname)) {
      return original(hostname, options, callback);
    }
    const all = typeof options === 'object' && options !== null && options.all === true;
    // Asynchronous like the real lookup: callers may rely on the callback running later.
    process.nextTick(() => {
      if (all) done(null, [{ address: '127.0.0.1', family: 4 }]);
      else done(null, '127.0.0.1', 4);
    });
    return undefined;
  };
  lookup[patched] = true;
  dns.lookup = lookup;
}
