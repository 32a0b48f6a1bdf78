// ESM jest (DESIGN.md): Nest 12 is ESM-only and Node 20 has no require(esm).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  moduleNameMapper: {
    '^nestjs-ws-auth$': '<rootDir>/libs/ws-auth/src/index.ts',
    '^nestjs-ws-auth/socket\\.io$': '<rootDir>/libs/ws-auth/src/socket-io/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // The packaging test installs the packed library here while it runs.
  modulePathIgnorePatterns: ['<rootDir>/test/.consumer'],
  testTimeout: 20000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
};
