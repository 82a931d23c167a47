/**
 * The middlewares of the API: who the user is (through the `Identity`
 * port), whether the caller holds the admin key, and how a request that
 * fails its schema is answered.
 *
 * @since 0.1.0
 */
import type { UserId } from "@boxoffice/core"
import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { InvalidRequestProblem, RateLimitedProblem, UnauthenticatedProblem, UnavailableProblem } from "./Problems.ts"

/** The authenticated user of the request. @category services */
export class CurrentUser extends Context.Service<CurrentUser, { readonly userId: UserId }>()(
  "@boxoffice/http/CurrentUser"
) {}

/** `Authorization: Bearer <accessToken>`, checked by the `Identity` port. @category middleware */
export class UserAuth extends HttpApiMiddleware.Service<UserAuth, { provides: CurrentUser }>()(
  "@boxoffice/http/UserAuth",
  {
    security: { bearer: HttpApiSecurity.bearer },
    error: [UnauthenticatedProblem, UnavailableProblem],
    requiredForClient: true
  }
) {}

/** `Authorization: Bearer <BOXOFFICE_ADMIN_KEY>`. @category middleware */
export class AdminAuth extends HttpApiMiddleware.Service<AdminAuth>()("@boxoffice/http/AdminAuth", {
  security: { bearer: HttpApiSecurity.bearer },
  error: [UnauthenticatedProblem, RateLimitedProblem],
  requiredForClient: true
}) {}

/**
 * The rate limits of an endpoint (`RateLimitGate`), decided by the endpoint the router matched, so no
 * spelling of a path walks around them; a refusal is `429 rate-limited` with `Retry-After`.
 *
 * @category middleware
 */
export class RateLimited extends HttpApiMiddleware.Service<RateLimited>()("@boxoffice/http/RateLimited", {
  error: RateLimitedProblem
}) {}

/** Answers every request that fails its schema with a 400 `invalid-request` problem. @category middleware */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "@boxoffice/http/RequestValidation",
  {
    error: InvalidRequestProblem
  }
) {}
