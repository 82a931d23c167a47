/**
 * The test projects. Vitest 4+ no longer reads this file by itself, so the
 * root `vitest.config.ts` imports the list into `test.projects`.
 */
export const testProjects = [
  "packages/core",
  "packages/memory",
  "packages/postgres",
  "packages/redis",
  "packages/http",
  "examples/server"
]
