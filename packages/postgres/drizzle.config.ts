import { defineConfig } from "drizzle-kit"

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/internal/schema.ts",
  out: "./drizzle"
})
