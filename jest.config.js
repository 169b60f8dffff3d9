/** Tests run from the TypeScript sources; `npm test` type-checks with tsc first, so ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
  // A passing run is quiet: the @azure/functions test-mode warnings are expected (see the file).
  setupFiles: ['<rootDir>/test/support/quietConsole.ts'],
};
