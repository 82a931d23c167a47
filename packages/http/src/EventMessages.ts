/**
 * The store's events as the API sends them: the page of `GET /admin/events`
 * and the body a webhook POSTs are the same `EventMessage`.
 *
 * @since 0.6.0
 */
import type { BookingEvent } from "@boxoffice/core"
import { Schema } from "effect"
import { EventMessage } from "./Api.ts"

/**
 * An event as the API spells it (amounts in KRW as `amount` and `fee`).
 *
 * @example
 * ```ts
 * import { Events } from "@boxoffice/core"
 * import { eventMessageOf } from "@boxoffice/http"
 * import { Effect } from "effect"
 * const firstTen = Events.use((events) => Effect.map(events.read(0, 10), (page) => page.map(eventMessageOf)))
 * ```
 * @category conversions
 */
export const eventMessageOf = (event: BookingEvent): EventMessage =>
  new EventMessage({
    type: event.type,
    timestamp: event.at,
    data: {
      eventId: event.eventId,
      sequence: event.sequence,
      concertId: event.data.concertId,
      dateId: event.data.dateId,
      userId: event.data.userId,
      holdId: event.data.holdId,
      paymentId: event.data.paymentId,
      refundId: event.data.refundId,
      chargeId: event.data.chargeId,
      seatNumbers: event.data.seatNumbers,
      amount: event.data.amountKrw,
      fee: event.data.feeKrw,
      expiresAt: event.data.expiresAt
    }
  })

/**
 * The JSON text of a message, as a webhook sends and signs it.
 *
 * @example
 * ```ts
 * import type { BookingEvent } from "@boxoffice/core"
 * import { eventMessageJson, eventMessageOf } from "@boxoffice/http"
 * declare const event: BookingEvent
 * const body = eventMessageJson(eventMessageOf(event)) // {"type":"payment.completed","timestamp":"…","data":{…}}
 * ```
 * @category conversions
 */
export const eventMessageJson: (message: EventMessage) => string = Schema.encodeSync(
  Schema.fromJsonString(EventMessage)
)
