/**
 * In-memory `SeatInventory`: seats and holds.
 *
 * @since 0.1.0
 */
import {
  availableKrw,
  checkReleasable,
  checkSeatLimit,
  Forbidden,
  Hold,
  holdIsLive,
  holdStatus,
  isStillActive,
  NotFound,
  QueueTokenExpired,
  priceSeats,
  reserve,
  ClassSeatCounts,
  DateSeatCounts,
  Seat,
  SeatAvailability,
  SeatInventory,
  seatClassOf,
  seatsAmountKrw,
  SeatUnavailable,
  type ConcertDate,
  type HoldId,
  Limits
} from "@boxoffice/core"
import { DateTime, Layer, Option, Result } from "effect"
import { holdEventData, recordEvent } from "./internal/EventLog.ts"
import {
  type HoldRecord,
  liveReservationsKrw,
  type MemoryState,
  seatsOf,
  tidy,
  userDateKey
} from "./internal/MemoryState.ts"
import { atomically, MemoryStore } from "./internal/MemoryStore.ts"

export const toHold = (record: HoldRecord, nowMs: number): Hold =>
  new Hold({
    holdId: record.holdId,
    userId: record.userId,
    dateId: record.dateId,
    seatNumbers: record.seatNumbers,
    amountKrw: record.amountKrw,
    seats: record.seats,
    status: holdStatus(record.state, record.expiresAtMs, nowMs),
    createdAt: DateTime.makeUnsafe(record.createdAtMs),
    expiresAt: DateTime.makeUnsafe(record.expiresAtMs)
  })

const isLiveHold = (state: MemoryState, holdId: HoldId | undefined, nowMs: number): boolean => {
  const record = holdId === undefined ? undefined : state.holds.get(holdId)
  return record !== undefined && holdIsLive(record.state, record.expiresAtMs, nowMs)
}

const seatStatuses = (state: MemoryState, date: ConcertDate, nowMs: number): Array<Seat> => {
  const seats = seatsOf(state, date.dateId)
  const result: Array<Seat> = []
  for (let seatNumber = 1; seatNumber <= date.seatCount; seatNumber++) {
    const status = seats.sold.has(seatNumber)
      ? "sold"
      : isLiveHold(state, seats.lastHold.get(seatNumber), nowMs)
        ? "held"
        : "available"
    const seatClass = seatClassOf(date, seatNumber)
    result.push(
      new Seat({
        seatNumber,
        priceKrw: seatClass?.priceKrw ?? date.priceKrw,
        status,
        className: seatClass?.name ?? null
      })
    )
  }
  return result
}

/** The available, held and sold seats among `seats`, and the sum of the sold ones' prices. */
const countsOf = (seats: ReadonlyArray<Seat>) => {
  let held = 0
  let sold = 0
  let revenueKrw = 0
  for (const seat of seats) {
    if (seat.status === "held") held++
    else if (seat.status === "sold") {
      sold++
      revenueKrw += seat.priceKrw
    }
  }
  return { available: seats.length - held - sold, held, sold, revenueKrw }
}

/** The available seats of a date and their price range. */
const availabilityOf = (seats: ReadonlyArray<Seat>): SeatAvailability => {
  const prices = seats.filter((seat) => seat.status === "available").map((seat) => seat.priceKrw)
  return new SeatAvailability({
    available: prices.length,
    minPriceKrw: prices.length === 0 ? null : Math.min(...prices),
    maxPriceKrw: prices.length === 0 ? null : Math.max(...prices)
  })
}

/** @category layers */
export const layer: Layer.Layer<SeatInventory, never, MemoryStore> = Layer.effect(
  SeatInventory,
  MemoryStore.useSync((state) =>
    SeatInventory.of({
      seats: (date) => atomically((nowMs) => Result.succeed(seatStatuses(state, date, nowMs))),
      availableSeatCounts: (dates) =>
        atomically((nowMs) =>
          Result.succeed(
            dates.map((date) => seatStatuses(state, date, nowMs).filter((seat) => seat.status === "available").length)
          )
        ),
      availability: (dates) =>
        atomically((nowMs) => Result.succeed(dates.map((date) => availabilityOf(seatStatuses(state, date, nowMs))))),
      seatCounts: (dates) =>
        atomically((nowMs) =>
          Result.succeed(
            dates.map((date) => {
              const statuses = seatStatuses(state, date, nowMs)
              const counts = countsOf(statuses)
              return new DateSeatCounts({
                dateId: date.dateId,
                ...(state.faults.countHeldAsSold ? { ...counts, held: 0, sold: counts.sold + counts.held } : counts),
                classes: date.classes.map(
                  (seatClass) =>
                    new ClassSeatCounts({
                      name: seatClass.name,
                      priceKrw: seatClass.priceKrw,
                      ...countsOf(statuses.filter((seat) => seat.className === seatClass.name))
                    })
                )
              })
            })
          )
        ),
      hold: (request) =>
        atomically((nowMs) => {
          tidy(state, nowMs)
          if (!isStillActive(DateTime.toEpochMillis(request.activeUntil), nowMs))
            return Result.fail(new QueueTokenExpired())
          const seats = seatsOf(state, request.date.dateId)
          const taken = state.faults.skipSeatTakenCheck
            ? []
            : request.seatNumbers.filter((n) => seats.sold.has(n) || isLiveHold(state, seats.lastHold.get(n), nowMs))
          if (taken.length > 0) return Result.fail(new SeatUnavailable({ seatNumbers: taken }))
          const key = userDateKey(request.userId, request.date.dateId)
          const userHolds = state.holdsByUserDate.get(key) ?? []
          const seatsHeld = userHolds
            .map((holdId) => state.holds.get(holdId))
            .filter((hold) => hold !== undefined && holdIsLive(hold.state, hold.expiresAtMs, nowMs))
            .reduce((sum, hold) => sum + hold!.seatNumbers.length, 0)
          const limit = checkSeatLimit({
            seatsAlready: seatsHeld + (state.seatsSoldByUserDate.get(key) ?? 0),
            seatsRequested: request.seatNumbers.length,
            maxSeatsPerUser: request.maxSeatsPerUser
          })
          if (Result.isFailure(limit)) return Result.fail(limit.failure)
          // L3: each seat's own price, as the store's date sets it, fixed into the hold.
          const date = state.dates.get(request.date.dateId) ?? request.date
          const pricedSeats = priceSeats(
            state.faults.ignoreSeatClasses ? { priceKrw: date.priceKrw, classes: [] } : date,
            request.seatNumbers
          )
          const amountKrw = seatsAmountKrw(pricedSeats)
          if (request.reservesFunds && !state.faults.skipFundsCheck) {
            // L2: the reservation must fit in what the balance less the user's live reservations leaves.
            const available = availableKrw(
              state.balances.get(request.userId) ?? 0,
              liveReservationsKrw(state, request.userId, nowMs)
            )
            const reserved = reserve(available, amountKrw)
            if (Result.isFailure(reserved)) return Result.fail(reserved.failure)
          }
          const record: HoldRecord = {
            holdId: request.holdId,
            userId: request.userId,
            dateId: request.date.dateId,
            seatNumbers: request.seatNumbers,
            amountKrw,
            seats: pricedSeats,
            state: "held",
            createdAtMs: nowMs,
            expiresAtMs: nowMs + request.holdSeconds * 1000,
            reservesFunds: request.reservesFunds
          }
          state.holds.set(record.holdId, record)
          state.holdsToForget.push(record.expiresAtMs + Limits.endedHoldRetentionSeconds * 1000, record.holdId)
          state.holdsToExpire.push(record.expiresAtMs, record.holdId)
          recordEvent(state, "hold.created", nowMs, {
            ...holdEventData(state, record),
            expiresAt: DateTime.makeUnsafe(record.expiresAtMs)
          })
          for (const n of record.seatNumbers) seats.lastHold.set(n, record.holdId)
          if (record.reservesFunds) {
            const reserving = state.reservingHoldsByUser.get(record.userId) ?? []
            reserving.push(record.holdId)
            state.reservingHoldsByUser.set(record.userId, reserving)
          }
          // Only live holds count towards the limit, so drop the others while here.
          state.holdsByUserDate.set(key, [
            ...userHolds.filter((holdId) => isLiveHold(state, holdId, nowMs)),
            record.holdId
          ])
          return Result.succeed(toHold(record, nowMs))
        }),
      findHold: (holdId) =>
        atomically((nowMs) => {
          const record = state.holds.get(holdId)
          return Result.succeed(record === undefined ? Option.none() : Option.some(toHold(record, nowMs)))
        }),
      release: (holdId, userId) =>
        atomically((nowMs) => {
          const record = state.holds.get(holdId)
          if (record === undefined) return Result.fail(new NotFound({ entity: "hold", id: holdId }))
          if (record.userId !== userId) return Result.fail(new Forbidden({ detail: "the hold is another user's" }))
          const releasable = checkReleasable(holdId, holdStatus(record.state, record.expiresAtMs, nowMs))
          if (Result.isFailure(releasable)) return Result.fail(releasable.failure)
          if (releasable.success) {
            record.state = "released"
            recordEvent(state, "hold.released", nowMs, holdEventData(state, record))
          }
          return Result.succeed(undefined)
        })
    })
  )
)
