/**
 * The webhook's retry schedule (`WebhookRetry.ts`) and the mapping of its
 * secret to a signing key (`WebhookConfig.ts`), as pure functions.
 */
import { Result } from "effect"
import { Webhook } from "standardwebhooks"
import { assert, describe, it } from "vitest"
import { webhookKeyOf } from "../src/WebhookConfig.ts"
import { failedAttemptOutcome, retryPolicy } from "../src/WebhookRetry.ts"

const hourMs = 3_600_000

describe("retry schedule", () => {
  const outcome = (attemptsBefore: number, random: number, nowMs = 0) =>
    failedAttemptOutcome({ eventAtMs: 0, attemptsBefore, nowMs, random }, retryPolicy)

  it("waits below 1 s doubling per failure, drawn uniformly (full jitter), capped at 1 h", () => {
    assert.deepStrictEqual(
      [0, 1, 2, 3, 11, 12, 40].map((attempts) => outcome(attempts, 0.999_999)),
      [999, 1_999, 3_999, 7_999, 2_047_997, hourMs - 4, hourMs - 4].map((ms) => ({
        _tag: "Retry" as const,
        retryAtMs: ms
      }))
    )
    assert.deepStrictEqual(outcome(5, 0), { _tag: "Retry", retryAtMs: 0 })
    assert.deepStrictEqual(outcome(5, 0.5), { _tag: "Retry", retryAtMs: 16_000 })
  })

  it("tries last at 24 h after the event, then parks it", () => {
    assert.deepStrictEqual(outcome(20, 0.999, 24 * hourMs - 60_000), { _tag: "Retry", retryAtMs: 24 * hourMs })
    assert.deepStrictEqual(outcome(20, 0.5, 24 * hourMs), { _tag: "Parked" })
    assert.deepStrictEqual(outcome(0, 0.5, 30 * hourMs), { _tag: "Parked" })
  })
})

describe("webhook secret", () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i)
  const standard = `whsec_${Buffer.from(bytes).toString("base64")}`

  it("takes `whsec_` and base64 as the key's bytes, other text as its UTF-8 bytes", () => {
    assert.deepStrictEqual(webhookKeyOf(standard), Result.succeed(bytes))
    const text = "a passphrase of thirty-two bytes, or more"
    assert.deepStrictEqual(webhookKeyOf(text), Result.succeed(new TextEncoder().encode(text)))
    // A receiver verifies a text secret as `whsec_` and its UTF-8 bytes in base64.
    const key = Result.getOrThrow(webhookKeyOf(text))
    const signature = new Webhook(key, { format: "raw" }).sign("msg_1", new Date(), "{}")
    const receiver = new Webhook(`whsec_${Buffer.from(text, "utf8").toString("base64")}`)
    assert.strictEqual(receiver.sign("msg_1", new Date(), "{}"), signature)
  })

  it("refuses fewer than 32 bytes, and `whsec_` followed by something that is not base64", () => {
    assert.isTrue(Result.isFailure(webhookKeyOf("x".repeat(31))))
    assert.isTrue(Result.isFailure(webhookKeyOf(`whsec_${Buffer.alloc(31).toString("base64")}`)))
    assert.isTrue(Result.isFailure(webhookKeyOf(`whsec_${"!".repeat(48)}`)))
    // 32 UTF-8 bytes in 11 characters: bytes count, not characters.
    assert.isTrue(Result.isSuccess(webhookKeyOf("가나다라마바사아자차카")))
  })
})
