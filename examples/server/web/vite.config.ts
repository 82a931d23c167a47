/**
 * Builds the demo page (`/`) and the operator view (`/operator`) into
 * `../dist-web`, which the example server serves. No CDN: everything the
 * pages load is in that folder.
 */
import { defineConfig } from "vite"

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  logLevel: "warn",
  build: {
    outDir: "../dist-web",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        index: `${import.meta.dirname}/index.html`,
        operator: `${import.meta.dirname}/operator.html`
      }
    }
  }
})
