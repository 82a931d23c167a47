/**
 * Port: the events a store wrote with its changes (an outbox), read in
 * order, and their delivery to a host's webhook.
 *
 * @since 0.6.0
 */
import { Context, type Effect } from "effect"
import type { Unavailable } from "../Errors.ts"
import type { BookingEvent } from "../model/BookingEvent.ts"
import type { ConcertId } from "../model/Ids.ts"

/** An event claimed for delivery, with how often it was tried before. @category models */
export interface EventDelivery {
  readonly event: BookingEvent
  readonly attempts: number
}

/** How one delivery attempt ended. @category models */
export type DeliveryOutcome =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Retry"; readonly retryAtMs: number }
  | { readonly _tag: "Parked" }

/** What is waiting to be delivered, and what was given up on. @category models */
export interface DeliveryBacklog {
  readonly pending: number
  readonly parked: number
  /** The sequence of the oldest event not delivered yet, or null. */
  readonly oldestPendingSequence: number | null
}

/**
 * The store's events. Each write of the sale (charge, hold, release, payment,
 * refund) records its event in the same atomic step as its change; expiries
 * are recorded when the store notices them, at most once each.
 *
 * @example
 * ```ts
 * import { Events } from "@boxoffice/core"
 * const firstHundred = Events.use((events) => events.read(0, 100))
 * ```
 * @category ports
 */
export class Events extends Context.Service<
  Events,
  {
    /**
     * Up to `limit` events after `afterSequence`, in sequence order. Once an
     * event has been read at a sequence, every later read sees the same
     * events at the same sequences: a reader that resumes from the last
     * sequence it handled misses nothing and sees nothing twice.
     */
    readonly read: (afterSequence: number, limit: number) => Effect.Effect<ReadonlyArray<BookingEvent>, Unavailable>
    /**
     * Records `concert.sold-out`, unless the concert's last sold-out event
     * came after its last refund: the engine calls it when it marks the
     * line, which may happen on several instances.
     */
    readonly recordSoldOut: (concertId: ConcertId) => Effect.Effect<void, Unavailable>
    /**
     * Claims up to `limit` events due for delivery, for `leaseMs`: each the
     * oldest undelivered event of its concert (events without a concert in
     * their user's order), none claimed by another caller whose lease runs.
     * Several instances claim at once without taking the same event.
     */
    readonly claimDeliveries: (
      limit: number,
      leaseMs: number
    ) => Effect.Effect<ReadonlyArray<EventDelivery>, Unavailable>
    /** Records how a claimed delivery ended, and lets go of the claim. */
    readonly settleDelivery: (eventId: string, outcome: DeliveryOutcome) => Effect.Effect<void, Unavailable>
    readonly deliveryBacklog: Effect.Effect<DeliveryBacklog, Unavailable>
    /**
     * Deletes up to `limit` of the oldest events recorded over `retentionMs`
     * ago (only delivered ones when `deliveredOnly`, as where webhooks
     * deliver them); answers how many.
     */
    readonly purge: (retentionMs: number, limit: number, deliveredOnly: boolean) => Effect.Effect<number, Unavailable>
  }
>()("@boxoffice/core/Events") {}
