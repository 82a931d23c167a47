/**
 * Proves that queue tokens are signed (L6): a token round-trips, and any
 * change to it, or a token made with another secret, fails verification,
 * unless that secret is the previous one of a rotation.
 */
import { Effect, Redacted, Result, Schema } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { newId, QueueTokenClaims, QueueTokenSigner, ConcertId, QueueTokenId, UserId } from "../src/index.ts"

const signer = (secret: string) =>
  Effect.runPromise(
    QueueTokenSigner.useSync((s) => s).pipe(Effect.provide(QueueTokenSigner.layerHmac(Redacted.make(secret))))
  )

const claims = Effect.runSync(
  Effect.gen(function* () {
    return new QueueTokenClaims({
      tokenId: yield* newId(QueueTokenId),
      userId: yield* newId(UserId),
      concertId: yield* newId(ConcertId),
      issuedAtMs: 1_700_000_000_000
    })
  })
)

describe("QueueTokenSigner", () => {
  it("verifies what it signed, deterministically", async () => {
    const s = await signer("queue-token-test-secret-a-of-32-bytes-or-more")
    const token = await Effect.runPromise(s.sign(claims))
    assert.strictEqual(await Effect.runPromise(s.sign(claims)), token)
    const verified = await Effect.runPromise(s.verify(token))
    assert.deepStrictEqual({ ...verified }, { ...claims })
  })
  it("carries the claims as the schema encodes them to JSON, for any claims", async () => {
    const s = await signer("queue-token-test-secret-a-of-32-bytes-or-more")
    const encode = Schema.encodeSync(Schema.fromJsonString(QueueTokenClaims))
    const uuid = fc.uuid()
    await fc.assert(
      fc.asyncProperty(uuid, uuid, uuid, fc.maxSafeNat(), async (tokenId, userId, concertId, issuedAtMs) => {
        const anyClaims = new QueueTokenClaims({
          tokenId: QueueTokenId.make(tokenId),
          userId: UserId.make(userId),
          concertId: ConcertId.make(concertId),
          issuedAtMs
        })
        const token = await Effect.runPromise(s.sign(anyClaims))
        assert.strictEqual(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"), encode(anyClaims))
        assert.deepStrictEqual({ ...(await Effect.runPromise(s.verify(token))) }, { ...anyClaims })
      }),
      { numRuns: Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 200) }
    )
  })
  it("rejects a token signed with another secret", async () => {
    const token = await Effect.runPromise((await signer("queue-token-test-secret-a-of-32-bytes-or-more")).sign(claims))
    const result = await Effect.runPromise(
      Effect.result((await signer("queue-token-test-secret-b-of-32-bytes-or-more")).verify(token))
    )
    assert.isTrue(Result.isFailure(result) && result.failure._tag === "QueueTokenInvalid")
  })
  it("accepts the previous secret's tokens after a rotation, and signs with the new one", async () => {
    const a = Redacted.make("queue-token-test-secret-a-of-32-bytes-or-more")
    const b = Redacted.make("queue-token-test-secret-b-of-32-bytes-or-more")
    const signerWith = (layer: ReturnType<typeof QueueTokenSigner.layerHmac>) =>
      Effect.runPromise(QueueTokenSigner.useSync((s) => s).pipe(Effect.provide(layer)))
    const old = await Effect.runPromise((await signer(Redacted.value(a))).sign(claims))
    const rotated = await signerWith(QueueTokenSigner.layerHmac(b, { previousSecret: a }))
    assert.deepStrictEqual({ ...(await Effect.runPromise(rotated.verify(old))) }, { ...claims })
    const fresh = await Effect.runPromise(rotated.sign(claims))
    assert.strictEqual(fresh, await Effect.runPromise((await signer(Redacted.value(b))).sign(claims)))
    // Without the previous secret, the old token is refused.
    const result = await Effect.runPromise(Effect.result((await signer(Redacted.value(b))).verify(old)))
    assert.isTrue(Result.isFailure(result) && result.failure._tag === "QueueTokenInvalid")
  })
  it("rejects every single-character alteration", async () => {
    const s = await signer("queue-token-test-secret-a-of-32-bytes-or-more")
    const token = await Effect.runPromise(s.sign(claims))
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(..."ABCDxyz019-_."), async (index, char) => {
        fc.pre(token[index] !== char)
        const altered = token.slice(0, index) + char + token.slice(index + 1)
        const result = await Effect.runPromise(Effect.result(s.verify(altered)))
        // Even a change to the last character's unused bits is refused: only the canonical token passes.
        return Result.isFailure(result) && result.failure._tag === "QueueTokenInvalid"
      }),
      { numRuns: 300 }
    )
  })
  it("rejects a signature whose last character differs only in unused bits", async () => {
    const s = await signer("queue-token-test-secret-a-of-32-bytes-or-more")
    const token = await Effect.runPromise(s.sign(claims))
    const last = token.at(-1)!
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    // 32 signature bytes leave the last of 43 characters with 2 unused bits: 3 siblings decode the same.
    const base = alphabet.indexOf(last) & ~3
    for (const sibling of [0, 1, 2, 3].map((i) => alphabet[base + i]!).filter((c) => c !== last)) {
      const result = await Effect.runPromise(Effect.result(s.verify(token.slice(0, -1) + sibling)))
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "QueueTokenInvalid", sibling)
    }
  })
  it("rejects malformed input without throwing", async () => {
    const s = await signer("queue-token-test-secret-a-of-32-bytes-or-more")
    for (const token of ["", ".", "qt1..", "qt1.a.b.c", "x".repeat(5_000), "qt1.e30.!!!"]) {
      const result = await Effect.runPromise(Effect.result(s.verify(token)))
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "QueueTokenInvalid", token.slice(0, 20))
    }
  })
})
