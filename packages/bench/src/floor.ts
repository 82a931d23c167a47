/**
 * The framework's floor: the least an `effect/http-api` endpoint shaped like
 * `GET /queue/status` costs on this machine. One endpoint with a header
 * schema, behind a bearer middleware that provides the user, answering a
 * fixed status; no engine, no log, no metrics. boxoffice's own per-request
 * work is what it costs above this.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter } from "effect/http"
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiError,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSecurity
} from "effect/http-api"
import { createServer } from "node:http"

class CurrentUser extends Context.Service<CurrentUser, { readonly userId: string }>()("floor/CurrentUser") {}

class Auth extends HttpApiMiddleware.Service<Auth, { provides: CurrentUser }>()("floor/Auth", {
  security: { bearer: HttpApiSecurity.bearer },
  error: HttpApiError.Unauthorized
}) {}

class Status extends Schema.Class<Status>("Status")({
  status: Schema.Literals(["waiting", "active", "expired"]),
  position: Schema.NullOr(Schema.Int),
  etaSeconds: Schema.NullOr(Schema.Int)
}) {}

class FloorApi extends HttpApi.make("floor").add(
  HttpApiGroup.make("user")
    .add(
      HttpApiEndpoint.get("queueStatus", "/queue/status", {
        headers: { "queue-token": Schema.String },
        success: Status
      })
    )
    .middleware(Auth)
) {}

const AuthLive = Layer.succeed(
  Auth,
  Auth.of({
    bearer: (httpEffect, { credential }) =>
      Redacted.value(credential).length > 0
        ? Effect.provideService(httpEffect, CurrentUser, { userId: Redacted.value(credential).slice(0, 8) })
        : Effect.fail(new HttpApiError.Unauthorized())
  })
)

const UserLive = HttpApiBuilder.group(FloorApi, "user", (handlers) =>
  handlers.handle("queueStatus", ({ headers }) =>
    Effect.gen(function* () {
      const { userId } = yield* CurrentUser
      return new Status({ status: "waiting", position: userId.length + headers["queue-token"].length, etaSeconds: 12 })
    })
  )
)

HttpRouter.serve(HttpApiBuilder.layer(FloorApi).pipe(Layer.provide(UserLive), Layer.provide(AuthLive)), {
  disableLogger: true,
  disableListenLog: true
}).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port: Number(process.env["PORT"] ?? 3998), host: "127.0.0.1" })),
  Layer.launch,
  NodeRuntime.runMain
)
