/**
 * The server side of the API: handlers over `Booking`, the middleware
 * implementations, OpenAPI at `/openapi.json` and a docs UI at `/docs`
 * served without any CDN.
 *
 * @since 0.1.0
 */
import {
  Booking,
  type BookingError,
  Events,
  Identity,
  QueueSettingsChange,
  QueueTokenSigner,
  type RefundReceipt,
  userIdOfSubject
} from "@boxoffice/core"
import { DateTime, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiMiddleware, HttpApiSwagger } from "effect/http-api"
import {
  BoxofficeApi,
  ChargeResponse,
  ConcertSummary,
  CreatedConcert,
  QueueSettingsResponse,
  SaleReportResponse,
  DateResponse,
  NewUserResponse,
  PaymentResponse,
  PaymentSummary,
  RefundResponse,
  DateRefundsResponse,
  EventsPage,
  eventsPageDefault,
  QueueHeartbeat,
  QueueJoined,
  QueueRejoined,
  SeatResponse,
  WalletResponse
} from "./Api.ts"
import { eventMessageOf } from "./EventMessages.ts"
import { authenticateUser, invalidRequest } from "./internal/RequestChecks.ts"
import {
  ForbiddenProblem,
  NotFoundProblem,
  type ProblemFor,
  QueueTokenInvalidProblem,
  toProblem,
  TooManyStreamsProblem,
  UnauthenticatedProblem
} from "./Problems.ts"
import { MetricsExposition } from "./MetricsExposition.ts"
import { QueueEventsHub } from "./QueueEventsHub.ts"
import { RateLimitGate, type RateLimitRefusal, rateLimitedAnswer } from "./RateLimits.ts"
import { holdOf, paymentFields, seatsOf, statusFields, statusOf } from "./Responses.ts"
import { RequestMetrics } from "./RequestMetrics.ts"
import { AdminAuth, CurrentUser, RateLimited, RequestValidation, UserAuth } from "./Security.ts"
import { type AnswerHook, TransportGuards, transportProblemResponse } from "./TransportGuards.ts"

/** @category models */
export interface HttpOptions {
  /** The admin key; without it, every `/admin` call is `unauthenticated`. */
  readonly adminKey: Option.Option<Redacted.Redacted<string>>
  /** How often the SSE stream sends a heartbeat while nothing changes. Default 15 s. */
  readonly heartbeatInterval?: Duration.Duration
  /** The largest JSON body a request may carry. Default 64 KiB. */
  readonly maxBodyBytes?: number
  /** SSE streams one queue token may hold open on one instance. Default 3. */
  readonly maxStreamsPerToken?: number
  /** Record every request's route, status and latency as metrics. Default true. */
  readonly requestMetrics?: boolean
  /**
   * Who charges wallets: `open` lets users charge their own (`POST /wallet/charges`, for demos);
   * `admin` refuses that with 403, and only the host charges, through
   * `POST /admin/users/{userId}/wallet/charges`. Default `open`.
   */
  readonly walletCharges?: "open" | "admin"
  /** Told of every answered request, as the transport guards answered it (the host's access log). */
  readonly onAnswer?: AnswerHook
  /**
   * This server delivers the store's events to a webhook: `GET /admin/events` then reports the backlog
   * (`delivery`), which is null otherwise. Default false.
   */
  readonly eventDelivery?: boolean
}

/** Runs a use case and answers its typed errors as problems. */
const answer = <A, E extends BookingError, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, ProblemFor<E>, R> =>
  Effect.mapError(effect, toProblem)

/** The caller's queue token, or `queue-token-invalid` when the header is missing. */
const queueToken = (headers: { readonly "queue-token"?: string | undefined }) =>
  headers["queue-token"] === undefined || headers["queue-token"] === ""
    ? Effect.fail(
        new QueueTokenInvalidProblem({ code: "queue-token-invalid", detail: "the Queue-Token header is missing" })
      )
    : Effect.succeed(headers["queue-token"])

/** Compares without leaking, through timing, how much of the key matched. */
const sameSecret = (given: string, expected: string): boolean => {
  let difference = given.length ^ expected.length
  for (let i = 0; i < expected.length; i++) difference |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i)
  return difference === 0
}

const accountsFromHost = new NotFoundProblem({
  code: "not-found",
  detail: "accounts come from the host's identity provider"
})

const PublicLive = (options: HttpOptions) =>
  HttpApiBuilder.group(BoxofficeApi, "public", (handlers) =>
    Effect.gen(function* () {
      const booking = yield* Booking
      const identity = yield* Identity
      const signer = yield* QueueTokenSigner
      const hub = yield* QueueEventsHub
      const heartbeatInterval = options.heartbeatInterval ?? Duration.seconds(15)
      return handlers
        .handle("health", () => Effect.succeed({ status: "ok" as const }))
        .handle("ready", () => Effect.as(answer(booking.checkStores), { status: "ready" as const }))
        .handle("createUser", () =>
          Option.match(identity.register, {
            // A host's identity provider issues the accounts and their tokens.
            onNone: () => Effect.fail(accountsFromHost),
            onSome: (register) =>
              Effect.map(
                register,
                ({ userId, accessToken }) => new NewUserResponse({ userId, accessToken: Redacted.value(accessToken) })
              )
          })
        )
        .handle("listConcerts", () =>
          Effect.map(answer(booking.listConcertsForSale), (listings) =>
            listings.map(
              ({ concert, soldOut }) =>
                new ConcertSummary({ concertId: concert.concertId, title: concert.title, soldOut })
            )
          )
        )
        .handle("queueEvents", ({ query }) =>
          Effect.gen(function* () {
            // The signature is checked before any store, and before the stream opens.
            yield* Effect.mapError(signer.verify(query.token), toProblem)
            const shared = yield* Effect.mapError(
              hub.open(query.token),
              () =>
                new TooManyStreamsProblem({
                  code: "too-many-streams",
                  detail: "this queue token holds its streams already; close one first"
                })
            )
            const statuses = shared.pipe(
              Stream.map(statusOf),
              // A store that fails mid-stream ends the stream; the client reconnects.
              Stream.catchCause(() => Stream.empty)
            )
            // tick emits at once; the first heartbeat is due one interval in.
            const heartbeats = Stream.tick(heartbeatInterval).pipe(
              Stream.drop(1),
              Stream.mapEffect(() => Effect.map(DateTime.now, (heartbeat) => new QueueHeartbeat({ heartbeat })))
            )
            return Stream.merge(statuses, heartbeats, { haltStrategy: "left" })
          })
        )
    })
  )

const refundResponseOf = (receipt: RefundReceipt) =>
  new RefundResponse({
    refundId: receipt.refundId,
    paymentId: receipt.paymentId,
    amount: receipt.amountKrw,
    fee: receipt.feeKrw,
    balance: receipt.balanceKrw
  })

const AdminLive = (options: HttpOptions) =>
  HttpApiBuilder.group(BoxofficeApi, "admin", (handlers) =>
    Effect.gen(function* () {
      const booking = yield* Booking
      const events = yield* Events
      return handlers
        .handle("listEvents", ({ query }) =>
          Effect.gen(function* () {
            const after = query.after ?? 0
            const page = yield* answer(events.read(after, query.limit ?? eventsPageDefault))
            const delivery = options.eventDelivery === true ? yield* answer(events.deliveryBacklog) : null
            return new EventsPage({ events: page.map(eventMessageOf), next: page.at(-1)?.sequence ?? after, delivery })
          })
        )
        .handle("metrics", () =>
          Effect.flatMap(Effect.serviceOption(MetricsExposition), (exposition) =>
            exposition._tag === "Some"
              ? exposition.value.render
              : Effect.fail(
                  new NotFoundProblem({ code: "not-found", detail: "metrics are not configured on this server" })
                )
          )
        )
        .handle("saleReport", ({ params }) =>
          Effect.map(
            answer(booking.saleReport(params.concertId)),
            ({ concert, queue, dates }) =>
              new SaleReportResponse({
                concertId: concert.concertId,
                title: concert.title,
                opensAt: concert.policy.queue.opensAt ?? null,
                settings: {
                  maxActive: queue.settings.maxActive,
                  activeSeconds: queue.settings.activeSeconds,
                  admitPerMinute: queue.settings.admitPerMinute,
                  paused: queue.settings.paused,
                  holdSeconds: concert.policy.holdSeconds,
                  maxSeatsPerUser: concert.policy.maxSeatsPerUser,
                  holdNeedsFunds: concert.policy.holdNeedsFunds,
                  refundUntilHours: concert.policy.refundUntilHours,
                  refundFeePercent: concert.policy.refundFeePercent
                },
                queue: {
                  pending: queue.pending,
                  waiting: queue.waiting,
                  active: queue.active,
                  admittedLastMinute: queue.admittedLastMinute
                },
                dates: concert.dates.map((date, index) => ({
                  dateId: date.dateId,
                  startsAt: date.startsAt,
                  price: date.priceKrw,
                  seatCount: date.seatCount,
                  available: dates[index]!.available,
                  held: dates[index]!.held,
                  sold: dates[index]!.sold,
                  revenue: dates[index]!.revenueKrw,
                  classes: dates[index]!.classes.map((counts) => ({
                    name: counts.name,
                    price: counts.priceKrw,
                    available: counts.available,
                    held: counts.held,
                    sold: counts.sold,
                    revenue: counts.revenueKrw
                  }))
                }))
              })
          )
        )
        .handle("chargeUserWallet", ({ params, headers, payload }) =>
          Effect.map(
            answer(booking.charge(userIdOfSubject(params.userId), payload.amount, headers["idempotency-key"], "host")),
            (receipt) =>
              new ChargeResponse({ chargeId: receipt.chargeId, amount: receipt.amountKrw, balance: receipt.balanceKrw })
          )
        )
        .handle("refundPaymentAsHost", ({ params, headers }) =>
          Effect.map(answer(booking.refundAsHost(params.paymentId, headers["idempotency-key"])), refundResponseOf)
        )
        .handle("refundDate", ({ params }) =>
          Effect.map(answer(booking.refundDate(params.dateId)), (done) => new DateRefundsResponse(done))
        )
        .handle("configureQueue", ({ params, payload }) =>
          Effect.map(
            answer(booking.configureQueue(params.concertId, new QueueSettingsChange(payload))),
            (settings) => new QueueSettingsResponse({ ...settings })
          )
        )
        .handle("createConcert", ({ payload }) =>
          Effect.map(
            answer(
              booking.createConcert({
                title: payload.title,
                dates: payload.dates.map((date) => ({
                  startsAt: date.startsAt,
                  priceKrw: date.price,
                  ...(date.seatCount === undefined ? {} : { seatCount: date.seatCount }),
                  ...(date.classes === undefined
                    ? {}
                    : { classes: date.classes.map(({ price, ...seatClass }) => ({ ...seatClass, priceKrw: price })) })
                })),
                ...(payload.queue === undefined ? {} : { queue: payload.queue }),
                ...(payload.holdSeconds === undefined ? {} : { holdSeconds: payload.holdSeconds }),
                ...(payload.maxSeatsPerUser === undefined ? {} : { maxSeatsPerUser: payload.maxSeatsPerUser }),
                ...(payload.opensAt === undefined ? {} : { opensAt: payload.opensAt }),
                ...(payload.holdNeedsFunds === undefined ? {} : { holdNeedsFunds: payload.holdNeedsFunds }),
                ...(payload.refundUntilHours === undefined ? {} : { refundUntilHours: payload.refundUntilHours }),
                ...(payload.refundFeePercent === undefined ? {} : { refundFeePercent: payload.refundFeePercent })
              })
            ),
            (concert) =>
              new CreatedConcert({
                concertId: concert.concertId,
                dates: concert.dates.map((d) => ({ dateId: d.dateId, startsAt: d.startsAt, seatCount: d.seatCount }))
              })
          )
        )
    })
  )

const UserLive = (options: HttpOptions) =>
  HttpApiBuilder.group(BoxofficeApi, "user", (handlers) =>
    Effect.gen(function* () {
      const booking = yield* Booking
      return handlers
        .handle("joinQueue", ({ params, headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const ticket = yield* answer(booking.joinQueue(userId, params.concertId, headers["human-check"] ?? null))
            const fields = { queueToken: ticket.queueToken, ...statusFields(ticket.entry) }
            return ticket.created ? new QueueJoined(fields) : new QueueRejoined(fields)
          })
        )
        .handle("queueStatus", ({ headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            return statusOf(yield* answer(booking.queueStatus(userId, yield* queueToken(headers))))
          })
        )
        .handle("leaveQueue", ({ headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            yield* answer(booking.leaveQueue(userId, yield* queueToken(headers)))
          })
        )
        .handle("listDates", ({ params, headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const dates = yield* answer(booking.listDates(userId, yield* queueToken(headers), params.concertId))
            return dates.map(
              ({ date, availableSeats, minPriceKrw, maxPriceKrw }) =>
                new DateResponse({
                  dateId: date.dateId,
                  startsAt: date.startsAt,
                  seatCount: date.seatCount,
                  availableSeats,
                  minPrice: minPriceKrw,
                  maxPrice: maxPriceKrw
                })
            )
          })
        )
        .handle("listSeats", ({ params, headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const seats = yield* answer(booking.listSeats(userId, yield* queueToken(headers), params.dateId))
            return seats.map(
              (s) =>
                new SeatResponse({ seatNumber: s.seatNumber, price: s.priceKrw, status: s.status, class: s.className })
            )
          })
        )
        .handle("hold", ({ params, headers, payload }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const token = yield* queueToken(headers)
            return holdOf(yield* answer(booking.hold(userId, token, params.dateId, payload.seatNumbers)))
          })
        )
        .handle("pay", ({ params, headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const token = yield* queueToken(headers)
            const receipt = yield* answer(booking.pay(userId, token, params.holdId, headers["idempotency-key"] ?? null))
            return new PaymentResponse(paymentFields(receipt))
          })
        )
        .handle("getHold", ({ params }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            return holdOf(yield* answer(booking.getHold(userId, params.holdId)))
          })
        )
        .handle("releaseHold", ({ params }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            yield* answer(booking.releaseHold(userId, params.holdId))
          })
        )
        .handle("wallet", () =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const funds = yield* answer(booking.funds(userId))
            return new WalletResponse({ balance: funds.balanceKrw, available: funds.availableKrw })
          })
        )
        .handle("charge", ({ headers, payload }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            if (options.walletCharges === "admin") {
              return yield* new ForbiddenProblem({
                code: "forbidden",
                detail: "wallets are charged by the host: POST /admin/users/{userId}/wallet/charges"
              })
            }
            const receipt = yield* answer(booking.charge(userId, payload.amount, headers["idempotency-key"] ?? null))
            return new ChargeResponse({
              chargeId: receipt.chargeId,
              amount: receipt.amountKrw,
              balance: receipt.balanceKrw
            })
          })
        )
        .handle("listPayments", () =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            const payments = yield* answer(booking.listPayments(userId))
            // A payment names a date the catalog holds: not finding it is a defect.
            const quotes = yield* answer(
              Effect.forEach(payments, (payment) =>
                Effect.catchTag(booking.refundQuote(payment), "NotFound", Effect.die)
              )
            )
            return payments.map(
              (p, index) =>
                new PaymentSummary({
                  paymentId: p.paymentId,
                  holdId: p.holdId,
                  dateId: p.dateId,
                  amount: p.amountKrw,
                  seatNumbers: p.seatNumbers,
                  status: p.refund === null ? "paid" : "refunded",
                  seats: seatsOf(p.seats),
                  paidAt: p.paidAt,
                  refund:
                    p.refund === null
                      ? null
                      : {
                          refundId: p.refund.refundId,
                          amount: p.refund.amountKrw,
                          fee: p.refund.feeKrw,
                          by: p.refund.by,
                          refundedAt: p.refund.refundedAt
                        },
                  cancel: ((quote) =>
                    quote === null ? null : { amount: quote.amountKrw, fee: quote.feeKrw, until: quote.until })(
                    quotes[index]!
                  )
                })
            )
          })
        )
        .handle("refundPayment", ({ params, headers }) =>
          Effect.gen(function* () {
            const { userId } = yield* CurrentUser
            return refundResponseOf(
              yield* answer(booking.refund(userId, params.paymentId, headers["idempotency-key"] ?? null))
            )
          })
        )
    })
  )

const UserAuthLive = Layer.effect(
  UserAuth,
  Identity.useSync((identity) =>
    UserAuth.of({
      bearer: (httpEffect, { credential }) =>
        Effect.flatMap(authenticateUser(identity, credential), (userId) =>
          Effect.provideService(httpEffect, CurrentUser, { userId })
        )
    })
  )
)

/** The client address of the request in hand, as the rate limits count it. */
const clientAddressIn = (gate: RateLimitGate["Service"]) =>
  HttpServerRequest.HttpServerRequest.useSync((request) =>
    gate.clientAddress(Option.getOrUndefined(request.remoteAddress), request.headers["x-forwarded-for"])
  )

/** A refusal of the rate limits, answered with its headers. */
const rateLimitedResponse = (refusal: RateLimitRefusal) => {
  const answer = rateLimitedAnswer(refusal)
  return HttpServerResponse.text(answer.body, {
    status: answer.status,
    contentType: "application/problem+json",
    headers: answer.headers
  })
}

/**
 * The admin key. When the host limits rates, every attempt counts against its address before the key is
 * compared (so a burst of guesses cannot run ahead of the count), a right key gives its attempt back, and an
 * address that spent its attempts waits out the window, whichever admin route or spelling it tries.
 */
const AdminAuthLive = (options: HttpOptions) =>
  Layer.effect(
    AdminAuth,
    Effect.map(Effect.serviceOption(RateLimitGate), (gate) => {
      const rightKey = (credential: Redacted.Redacted<string>) =>
        Option.isSome(options.adminKey) &&
        sameSecret(Redacted.value(credential), Redacted.value(options.adminKey.value))
      const wrongKey = Effect.fail(
        new UnauthenticatedProblem({ code: "unauthenticated", detail: "the admin key is missing or wrong" })
      )
      return AdminAuth.of({
        bearer: (httpEffect, { credential }) => {
          if (Option.isNone(gate)) return rightKey(credential) ? httpEffect : wrongKey
          const limits = gate.value
          return Effect.gen(function* () {
            const address = yield* clientAddressIn(limits)
            const refusal = yield* limits.adminAttempt(address)
            if (refusal !== undefined) return rateLimitedResponse(refusal)
            if (!rightKey(credential)) return yield* wrongKey
            yield* limits.adminSucceeded(address)
            return yield* httpEffect
          })
        }
      })
    })
  )

/** The rate limits of the endpoints that carry `RateLimited`, by the endpoint the router matched. */
const RateLimitedLive = Layer.effect(
  RateLimited,
  Effect.map(Effect.serviceOption(RateLimitGate), (gate) =>
    RateLimited.of((httpEffect, { endpoint }) => {
      if (Option.isNone(gate) || !gate.value.counts(endpoint.identifier)) return httpEffect
      return Effect.flatMap(
        HttpServerRequest.HttpServerRequest.useSync((request) => request),
        (request) =>
          Effect.flatMap(clientAddressIn(gate.value), (address) =>
            Effect.flatMap(
              gate.value.check(endpoint.identifier, address, request.headers["authorization"]),
              (refusal) => (refusal === undefined ? httpEffect : Effect.succeed(rateLimitedResponse(refusal)))
            )
          )
      )
    })
  )
)

/** Every request that fails its schema gets a 400 `invalid-request` problem saying where. */
const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(RequestValidation, (error) =>
  Effect.fail(invalidRequest(error.kind, error.cause.message))
)

/** Each route of the API as a path pattern and its method. */
const routes = Object.values(BoxofficeApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((endpoint) => ({
    method: endpoint.method,
    template: endpoint.path,
    pattern: new RegExp(`^${endpoint.path.replace(/:[A-Za-z]+/g, "[^/]+")}$`)
  }))
)

const routesByMethod = new Map<string, Array<(typeof routes)[number]>>()
for (const route of routes) routesByMethod.set(route.method, [...(routesByMethod.get(route.method) ?? []), route])

/**
 * The template of the route a request takes (`/holds/:holdId/payment`), for
 * metric labels; `RequestMetrics` remembers the answers for recent paths.
 */
const routeOf = (method: string, path: string): string | null =>
  routesByMethod.get(method)?.find((route) => route.pattern.test(path))?.template ??
  (path === "/openapi.json" || path === "/docs" ? path : null)

/**
 * Any other request is a problem: `method-not-allowed` (with `Allow`) when
 * the path exists under other methods, `not-found` otherwise.
 */
const FallbackRoute = HttpRouter.add("*", "*", (request) => {
  const path = request.url.split("?")[0]!
  const allowed = [...new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))]
  // The path's shape fits a route of this very method, yet the router did not take it: a part of it is too long.
  if (allowed.includes(request.method)) {
    return Effect.succeed(transportProblemResponse("invalid-request", `a part of ${path} is too long`))
  }
  return Effect.succeed(
    allowed.length > 0
      ? transportProblemResponse("method-not-allowed", `${path} allows ${allowed.join(", ")}`, {
          allow: allowed.join(", ")
        })
      : transportProblemResponse("not-found", `no route ${request.method} ${path}`)
  )
})

/**
 * All routes of the API plus `/openapi.json` and `/docs`, over `Booking`,
 * `Identity` and `QueueTokenSigner`. Serve it with `HttpRouter.serve`.
 *
 * @example
 * ```ts
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { BoxofficeHttp } from "@boxoffice/http"
 * import { Layer, Option } from "effect"
 * import { HttpRouter } from "effect/http"
 * import { createServer } from "node:http"
 * const server = HttpRouter.serve(BoxofficeHttp.layer({ adminKey: Option.none() })).pipe(
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 3000 }))
 * )
 * ```
 * @category layers
 */
export const BoxofficeHttp = {
  /**
   * The router configuration to serve the API with (`HttpRouter.serve(layer, { routerConfig })`): path
   * parameters up to 1,024 characters, since `POST /admin/users/{userId}/wallet/charges` takes a host's `sub`
   * of up to 255 characters, percent-encoded.
   */
  routerConfig: { maxParamLength: 1_024 },
  layer: (options: HttpOptions) =>
    Layer.mergeAll(
      HttpApiBuilder.layer(BoxofficeApi, { openapiPath: "/openapi.json" }).pipe(
        Layer.provide([PublicLive(options), AdminLive(options), UserLive(options)]),
        Layer.provide([UserAuthLive, AdminAuthLive(options), RequestValidationLive, RateLimitedLive])
      ),
      HttpApiSwagger.layer(BoxofficeApi, { path: "/docs" }),
      FallbackRoute,
      options.requestMetrics === false ? Layer.empty : RequestMetrics.layer(routeOf),
      TransportGuards.layer({
        ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
        ...(options.onAnswer === undefined ? {} : { onAnswer: options.onAnswer })
      })
    ).pipe(
      Layer.provide(
        QueueEventsHub.layer(
          options.maxStreamsPerToken === undefined ? {} : { maxStreamsPerToken: options.maxStreamsPerToken }
        )
      )
    )
}
