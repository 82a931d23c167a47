/**
 * Engine values as the API's response schemas, shared by the HttpApi
 * handlers and `QueueShortcut`.
 *
 * @since 0.2.0
 * @internal
 */
import type { Hold, PaymentReceipt, PricedSeat, QueueEntry } from "@boxoffice/core"
import { HoldResponse, QueueStatusResponse } from "./Api.ts"

/** The fields of a `QueueStatusResponse`, as a plain object. @internal */
export const statusFields = (entry: QueueEntry) => ({
  status: entry.status,
  position: entry.position,
  etaSeconds: entry.etaSeconds,
  activeUntil: entry.activeUntil,
  opensAt: entry.opensAt
})

/** @internal */
export const statusOf = (entry: QueueEntry) => new QueueStatusResponse(statusFields(entry))

/** A hold's or payment's seats as the API names their fields. @internal */
export const seatsOf = (seats: ReadonlyArray<PricedSeat>) =>
  seats.map((seat) => ({ seatNumber: seat.seatNumber, price: seat.priceKrw, class: seat.className }))

/** The fields of a `HoldResponse`, as a plain object. @internal */
export const holdFields = (hold: Hold) => ({
  holdId: hold.holdId,
  dateId: hold.dateId,
  status: hold.status,
  seatNumbers: hold.seatNumbers,
  amount: hold.amountKrw,
  seats: seatsOf(hold.seats),
  expiresAt: hold.expiresAt
})

/** @internal */
export const holdOf = (hold: Hold) => new HoldResponse(holdFields(hold))

/** The fields of a `PaymentResponse`, as a plain object. @internal */
export const paymentFields = (receipt: PaymentReceipt) => ({
  paymentId: receipt.paymentId,
  holdId: receipt.holdId,
  amount: receipt.amountKrw,
  seatNumbers: receipt.seatNumbers,
  seats: seatsOf(receipt.seats),
  balance: receipt.balanceKrw,
  paidAt: receipt.paidAt
})
