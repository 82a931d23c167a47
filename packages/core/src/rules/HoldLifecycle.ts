/**
 * The hold lifecycle: held → paid | released | expired. Expiry is never
 * written by a janitor; it is judged when the hold is read (L4).
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { AlreadyPaid, HoldExpired } from "../Errors.ts"
import type { HoldState, HoldStatus } from "../model/Hold.ts"

/** When a hold made at `createdAtMs` for `holdSeconds` ends. @category rules */
export const holdExpiresAtMs = (createdAtMs: number, holdSeconds: number): number => createdAtMs + holdSeconds * 1000

/**
 * The status a reader sees: a `held` hold counts only while `expiresAt > now`.
 *
 * @example
 * ```ts
 * import { holdStatus } from "@boxoffice/core"
 * holdStatus("held", 1_000, 1_000) // "expired"
 * ```
 * @category rules
 */
export const holdStatus = (state: HoldState, expiresAtMs: number, nowMs: number): HoldStatus =>
  state === "held" && expiresAtMs <= nowMs ? "expired" : state

/** Whether a hold still keeps its seats from others. @category rules */
export const holdIsLive = (state: HoldState, expiresAtMs: number, nowMs: number): boolean =>
  holdStatus(state, expiresAtMs, nowMs) === "held"

/** Only a live hold can be paid. @category rules */
export const checkPayable = (holdId: string, status: HoldStatus): Result.Result<void, AlreadyPaid | HoldExpired> => {
  switch (status) {
    case "held":
      return Result.succeed(undefined)
    case "paid":
      return Result.fail(new AlreadyPaid({ holdId }))
    case "expired":
    case "released":
      return Result.fail(new HoldExpired({ holdId }))
  }
}

/**
 * Releasing is allowed unless the hold was paid. Releasing an expired or
 * released hold changes nothing, so a repeated DELETE is harmless.
 *
 * @category rules
 */
export const checkReleasable = (holdId: string, status: HoldStatus): Result.Result<boolean, AlreadyPaid> =>
  status === "paid" ? Result.fail(new AlreadyPaid({ holdId })) : Result.succeed(status === "held")
