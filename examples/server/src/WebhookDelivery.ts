/**
 * Webhook delivery (docs/webhooks.md): a loop that claims the store's due
 * events (`Events.claimDeliveries`: the oldest undelivered one of each
 * concert, leased to this instance) and POSTs each as JSON, signed the
 * Standard Webhooks way. A 2xx settles it delivered; anything else (a
 * status, a refused connection, no answer within 10 s) a retry with backoff,
 * parked after 24 h. It runs apart from requests: a dead receiver costs the
 * outbox storage, never a booking its latency.
 *
 * Order per concert comes from the claim: a concert's next event is not
 * claimable while its head is leased or waits for a retry. Instances share
 * the work through the leases; an instance that dies lets its leases run
 * out and another delivers (at least once).
 */
import { type DeliveryOutcome, type EventDelivery, Events } from "@boxoffice/core"
import { eventMessageJson, eventMessageOf } from "@boxoffice/http"
import { Clock, DateTime, Effect, FiberSet, Layer, Queue, Random, Redacted, Result, Schedule } from "effect"
import { Webhook } from "standardwebhooks"
import { claimPaceMs } from "./ClaimPace.ts"
import { type WebhookConfig, webhookOrigin } from "./WebhookConfig.ts"
import { failedAttemptOutcome, type RetryPolicy, retryPolicy } from "./WebhookRetry.ts"

/** The delivery loop's timings and bounds. */
export interface WebhookTuning extends RetryPolicy {
  /** A receiver that has not answered (status and headers) by then is cut off; the attempt failed. */
  readonly timeoutMs: number
  /**
   * How long a claim keeps other instances off an event. Longer than `timeoutMs` plus the settling write, so a
   * live attempt is never claimed twice; an instance that dies delays its claims' events by this much.
   */
  readonly leaseMs: number
  /** The wait before asking again when nothing was due: the latency of an event that arrives while idle. */
  readonly idlePollMs: number
  /** Attempts in flight at once on this instance (one per concert at most): bounds sockets and memory. */
  readonly inFlightMax: number
  /** The wait before asking again while the store does not answer. */
  readonly storeRetryMs: number
  /** At most one warning line about failed attempts per this interval, however many fail. */
  readonly warnEveryMs: number
  /**
   * After a claim that was not full, the next waits at least this many times as long as the shorter of the last
   * two claims took (`claimPaceMs`): a claim reads every undelivered event, so with a large backlog behind a dead
   * receiver (100,000 events: about 190 ms a claim) polling is slowed to keep the store's time on claims near a
   * fifth, not all of it.
   */
  readonly claimPaceFactor: number
}

/** The server's timings (docs/webhooks.md). */
export const webhookTuning: WebhookTuning = {
  ...retryPolicy,
  timeoutMs: 10_000,
  leaseMs: 30_000,
  idlePollMs: 200,
  inFlightMax: 32,
  storeRetryMs: 1_000,
  warnEveryMs: 10_000,
  claimPaceFactor: 4
}

/** How one attempt ended: the receiver's status, or why there was none. */
type AttemptResult = Result.Result<number, string>

/** Why a request got no status, in words that name no URL or secret. */
const reasonOf = (cause: unknown): string => {
  const code = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === "string" ? code : "no answer"
}

/**
 * Delivers the store's events to `config.url` until the layer's scope closes. In-flight attempts are cut
 * then, and their claims handed back (a retry due at once), so another instance takes them without waiting
 * out the lease.
 *
 * @example
 * ```ts
 * const app = Layer.merge(engine, webhookDeliveryLayer(webhook).pipe(Layer.provide(engine)))
 * ```
 */
export const webhookDeliveryLayer = (config: WebhookConfig): Layer.Layer<never, never, Events> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const tuning: WebhookTuning = { ...webhookTuning, ...config.tuning }
      if (tuning.leaseMs <= tuning.timeoutMs + 5_000) {
        return yield* Effect.die(new Error("webhook leaseMs must exceed timeoutMs by 5 s: a live attempt must keep it"))
      }
      const events = yield* Events
      const url = Redacted.value(config.url)
      // The raw key: WebhookConfig has decoded the secret's form already (webhookKeyOf).
      const signer = new Webhook(Redacted.value(config.key), { format: "raw" })
      const inFlight = yield* FiberSet.make<void, never>()
      /** Told when an attempt ends: its concert's next event may be due now. */
      const wake = yield* Queue.sliding<void>(1)
      let busy = 0
      let storeAway = false
      const failures = new Map<string, number>()
      let lastWarningMs = Number.NEGATIVE_INFINITY

      const post = (delivery: EventDelivery, nowMs: number): Effect.Effect<AttemptResult> => {
        const body = eventMessageJson(eventMessageOf(delivery.event))
        const eventId = delivery.event.eventId
        const headers = {
          "content-type": "application/json",
          "user-agent": "boxoffice-webhooks",
          "webhook-id": eventId,
          "webhook-timestamp": String(Math.floor(nowMs / 1000)),
          "webhook-signature": signer.sign(eventId, new Date(nowMs), body)
        }
        return Effect.tryPromise({
          try: async (signal) => {
            // Redirects are not followed: a 3xx is not a delivery, and the signature is for this receiver.
            const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal })
            // Only the status counts; the body is not read, so a large one cannot hold the attempt.
            await response.body?.cancel()
            return response.status
          },
          catch: reasonOf
        }).pipe(
          Effect.timeoutOrElse({
            duration: tuning.timeoutMs,
            orElse: () => Effect.fail(`no answer within ${tuning.timeoutMs / 1000} s`)
          }),
          Effect.result
        )
      }

      /** A failure counted, and a warning when the last one is `warnEveryMs` old: the log stays bounded. */
      const noteFailure = (reason: string, nowMs: number) => {
        failures.set(reason, (failures.get(reason) ?? 0) + 1)
        if (nowMs - lastWarningMs < tuning.warnEveryMs) return Effect.void
        lastWarningMs = nowMs
        const summary = [...failures].map(([why, count]) => `${why} ×${count}`).join(", ")
        failures.clear()
        return Effect.logWarning(`webhook deliveries failed (${summary}); each is retried with backoff for 24 h`)
      }

      /** Settling is retried briefly; if it still fails, the lease runs out and the event is sent again. */
      const settle = (eventId: string, outcome: DeliveryOutcome) =>
        events.settleDelivery(eventId, outcome).pipe(
          Effect.retry({ times: 3, schedule: Schedule.exponential("200 millis") }),
          Effect.catch((error) =>
            Effect.logError(`webhook delivery of event ${eventId} could not be recorded; it will be sent again`, error)
          )
        )

      const attempt = (delivery: EventDelivery) =>
        Effect.gen(function* () {
          const { event } = delivery
          const result = yield* post(delivery, yield* Clock.currentTimeMillis)
          const nowMs = yield* Clock.currentTimeMillis
          if (Result.isSuccess(result) && result.success >= 200 && result.success < 300) {
            return yield* settle(event.eventId, { _tag: "Delivered" })
          }
          const reason = Result.isSuccess(result) ? `HTTP ${result.success}` : result.failure
          const outcome = failedAttemptOutcome(
            {
              eventAtMs: DateTime.toEpochMillis(event.at),
              attemptsBefore: delivery.attempts,
              nowMs,
              random: yield* Random.next
            },
            tuning
          )
          yield* noteFailure(reason, nowMs)
          if (outcome._tag === "Parked") {
            yield* Effect.logError(
              `webhook gave up on event ${event.eventId} (${event.type}, sequence ${event.sequence}) after ${delivery.attempts + 1} attempts over 24 h: ${reason}; it is parked`
            )
          }
          yield* settle(event.eventId, outcome)
        }).pipe(
          // A bug, not the receiver: said once per attempt; the lease runs out and the event is tried again.
          Effect.catchDefect((defect) =>
            Effect.logError(`webhook delivery of event ${delivery.event.eventId} failed unexpectedly`, defect)
          ),
          // Cut off by a shutdown: hand the claim back, due at once (counted as an attempt: it may have arrived).
          Effect.onInterrupt(() =>
            Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
              events
                .settleDelivery(delivery.event.eventId, { _tag: "Retry", retryAtMs: nowMs })
                .pipe(Effect.timeoutOption(2_000), Effect.ignore)
            )
          ),
          Effect.ensuring(
            Effect.sync(() => {
              busy--
              Queue.offerUnsafe(wake, undefined)
            })
          )
        )

      const claim = (limit: number) =>
        events.claimDeliveries(limit, tuning.leaseMs).pipe(
          Effect.tap(() => {
            if (!storeAway) return Effect.void
            storeAway = false
            return Effect.logInfo("webhook deliveries resume: the event store answers again")
          }),
          Effect.catch((error) =>
            Effect.gen(function* () {
              if (!storeAway)
                yield* Effect.logWarning("webhook deliveries wait: the event store does not answer", error)
              storeAway = true
              yield* Effect.sleep(tuning.storeRetryMs)
              return []
            })
          )
        )

      const loop = Effect.gen(function* () {
        let claimMs = 0
        let previousClaimMs = 0
        let claimedAtMs = 0
        for (;;) {
          const free = tuning.inFlightMax - busy
          let claimed: ReadonlyArray<EventDelivery> = []
          if (free > 0) {
            const startMs = yield* Clock.currentTimeMillis
            claimed = yield* claim(free)
            claimedAtMs = yield* Clock.currentTimeMillis
            previousClaimMs = claimMs
            claimMs = claimedAtMs - startMs
          }
          for (const delivery of claimed) {
            busy++
            yield* FiberSet.run(inFlight, attempt(delivery))
          }
          // A full claim may have left more due: ask again at once. Otherwise wait for an attempt to end (its
          // concert's next event is due then) or for the idle interval, and let a slow claim pace the next.
          if (claimed.length < free || free === 0) {
            yield* Queue.take(wake).pipe(Effect.timeoutOption(tuning.idlePollMs))
            const paceLeftMs =
              claimedAtMs +
              claimPaceMs(claimMs, previousClaimMs, tuning.claimPaceFactor) -
              (yield* Clock.currentTimeMillis)
            if (paceLeftMs > 0) yield* Effect.sleep(paceLeftMs)
          }
        }
      })

      yield* Effect.logInfo(`webhook deliveries to ${webhookOrigin(config)}`)
      yield* Effect.forkScoped(loop)
    })
  )
