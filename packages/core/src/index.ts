/**
 * @boxoffice/core: the domain model, pure rules, ports and the `Booking`
 * use cases of the boxoffice booking engine. Depends on `effect` only.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/core
 */
export * from "./Booking.ts"
export * from "./BookingMetrics.ts"
export * from "./Errors.ts"
export { makeVerifiedTokens, type VerifiedTokens } from "./internal/VerifiedTokens.ts"
export * from "./model/Concert.ts"
export * from "./model/Hold.ts"
export * from "./model/Ids.ts"
export * from "./model/Limits.ts"
export * from "./model/Money.ts"
export * from "./model/Payment.ts"
export * from "./model/SaleReport.ts"
export * from "./model/QueueEntry.ts"
export * from "./model/QueueSettings.ts"
export * from "./model/Seat.ts"
export * from "./model/SeatNumber.ts"
export * from "./model/Wallet.ts"
export * from "./ports/Catalog.ts"
export * from "./ports/HumanCheck.ts"
export * from "./ports/IdempotencyRecords.ts"
export * from "./ports/Identity.ts"
export * from "./ports/Payments.ts"
export * from "./ports/Queue.ts"
export * from "./ports/QueueTokenSigner.ts"
export * from "./ports/RateLimitCounters.ts"
export * from "./ports/SeatInventory.ts"
export * from "./ports/Wallet.ts"
export * from "./rules/Admission.ts"
export * from "./rules/Eta.ts"
export * from "./rules/FairStart.ts"
export * from "./rules/HoldLifecycle.ts"
export * from "./rules/PaymentPlan.ts"
export * from "./rules/QueueControl.ts"
export * from "./rules/SaleWindow.ts"
export * from "./rules/SeatClasses.ts"
export * from "./rules/SeatLimit.ts"
export * from "./rules/WalletArithmetic.ts"
