/**
 * In-memory `Payments`: the payment step, atomic because it is one
 * synchronous block over the shared state. It records the queue token with
 * the payment and refuses a second payment with that token. A refund is one
 * such block too: it credits the wallet, records the refund beside the
 * payment and takes the seats off the sold map.
 *
 * @since 0.1.0
 */
import {
  AlreadyRefunded,
  checkPayable,
  credit,
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
  QueueTokenExpired,
  Refund,
  RefundClosed,
  RefundReceipt
} from "@boxoffice/core"
import { DateTime, Effect, Layer, Option, Result } from "effect"
import { holdEventData, recordEvent } from "./internal/EventLog.ts"
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
          state.paymentsById.set(payment.paymentId, payment)
          const unrefunded = state.unrefundedByDate.get(payment.dateId) ?? new Set()
          unrefunded.add(payment.paymentId)
          state.unrefundedByDate.set(payment.dateId, unrefunded)
          recordEvent(state, "payment.completed", nowMs, {
            ...holdEventData(state, hold),
            paymentId: payment.paymentId
          })
          recordOutcome(state, request.idempotency, { _tag: "Paid", receipt }, nowMs)
          return Result.succeed(receipt)
        }),
      refund: (request) =>
        atomically((nowMs) => {
          tidy(state, nowMs)
          const found = state.paymentsById.get(request.paymentId)
          // The claim is the payment owner's: the engine scopes keys per user.
          const claimed = claimKey(state, request.idempotency)
          if (Result.isFailure(claimed)) return Result.fail(claimed.failure)
          if (Option.isSome(claimed.success)) return Result.succeed(receiptOf(claimed.success.value, "Refunded"))
          if (found === undefined) return Result.fail(new NotFound({ entity: "payment", id: request.paymentId }))
          if (request.userId !== null && found.userId !== request.userId) {
            return Result.fail(new Forbidden({ detail: "the payment is another user's" }))
          }
          if (found.refund !== null) return Result.fail(new AlreadyRefunded({ paymentId: found.paymentId }))
          if (nowMs >= request.deadlineMs) return Result.fail(new RefundClosed({ paymentId: found.paymentId }))
          const amountKrw = found.amountKrw - request.feeKrw
          const balanceBefore = state.balances.get(found.userId) ?? 0
          const balance = state.faults.refundWithoutMoney
            ? Result.succeed(balanceBefore)
            : credit(balanceBefore, amountKrw)
          if (Result.isFailure(balance)) return Result.fail(balance.failure)
          const refundedAt = DateTime.makeUnsafe(nowMs)
          const refund = new Refund({
            refundId: request.refundId,
            amountKrw,
            feeKrw: request.feeKrw,
            by: request.by,
            refundedAt
          })
          const refunded = new Payment({ ...found, refund })
          const receipt = new RefundReceipt({
            refundId: request.refundId,
            paymentId: found.paymentId,
            amountKrw,
            feeKrw: request.feeKrw,
            balanceKrw: balance.success,
            refundedAt
          })
          const creditEntry = new LedgerEntry({
            userId: found.userId,
            kind: "refund",
            referenceId: request.refundId,
            amountKrw,
            at: refundedAt
          })
          // Every value is built before the first write: nothing below can throw halfway.
          const seats = seatsOf(state, found.dateId)
          for (const n of found.seatNumbers) {
            if (seats.sold.get(n)?.paymentId === found.paymentId) seats.sold.delete(n)
          }
          const key = userDateKey(found.userId, found.dateId)
          state.seatsSoldByUserDate.set(key, (state.seatsSoldByUserDate.get(key) ?? 0) - found.seatNumbers.length)
          if (!state.faults.refundWithoutMoney) {
            state.balances.set(found.userId, balance.success)
            const ledger = state.ledgers.get(found.userId) ?? []
            ledger.push(creditEntry)
            state.ledgers.set(found.userId, ledger)
          }
          if (!state.faults.refundCreditsTwice) {
            state.paymentsById.set(found.paymentId, refunded)
            const own = state.paymentsByUser.get(found.userId) ?? []
            state.paymentsByUser.set(
              found.userId,
              own.map((payment) => (payment.paymentId === found.paymentId ? refunded : payment))
            )
            state.unrefundedByDate.get(found.dateId)?.delete(found.paymentId)
          }
          const concertId = state.dates.get(found.dateId)?.concertId ?? null
          // Seats are back: a later sell-out is a new one.
          if (concertId !== null) state.soldOutRecorded.delete(concertId)
          recordEvent(state, "payment.refunded", nowMs, {
            concertId,
            dateId: found.dateId,
            userId: found.userId,
            holdId: found.holdId,
            paymentId: found.paymentId,
            refundId: request.refundId,
            seatNumbers: found.seatNumbers,
            amountKrw,
            feeKrw: request.feeKrw
          })
          recordOutcome(state, request.idempotency, { _tag: "Refunded", receipt }, nowMs)
          return Result.succeed(receipt)
        }),
      findPayment: (paymentId) => Effect.sync(() => Option.fromNullishOr(state.paymentsById.get(paymentId))),
      unrefundedPayments: (dateId, limit) =>
        Effect.sync(() => {
          const ids = state.unrefundedByDate.get(dateId) ?? new Set()
          const payments = []
          for (const paymentId of ids) {
            if (payments.length >= limit) break
            payments.push(state.paymentsById.get(paymentId)!)
          }
          return { payments, total: ids.size }
        }),
      listPayments: (userId) => Effect.sync(() => [...(state.paymentsByUser.get(userId) ?? [])])
    })
  )
)
