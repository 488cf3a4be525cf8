// The command line is read before the sandbox's modules are loaded: --help and mistakes answer at once.
import { command, readCommandLine, wholeNumber } from './cli/commandLine.ts';
import { ensureSandboxTools } from './cli/sandboxTools.ts';

const COMMAND = command({
  name: 'scripts/demo',
  usage: `Usage: scripts/demo [--instances N] [--keep] [--debug]

Builds dist/function.zip and walks a secret's whole life locally: moto plays AWS, MariaDB servers
with TLS from a local CA play the RDS instances, and each step runs the built function in a fresh
Node process. An application on the client (client/) runs under load through the rotations and
prints its queries and failures after each. Exits 1 if anything did not end as expected. Never
prints a password.

  --instances N  how many databases, 1 to 32 (default 3)
  --keep         leave moto and the databases running afterwards (at most 30 minutes) and print
                 the one command that stops them and removes their folders and keys
  --debug        print the function's log lines
  -h, --help     this text`,
  options: {
    instances: { type: 'string' },
    keep: { type: 'boolean' },
    debug: { type: 'boolean' },
  },
});

const options = readCommandLine(COMMAND, ({ values }) => ({
  count: wholeNumber('--instances', values.instances, 3, 1, 32),
  keep: values.keep === true,
  debug: values.debug === true,
}));
ensureSandboxTools();
const { walkThrough } = await import('./demoWalkthrough.ts');
process.exitCode = await walkThrough(options);
