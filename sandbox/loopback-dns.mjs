// Preload for child processes: `node --import /abs/path/sandbox/loopback-dns.mjs ...`
// makes *.rds.amazonaws.com and *.test resolve to 127.0.0.1 in that process.
import { installLoopbackDns } from './loopbackDnsPatch.mjs';

installLoopbackDns();
