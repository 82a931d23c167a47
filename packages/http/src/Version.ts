/**
 * The version of `@boxoffice/http`, read from its own package.json when the
 * module loads (a JSON import, which bundlers follow too), so it cannot
 * drift from what was published: the version a host reports, and the one
 * the OpenAPI document's `info.version` is meant to carry.
 *
 * @since 0.2.0
 */
import manifest from "../package.json" with { type: "json" }

/**
 * This package's version, such as `0.1.0`.
 *
 * @example
 * ```ts
 * import { packageVersion } from "@boxoffice/http"
 * console.log(`boxoffice HTTP API ${packageVersion}`)
 * ```
 * @category constants
 */
export const packageVersion: string = manifest.version
