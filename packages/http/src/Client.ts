/**
 * The typed client, generated from the same API definition as the server.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { BoxofficeApi } from "./Api.ts"
import { AdminAuth, UserAuth } from "./Security.ts"

/** @category models */
export interface ClientOptions {
  readonly baseUrl: string
  /** The user's access token, sent as `Authorization: Bearer` on user routes. */
  readonly accessToken?: string
  /** The admin key, sent as `Authorization: Bearer` on admin routes. */
  readonly adminKey?: string
}

/** @category models */
export type BoxofficeClient = HttpApiClient.ForApi<typeof BoxofficeApi>

/**
 * A client of a boxoffice server, acting as one user (or as the admin).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { makeClient } from "@boxoffice/http"
 * const program = Effect.gen(function*() {
 *   const anonymous = yield* makeClient({ baseUrl: "http://127.0.0.1:3000" })
 *   const { accessToken } = yield* anonymous.createUser()
 *   const user = yield* makeClient({ baseUrl: "http://127.0.0.1:3000", accessToken })
 *   return yield* user.user.wallet()
 * })
 * ```
 * @category constructors
 */
export const makeClient = (options: ClientOptions): Effect.Effect<BoxofficeClient> =>
  HttpApiClient.make(BoxofficeApi, { baseUrl: options.baseUrl }).pipe(
    Effect.provide(
      Layer.mergeAll(
        HttpApiMiddleware.layerClient(UserAuth, ({ next, request }) =>
          next(HttpClientRequest.bearerToken(request, options.accessToken ?? ""))
        ),
        HttpApiMiddleware.layerClient(AdminAuth, ({ next, request }) =>
          next(HttpClientRequest.bearerToken(request, options.adminKey ?? ""))
        ),
        FetchHttpClient.layer
      )
    )
  )
