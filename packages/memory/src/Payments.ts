/**
 * In-memory `Payments`: the payment step, atomic because it is one
 * synchronous block over the shared state. It records the queue token with
 * the payment and refuses a second payment with that token.
 *
 * @since 0.1.0
 */
import {
  checkPayable,
  checkSaleOpen,
  debitAvailable,
  Forbidden,
  HoldExpired,
  holdStatus,
  LedgerEntry,
  NotFound,
  Payment,
  PaymentReceipt,
  Payments,
  QueueTokenExpired
} from "@boxoffice/core"
import { DateTime, Effect, Layer, Option, Result } from "effect"
import { liveReservationsKrw, seatsOf, tidy, userDateKey } from "./internal/MemoryState.ts"
import { atomically, claimKey, MemoryStore, recordOutcome, receiptOf } from "./internal/MemoryStore.ts"

/** @category layers */
export const layer: Layer.Layer<Payments, never, MemoryStore> = Layer.effect(
  Payments,
  MemoryStore.useSync((state) =>
    Payments.of({
      pay: (request) =>
        atomically((nowMs) => {
          tidy(state, nowMs)
          // The key first: a replay must answer although the first success changed the hold.
          const claimed = claimKey(state, request.idempotency)
          if (Result.isFailure(claimed)) return Result.fail(claimed.failure)
          if (Option.isSome(claimed.success)) return Result.succeed(receiptOf(claimed.success.value, "Paid"))
          // Then the token: it pays once, whatever the queue store has heard of its first payment.
          if (state.paymentByQueueToken.has(request.queueTokenId)) return Result.fail(new QueueTokenExpired())
          const hold = state.holds.get(request.holdId)
          if (hold === undefined) return Result.fail(new NotFound({ entity: "hold", id: request.holdId }))
          if (hold.userId !== request.userId)
            return Result.fail(new Forbidden({ detail: "the hold is another user's" }))
          const date = state.dates.get(hold.dateId)!
          if (date.concertId !== request.concertId) {
            return Result.fail(new Forbidden({ detail: "the queue token is for another concert" }))
          }
          const open = checkSaleOpen(date, nowMs)
          if (Result.isFailure(open)) return Result.fail(open.failure)
          const expiresAtMs = state.faults.ignoreHoldExpiryAtPayment ? Number.POSITIVE_INFINITY : hold.expiresAtMs
          const payable = checkPayable(hold.holdId, holdStatus(hold.state, expiresAtMs, nowMs))
          if (Result.isFailure(payable)) return Result.fail(payable.failure)
          const balanceBefore = state.balances.get(request.userId) ?? 0
          // L2: the amount must fit in what the user's other live reservations leave; a reserving hold
          // pays out of its own reservation.
          const balance = state.faults.skipBalanceGuard
            ? Result.succeed(balanceBefore - hold.amountKrw)
            : debitAvailable(
                balanceBefore,
                liveReservationsKrw(state, request.userId, nowMs, hold.holdId),
                hold.amountKrw
              )
          if (Result.isFailure(balance)) return Result.fail(balance.failure)
          const seats = seatsOf(state, hold.dateId)
          // Sell only seats whose newest hold is this one: a live hold always is, so this is the
          // audit twin of the Postgres function's check on the locked seat rows.
          const ownsSeats =
            state.faults.ignoreHoldExpiryAtPayment ||
            hold.seatNumbers.every((n) => seats.lastHold.get(n) === hold.holdId)
          if (!ownsSeats) {
            return Result.fail(new HoldExpired({ holdId: hold.holdId }))
          }
          const doubleSold = hold.seatNumbers.filter((n) => seats.sold.has(n))
          if (doubleSold.length > 0) {
            // The memory twin of the unique (date, seat) constraint: reaching it is a bug.
            throw new Error(`seats ${doubleSold.join(", ")} of date ${hold.dateId} are sold already`)
          }
          const paidAt = DateTime.makeUnsafe(nowMs)
          const payment = new Payment({
            paymentId: request.paymentId,
            userId: request.userId,
            holdId: hold.holdId,
            dateId: hold.dateId,
            amountKrw: hold.amountKrw,
            seatNumbers: hold.seatNumbers,
            seats: hold.seats,
            paidAt
          })
          const receipt = new PaymentReceipt({
            paymentId: payment.paymentId,
            holdId: payment.holdId,
            dateId: payment.dateId,
            amountKrw: payment.amountKrw,
            seatNumbers: payment.seatNumbers,
            seats: payment.seats,
            // Only the skipBalanceGuard fault gets here with a negative balance; like a store
            // without the guard, it answers normally and keeps the wrong balance.
            balanceKrw: Math.max(0, balance.success),
            paidAt
          })
          const debitEntry = new LedgerEntry({
            userId: request.userId,
            kind: "payment",
            referenceId: payment.paymentId,
            amountKrw: payment.amountKrw,
            at: paidAt
          })
          // Every value is built before the first write: nothing below can throw halfway.
          hold.state = "paid"
          for (const n of hold.seatNumbers) seats.sold.set(n, payment)
          const key = userDateKey(hold.userId, hold.dateId)
          state.seatsSoldByUserDate.set(key, (state.seatsSoldByUserDate.get(key) ?? 0) + hold.seatNumbers.length)
          state.balances.set(request.userId, balance.success)
          const ledger = state.ledgers.get(request.userId) ?? []
          ledger.push(debitEntry)
          state.ledgers.set(request.userId, ledger)
          const payments = state.paymentsByUser.get(request.userId) ?? []
          payments.push(payment)
          state.paymentsByUser.set(request.userId, payments)
          state.paymentByQueueToken.set(request.queueTokenId, payment.paymentId)
          recordOutcome(state, request.idempotency, { _tag: "Paid", receipt }, nowMs)
          return Result.succeed(receipt)
        }),
      listPayments: (userId) => Effect.sync(() => [...(state.paymentsByUser.get(userId) ?? [])])
    })
  )
)
