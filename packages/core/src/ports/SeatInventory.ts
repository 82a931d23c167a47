/**
 * Port: the seats of each date and the holds on them.
 *
 * @since 0.1.0
 */
import { Context, type DateTime, type Effect, type Option } from "effect"
import type {
  AlreadyPaid,
  Forbidden,
  HoldLimitExceeded,
  InsufficientBalance,
  NotFound,
  OutcomeUnknown,
  QueueTokenExpired,
  SeatUnavailable,
  Unavailable
} from "../Errors.ts"
import type { ConcertDate } from "../model/Concert.ts"
import type { Hold } from "../model/Hold.ts"
import type { HoldId, UserId } from "../model/Ids.ts"
import type { DateSeatCounts } from "../model/SaleReport.ts"
import type { Seat, SeatAvailability } from "../model/Seat.ts"

/** A request to hold seats, already checked against the date's range by the engine. @category models */
export interface HoldRequest {
  readonly holdId: HoldId
  readonly userId: UserId
  readonly date: ConcertDate
  readonly seatNumbers: ReadonlyArray<number>
  /**
   * Ignored. The store prices a hold itself, from its seats' own prices in
   * the same atomic step, and fixes them into the hold (L3); the field is
   * kept so that callers written before seat classes still compile.
   *
   * @deprecated
   */
  readonly amountKrw?: number
  readonly holdSeconds: number
  readonly maxSeatsPerUser: number
  /**
   * The end of the caller's active window, as the queue reported it. Time can
   * pass between that check and the write (a lock wait, a slow network), so
   * the store refuses the hold when its own clock has reached this (L6).
   */
  readonly activeUntil: DateTime.Utc
  /**
   * The concert's `holdNeedsFunds`: the hold reserves `amountKrw` from the
   * user's wallet until it is paid, released or expires, and is refused with
   * `InsufficientBalance` when the user's available balance (the balance less
   * their live reservations) is short (L2).
   */
  readonly reservesFunds: boolean
}

/**
 * Seats and holds. The adapter must make `hold` atomic: it grants all the
 * seats or none (L1), judges liveness by the store's clock (L4) and counts
 * the user's seats on the date under the same guard as the seats themselves,
 * and refuses with `QueueTokenExpired` once its clock reaches `activeUntil`.
 * It prices the hold in the same step from each seat's own price (its class's,
 * or the date's outside every class: `priceSeats`) and fixes those prices
 * into the hold, whose amount is their sum (L3).
 * A hold that `reservesFunds` is judged against the user's available
 * balance in the same step, under a guard that every other change of that
 * balance (a payment, another reserving hold) also takes (L2).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SeatInventory } from "@boxoffice/core"
 * declare const request: import("@boxoffice/core").HoldRequest
 * const hold = SeatInventory.use((s) => s.hold(request))
 * ```
 * @category ports
 */
export class SeatInventory extends Context.Service<
  SeatInventory,
  {
    /** Every seat of the date, 1..seatCount, with its price, class and status now. */
    readonly seats: (date: ConcertDate) => Effect.Effect<ReadonlyArray<Seat>, Unavailable>
    /** The number of seats available now on each of `dates`, in their order, read in one step. */
    readonly availableSeatCounts: (
      dates: ReadonlyArray<ConcertDate>
    ) => Effect.Effect<ReadonlyArray<number>, Unavailable>
    /**
     * Each of `dates`' available seats now, with the lowest and highest price
     * among them (null when none is available), in their order, read in one step.
     */
    readonly availability: (
      dates: ReadonlyArray<ConcertDate>
    ) => Effect.Effect<ReadonlyArray<SeatAvailability>, Unavailable>
    /**
     * Each date's seats now (available, held, sold) and the revenue of its
     * sold seats (the sum of their prices), in one read, with the same counts
     * for each of the date's classes. The counts cover each date's own seats only.
     */
    readonly seatCounts: (
      dates: ReadonlyArray<ConcertDate>
    ) => Effect.Effect<ReadonlyArray<DateSeatCounts>, Unavailable>
    /**
     * All seats or none. Fails with `SeatUnavailable` naming the taken seats,
     * then `HoldLimitExceeded`, then (a hold that reserves funds)
     * `InsufficientBalance` naming what was available.
     */
    readonly hold: (
      request: HoldRequest
    ) => Effect.Effect<
      Hold,
      SeatUnavailable | HoldLimitExceeded | InsufficientBalance | QueueTokenExpired | Unavailable | OutcomeUnknown
    >
    /** The hold with its status judged now. */
    readonly findHold: (holdId: HoldId) => Effect.Effect<Option.Option<Hold>, Unavailable>
    /** Frees a live hold's seats at once. Releasing an expired or released hold is a no-op. */
    readonly release: (
      holdId: HoldId,
      userId: UserId
    ) => Effect.Effect<void, NotFound | Forbidden | AlreadyPaid | Unavailable | OutcomeUnknown>
  }
>()("@boxoffice/core/SeatInventory") {}
