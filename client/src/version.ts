/** This package's version, recorded with each run it creates (version.test.ts keeps it equal to package.json's). */
export const CLIENT_VERSION = '0.1.0';
