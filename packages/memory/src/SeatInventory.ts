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
  reserve,
  DateSeatCounts,
  Seat,
  SeatInventory,
  SeatUnavailable,
  type ConcertDate,
  type HoldId,
  Limits
} from "@boxoffice/core"
import { DateTime, Layer, Option, Result } from "effect"
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
    result.push(new Seat({ seatNumber, priceKrw: date.priceKrw, status }))
  }
  return result
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
      seatCounts: (dates) =>
        atomically((nowMs) =>
          Result.succeed(
            dates.map((date) => {
              const statuses = seatStatuses(state, date, nowMs)
              const sold = statuses.filter((seat) => seat.status === "sold").length
              const held = statuses.filter((seat) => seat.status === "held").length
              return new DateSeatCounts({
                dateId: date.dateId,
                available: statuses.length - sold - held,
                held,
                sold,
                revenueKrw: sold * date.priceKrw
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
          if (request.reservesFunds && !state.faults.skipFundsCheck) {
            // L2: the reservation must fit in what the balance less the user's live reservations leaves.
            const available = availableKrw(
              state.balances.get(request.userId) ?? 0,
              liveReservationsKrw(state, request.userId, nowMs)
            )
            const reserved = reserve(available, request.amountKrw)
            if (Result.isFailure(reserved)) return Result.fail(reserved.failure)
          }
          const record: HoldRecord = {
            holdId: request.holdId,
            userId: request.userId,
            dateId: request.date.dateId,
            seatNumbers: request.seatNumbers,
            amountKrw: request.amountKrw,
            state: "held",
            createdAtMs: nowMs,
            expiresAtMs: nowMs + request.holdSeconds * 1000,
            reservesFunds: request.reservesFunds
          }
          state.holds.set(record.holdId, record)
          state.holdsToForget.push(record.expiresAtMs + Limits.endedHoldRetentionSeconds * 1000, record.holdId)
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
          if (releasable.success) record.state = "released"
          return Result.succeed(undefined)
        })
    })
  )
)
