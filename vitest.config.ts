import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"
import { testProjects } from "./vitest.workspace.ts"

export default defineConfig({
  test: {
    projects: testProjects,
    // Vitest's default (cores − 1) runs one file at a time on a 2-core machine, though the suites wait on Postgres
    // and Redis much of the time; each file has its own databases and key prefixes, so two files share the cores.
    maxWorkers: Math.max(2, availableParallelism() - 1)
  }
})
