/**
 * The node:http server under the app, as Effect's `HttpServer`, with one
 * request listener of our own that decides who answers:
 * - while the app is not attached yet (migrations, store connections), a 503
 *   `unavailable` with `Retry-After`, so a request arriving then gets an answer
 *   at once rather than none;
 * - then the front door, when one is set and takes the request (the queue
 *   shortcut, `QueueShortcutFront.ts`);
 * - otherwise Effect's handler for the app (`NodeHttpServer.makeHandler`).
 * A request the parser refuses (headers too large, a malformed request line)
 * is answered as problem+json too. On shutdown the server stops taking
 * connections and gives those in flight up to `shutdownTimeout` to finish.
 */
import { rawProblemResponse, transportProblem } from "@boxoffice/http"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, type Duration, Effect, Layer, Result, Scope } from "effect"
import { HttpServer, HttpServerError } from "effect/http"
import { NetAddress } from "effect/net"
import type { AddressInfo } from "node:net"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Duplex } from "node:stream"
import type { Listener } from "./ServerConfig.ts"

/** A listener that answers the requests it takes, and says so; the rest go to the app. */
export type Front = (request: IncomingMessage, response: ServerResponse) => boolean

/** Where a front door is set for as long as its scope lives. @category services */
export class FrontDoor extends Context.Service<
  FrontDoor,
  {
    readonly open: (front: Front) => Effect.Effect<void, never, Scope.Scope>
  }
>()("@boxoffice/example-server/FrontDoor") {}

const startingBody = JSON.stringify(transportProblem("unavailable", "the server is starting; retry in a moment"))

const answerWhileStarting = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(503, {
    "content-type": "application/problem+json",
    "retry-after": "1",
    "content-length": Buffer.byteLength(startingBody)
  })
  response.end(startingBody)
}

const answerParseError = (error: Error & { readonly code?: string }, socket: Duplex) => {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy()
    return
  }
  socket.end(
    error.code === "HPE_HEADER_OVERFLOW"
      ? rawProblemResponse("request-header-fields-too-large", "the request headers are larger than the server reads")
      : rawProblemResponse("invalid-request", "the request is not valid HTTP/1.1")
  )
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void

const make = (options: {
  readonly port: number
  readonly listener: Listener
  readonly shutdownTimeout: Duration.Duration
}) =>
  Effect.gen(function* () {
    let app: Handler | undefined
    let front: Front | undefined
    const { listener } = options
    const server = createServer(
      {
        headersTimeout: listener.headersTimeoutMs,
        requestTimeout: listener.requestTimeoutMs,
        keepAliveTimeout: listener.keepAliveTimeoutMs,
        // Node checks the two timeouts above only this often (30 s by default), so it bounds how late they act.
        connectionsCheckingInterval: Math.min(1_000, listener.headersTimeoutMs / 2)
      },
      (request, response) => {
        if (app === undefined) return answerWhileStarting(request, response)
        if (front?.(request, response)) return
        app(request, response)
      }
    )
    server.on("clientError", answerParseError)
    server.maxConnections = listener.maxConnections

    // Stops taking connections, and resolves once those open have finished (Node closes the idle ones).
    const close = yield* Effect.cached(
      Effect.callback<void>((resume) => {
        if (!server.listening) return resume(Effect.void)
        server.close(() => resume(Effect.void))
      })
    )
    yield* Effect.addFinalizer(() => close)
    yield* Effect.callback<void, HttpServerError.ServeError>((resume) => {
      const onError = (cause: Error) => resume(Effect.fail(new HttpServerError.ServeError({ cause })))
      server.once("error", onError)
      server.listen({ port: options.port, host: listener.host }, () => {
        server.off("error", onError)
        resume(Effect.void)
      })
    })
    const bound = server.address() as AddressInfo
    const address = NetAddress.inetAddressFromIpString(bound.address, bound.port)
    if (Result.isFailure(address)) return yield* new HttpServerError.ServeError({ cause: address.failure })

    const httpServer = HttpServer.make({
      address: address.success,
      serve: (httpApp, middleware) =>
        Effect.gen(function* () {
          const scope = yield* Effect.scope
          app = yield* NodeHttpServer.makeHandler(httpApp, {
            ...(middleware === undefined ? {} : { middleware }),
            scope: Scope.forkUnsafe(scope, "parallel")
          })
          yield* Effect.addFinalizer(() =>
            Effect.ensuring(
              Effect.timeoutOrElse(close, { duration: options.shutdownTimeout, orElse: () => Effect.void }),
              Effect.sync(() => (app = undefined))
            )
          )
        })
    })
    const frontDoor = FrontDoor.of({
      open: (taking) =>
        Effect.acquireRelease(
          Effect.sync(() => (front = taking)),
          () => Effect.sync(() => (front = undefined))
        ).pipe(Effect.asVoid)
    })
    return Context.make(HttpServer.HttpServer, httpServer).pipe(Context.add(FrontDoor, frontDoor))
  })

/**
 * The server on `port`, listening at once as `listener` says, with Node's
 * HTTP services (`NodeHttpServer.layerHttpServices`).
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { listenerDefaults } from "./ServerConfig.ts"
 * const server = nodeServerLayer({ port: 3000, listener: listenerDefaults, shutdownTimeout: Duration.seconds(10) })
 * ```
 */
export const nodeServerLayer = (options: {
  readonly port: number
  readonly listener: Listener
  readonly shutdownTimeout: Duration.Duration
}) => Layer.merge(Layer.effectContext(make(options)), NodeHttpServer.layerHttpServices)
