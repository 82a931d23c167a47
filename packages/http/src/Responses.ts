/**
 * Engine values as the API's response schemas, shared by the HttpApi
 * handlers and the fast routes.
 *
 * @since 0.3.0
 * @internal
 */
import type { Hold, PaymentReceipt, QueueEntry } from "@boxoffice/core"
import { HoldResponse, PaymentResponse, QueueStatusResponse } from "./Api.ts"

/** @internal */
export const statusOf = (entry: QueueEntry) =>
  new QueueStatusResponse({
    status: entry.status,
    position: entry.position,
    etaSeconds: entry.etaSeconds,
    activeUntil: entry.activeUntil
  })

/** @internal */
export const holdOf = (hold: Hold) =>
  new HoldResponse({
    holdId: hold.holdId,
    dateId: hold.dateId,
    status: hold.status,
    seatNumbers: hold.seatNumbers,
    amount: hold.amountKrw,
    expiresAt: hold.expiresAt
  })

/** @internal */
export const paymentOf = (receipt: PaymentReceipt) =>
  new PaymentResponse({
    paymentId: receipt.paymentId,
    holdId: receipt.holdId,
    amount: receipt.amountKrw,
    seatNumbers: receipt.seatNumbers,
    balance: receipt.balanceKrw,
    paidAt: receipt.paidAt
  })
