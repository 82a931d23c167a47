/** The idempotency claim checks that charge and pay make inside their own transaction. */
import { type IdempotencyClaim, IdempotencyInFlight, IdempotentOutcome } from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { Result, Schema } from "effect"
import { rows, type Transaction } from "./Database.ts"

export const encodeOutcome = Schema.encodeSync(Schema.toCodecJson(IdempotentOutcome))
export const decodeOutcome = Schema.decodeUnknownSync(Schema.toCodecJson(IdempotentOutcome))

/** Locks the claim's record and checks that this attempt still holds it, with nothing recorded. */
export const lockClaim = async (
  tx: Transaction,
  claim: IdempotencyClaim | null
): Promise<Result.Result<void, IdempotencyInFlight>> => {
  if (claim === null) return Result.succeed(undefined)
  const [row] = await rows<{ current: boolean }>(tx, sql`
    select (attempt_id = ${claim.attemptId} and outcome is null) as current
    from idempotency_records where user_id = ${claim.userId} and key = ${claim.key} for update`)
  return row?.current === true ? Result.succeed(undefined) : Result.fail(new IdempotencyInFlight())
}

export const recordOutcome = async (
  tx: Transaction,
  claim: IdempotencyClaim | null,
  outcome: IdempotentOutcome
): Promise<void> => {
  if (claim === null) return
  await tx.execute(sql`
    update idempotency_records set outcome = ${JSON.stringify(encodeOutcome(outcome))}::jsonb
    where user_id = ${claim.userId} and key = ${claim.key} and attempt_id = ${claim.attemptId}`)
}
