// Runs one Lambda invocation of the built bundle in this (fresh) process, as a cold Lambda would:
// node invoke-once.mjs <bundle/index.mjs> <invoked function ARN>   with the event as JSON on stdin.
// The ARN is what Lambda passes as context.invokedFunctionArn: qualified with the alias invoked.
// The handler's result or error goes to the file named by INVOKE_RESULT_FILE; logs go to stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundlePath, invokedFunctionArn] = process.argv.slice(2);
const event = JSON.parse(readFileSync(0, 'utf8'));
const timeoutMs = Number(process.env.LAMBDA_TIMEOUT_MS ?? 300000);
const deadline = Date.now() + timeoutMs;
const context = {
  awsRequestId: `local-${process.pid}`,
  functionName: 'local-rotation',
  invokedFunctionArn,
  getRemainingTimeInMillis: () => deadline - Date.now(),
};
let outcome;
try {
  const { handler } = await import(pathToFileURL(bundlePath).href);
  outcome = { ok: true, result: await handler(event, context) };
} catch (error) {
  outcome = { ok: false, error: { name: error?.name, message: error?.message, stack: error?.stack } };
}
writeFileSync(process.env.INVOKE_RESULT_FILE, JSON.stringify(outcome));
process.exit(0);
