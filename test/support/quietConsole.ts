/**
 * Jest setup: drops the warnings @azure/functions prints by design outside the Functions host
 * ("test mode", "Skipping call to register function ..."). Only those exact messages: anything else
 * a test or the code under test writes to the console still shows, so real failures stay visible.
 */
const EXPECTED = [
  /^WARNING: Failed to detect the Azure Functions runtime\. Switching "@azure\/functions" package to test mode/,
  /^WARNING: Skipping call to (register|dispose) .* because the "@azure\/functions" package is in test mode\.$/,
];

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && EXPECTED.some((re) => re.test(args[0] as string))) return;
  warn(...args);
};
