/**
 * The prepaid wallet: an append-only ledger whose sum is the balance.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ChargeId, PaymentId, RefundId, UserId } from "./Ids.ts"
import { ChargeAmountKrw, Krw } from "./Money.ts"

/**
 * One ledger line. A charge and a refund add `amountKrw`; a payment subtracts it.
 *
 * @category models
 */
export class LedgerEntry extends Schema.Class<LedgerEntry>("@boxoffice/core/LedgerEntry")({
  userId: UserId,
  kind: Schema.Literals(["charge", "payment", "refund"]),
  /** The charge, payment or refund this line records. */
  referenceId: Schema.Union([ChargeId, PaymentId, RefundId]),
  amountKrw: Krw,
  at: Schema.DateTimeUtc
}) {}

/** The answer to a charge. @category models */
export class ChargeReceipt extends Schema.Class<ChargeReceipt>("@boxoffice/core/ChargeReceipt")({
  chargeId: ChargeId,
  amountKrw: ChargeAmountKrw,
  balanceKrw: Krw
}) {}

/**
 * A wallet now: its balance, and what the user's live reserving holds leave
 * of it to spend or reserve, read in one step. L2 keeps both in 0..cap; they
 * are plain integers so that a store which broke L2 reports what it holds
 * and the law suites name the law, rather than failing to build the answer.
 *
 * @category models
 */
export class WalletFunds extends Schema.Class<WalletFunds>("@boxoffice/core/WalletFunds")({
  balanceKrw: Schema.Int,
  availableKrw: Schema.Int
}) {}
