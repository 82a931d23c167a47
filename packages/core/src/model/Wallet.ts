/**
 * The prepaid wallet: an append-only ledger whose sum is the balance.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ChargeId, PaymentId, UserId } from "./Ids.ts"
import { ChargeAmountKrw, Krw } from "./Money.ts"

/**
 * One ledger line. A charge adds `amountKrw`; a payment subtracts it.
 *
 * @category models
 */
export class LedgerEntry extends Schema.Class<LedgerEntry>("@boxoffice/core/LedgerEntry")({
  userId: UserId,
  kind: Schema.Literals(["charge", "payment"]),
  /** The charge or payment this line records. */
  referenceId: Schema.Union([ChargeId, PaymentId]),
  amountKrw: Krw,
  at: Schema.DateTimeUtc
}) {}

/** The answer to a charge. @category models */
export class ChargeReceipt extends Schema.Class<ChargeReceipt>("@boxoffice/core/ChargeReceipt")({
  chargeId: ChargeId,
  amountKrw: ChargeAmountKrw,
  balanceKrw: Krw
}) {}
