/**
 * The page's access to the API: the typed client of `@boxoffice/http`, run
 * as promises, with every problem turned into a sentence a buyer can act on.
 */
import { makeClient, type BoxofficeClient } from "@boxoffice/http"
import { Cause, Effect, Exit } from "effect"

/** A refusal or failure, by its stable problem code. */
export interface Problem {
  readonly code: string
  readonly fields: Record<string, unknown>
}

export class ProblemError extends Error {
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.code)
    this.problem = problem
  }
}

const problemOf = (cause: Cause.Cause<unknown>): Problem => {
  const error = Cause.squash(cause) as Record<string, unknown> | undefined
  const code = typeof error?.["code"] === "string" ? error["code"] : "network"
  // Not a problem the API answered with: keep the cause for the browser's console.
  if (code === "network") console.error(Cause.pretty(cause))
  return { code, fields: error ?? {} }
}

/** Runs a client call; a failure rejects with a `ProblemError`. */
export const run = async <A>(effect: Effect.Effect<A, unknown>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw new ProblemError(problemOf(exit.cause))
}

/** A client acting as the given user, or as the operator. */
export const clientFor = (options: {
  readonly accessToken?: string
  readonly adminKey?: string
}): Promise<BoxofficeClient> => run(makeClient({ baseUrl: globalThis.location.origin, ...options }))

const krw = (amount: unknown) => `${Number(amount).toLocaleString("en-US")} KRW`

/**
 * What to tell the person in front of the page, for each problem code.
 * Every code of the API has a sentence; anything else is a network failure.
 */
export const messageFor = (problem: Problem): string => {
  const f = problem.fields
  switch (problem.code) {
    case "seat-unavailable": {
      const seats = Array.isArray(f["seatNumbers"]) ? (f["seatNumbers"] as Array<number>).join(", ") : ""
      return `Seat taken: someone else holds or bought seat ${seats} a moment ago. Nothing was held; pick other seats.`
    }
    case "hold-expired":
      return "Your hold expired: its time ran out and the seats went back on sale. Pick your seats again."
    case "insufficient-balance":
      return `Not enough money in your wallet: you have ${krw(f["balance"])} and this needs ${krw(f["needed"])}. Charge your wallet, then pay.`
    case "queue-not-admitted":
      return f["position"] === null || f["position"] === undefined
        ? "Not admitted yet: the sale has not opened. You will get your place when it does."
        : `Not admitted yet: you are number ${String(f["position"])} in line. Please wait for your turn.`
    case "queue-token-expired":
      return "Your turn has ended (paid, left or timed out). Join the queue again to buy more."
    case "queue-token-invalid":
      return "This queue ticket is not valid any more. Join the queue again."
    case "hold-limit-exceeded":
      return "That is more seats than one person may hold for this date."
    case "already-paid":
      return "This hold is paid already; see your payments."
    case "already-refunded":
      return "This payment was refunded already; the money is back in your wallet."
    case "refund-closed":
      return "It is too late to cancel: cancellations close before the show."
    case "sale-closed":
      return "Sales for this date have closed."
    case "sold-out":
      return "Sold out: every seat of every date has been bought. Nobody more can join the queue or be let in."
    case "balance-limit-exceeded":
      return "That would take your wallet past its limit."
    case "forbidden":
      return "That belongs to someone else."
    case "not-found":
      return "That no longer exists."
    case "invalid-request":
      return "That request was not valid; please check the amount or the seats."
    case "unauthenticated":
      return "Your session is not valid; reload the page."
    case "idempotency-in-flight":
      return "Your previous attempt is still being processed; wait a moment."
    case "idempotency-key-reused":
      return "That retry did not match the first attempt."
    case "outcome-unknown":
      return "We could not confirm the result. Try again: it will not be charged twice."
    case "unavailable":
      return "The box office is busy right now; nothing happened. Try again in a moment."
    case "too-many-streams":
      return "This ticket is open in too many tabs."
    case "rate-limited":
      return "Too many tries in a short time. Wait a minute, then try again."
    case "human-check-failed":
      return "The check that you are a person did not pass. Let it finish, then join again."
    default:
      return "The box office could not be reached. Check your connection and try again."
  }
}

export const formatKrw = krw

/** "1:05" for 65 seconds. */
export const clock = (seconds: number): string => {
  const whole = Math.max(0, Math.ceil(seconds))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`
}
