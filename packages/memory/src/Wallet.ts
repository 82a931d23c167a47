/**
 * In-memory `Wallet`: a ledger per user and its running balance.
 *
 * @since 0.1.0
 */
import { availableKrw, ChargeReceipt, credit, LedgerEntry, Wallet, WalletFunds } from "@boxoffice/core"
import { DateTime, Effect, Layer, Option, Result } from "effect"
import { recordEvent } from "./internal/EventLog.ts"
import { liveReservationsKrw, tidy } from "./internal/MemoryState.ts"
import { atomically, claimKey, MemoryStore, recordOutcome, receiptOf } from "./internal/MemoryStore.ts"

/** @category layers */
export const layer: Layer.Layer<Wallet, never, MemoryStore> = Layer.effect(
  Wallet,
  MemoryStore.useSync((state) =>
    Wallet.of({
      charge: (request) =>
        atomically((nowMs) => {
          tidy(state, nowMs)
          const claimed = claimKey(state, request.idempotency)
          if (Result.isFailure(claimed)) return Result.fail(claimed.failure)
          if (Option.isSome(claimed.success)) return Result.succeed(receiptOf(claimed.success.value, "Charged"))
          const balance = credit(state.balances.get(request.userId) ?? 0, request.amountKrw)
          if (Result.isFailure(balance)) return Result.fail(balance.failure)
          const entry = new LedgerEntry({
            userId: request.userId,
            kind: "charge",
            referenceId: request.chargeId,
            amountKrw: request.amountKrw,
            at: DateTime.makeUnsafe(nowMs)
          })
          const receipt = new ChargeReceipt({
            chargeId: request.chargeId,
            amountKrw: request.amountKrw,
            balanceKrw: balance.success
          })
          // Every value is built before the first write: nothing below can throw halfway.
          state.balances.set(request.userId, balance.success)
          const ledger = state.ledgers.get(request.userId) ?? []
          ledger.push(entry)
          state.ledgers.set(request.userId, ledger)
          recordEvent(state, "wallet.charged", nowMs, {
            userId: request.userId,
            chargeId: request.chargeId,
            amountKrw: request.amountKrw
          })
          recordOutcome(state, request.idempotency, { _tag: "Charged", receipt }, nowMs)
          return Result.succeed(receipt)
        }),
      balance: (userId) => Effect.sync(() => state.balances.get(userId) ?? 0),
      funds: (userId) =>
        atomically((nowMs) => {
          const balanceKrw = state.balances.get(userId) ?? 0
          const available = availableKrw(balanceKrw, liveReservationsKrw(state, userId, nowMs))
          return Result.succeed(new WalletFunds({ balanceKrw, availableKrw: available }))
        }),
      ledger: (userId) => Effect.sync(() => [...(state.ledgers.get(userId) ?? [])])
    })
  )
)
