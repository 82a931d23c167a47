/**
 * The Identity port's shared pieces: the demo identity's access tokens
 * (signed, with a key id and an expiry judged by Effect's `Clock`, and a
 * previous secret accepted after a rotation), the refusal of short secrets,
 * and `userIdOfSubject`, the mapping of a host's `sub` to the engine's user
 * id (RFC 9562's own UUIDv5 example, and UUID subjects kept as they are).
 */
import { Cause, Effect, Exit, Layer, Redacted, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { uuidV5 } from "../src/internal/uuidV5.ts"
import { Identity, QueueTokenSigner, UserId, userIdOfSubject, userIdSubjectNamespace } from "../src/index.ts"

const isUserId = Schema.is(UserId)
const secretA = Redacted.make("identity-test-secret-a-of-at-least-32-bytes")
const secretB = Redacted.make("identity-test-secret-b-of-at-least-32-bytes")

/** Runs `program` over a demo identity and a test clock at `startMs`. */
const withIdentity = <A, E>(layer: Layer.Layer<Identity>, program: Effect.Effect<A, E, Identity>, startMs = 0) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* TestClock.setTime(startMs)
      return yield* program
    }).pipe(Effect.provide(Layer.merge(layer, TestClock.layer())))
  )

const register = Effect.gen(function* () {
  const identity = yield* Identity
  return yield* yield* Effect.fromOption(identity.register)
})
const authenticate = (token: string) =>
  Effect.gen(function* () {
    const identity = yield* Identity
    return yield* Effect.result(identity.authenticate(Redacted.make(token)))
  })

const refusedWith = (result: Result.Result<UserId, { readonly _tag: string; readonly detail?: string }>) =>
  Result.isFailure(result) && result.failure._tag === "Unauthenticated" ? result.failure.detail : undefined

/** The token a layer issues, issued at `startMs`. */
const issue = (layer: Layer.Layer<Identity>, startMs = 0) =>
  withIdentity(
    layer,
    Effect.map(register, ({ userId, accessToken }) => ({ userId, token: Redacted.value(accessToken) })),
    startMs
  )

const buildExit = <A>(layer: Layer.Layer<A>) => Effect.runPromiseExit(Effect.scoped(Layer.build(layer)))

describe("Identity (demo HMAC)", () => {
  it("authenticates the tokens it issued and no others", async () => {
    await withIdentity(
      Identity.layerHmac(secretA),
      Effect.gen(function* () {
        const identity = yield* Identity
        const { userId, accessToken } = yield* register
        assert.strictEqual(yield* identity.authenticate(accessToken), userId)
        assert.strictEqual(String(accessToken), "<redacted>")
        const token = Redacted.value(accessToken)
        assert.match(token, /^at2\.[A-Za-z0-9_-]{8}\.[0-9a-f-]{36}\.86400\.[A-Za-z0-9_-]{43}$/)
        const parts = token.split(".")
        const otherUser = "00000000-0000-4000-8000-000000000000"
        for (const forged of [
          token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"),
          [parts[0], parts[1], otherUser, parts[3], parts[4]].join("."),
          [parts[0], parts[1], parts[2], "99999999999", parts[4]].join("."),
          "at2.x.y",
          "",
          `${token}x`
        ]) {
          assert.isString(refusedWith(yield* authenticate(forged)), forged.slice(0, 30))
        }
      })
    )
  })

  it("refuses a token once it expires, by Effect's Clock, and says so", async () => {
    const layer = Identity.layerHmac(secretA, { lifetimeSeconds: 60 })
    await withIdentity(
      layer,
      Effect.gen(function* () {
        const { userId, token } = yield* Effect.map(register, (a) => ({
          userId: a.userId,
          token: Redacted.value(a.accessToken)
        }))
        // Remembered as verified, and still judged by its expiry.
        yield* TestClock.adjust("59999 millis")
        assert.deepStrictEqual(yield* authenticate(token), Result.succeed(userId))
        yield* TestClock.adjust("1 millis")
        assert.strictEqual(refusedWith(yield* authenticate(token)), "access token expired")
      }),
      1_700_000_000_000
    )
    // A token never seen by this instance is judged alike.
    const { token } = await issue(layer, 1_700_000_000_000)
    const late = await withIdentity(layer, authenticate(token), 1_700_000_060_000)
    assert.strictEqual(refusedWith(late), "access token expired")
    const inTime = await withIdentity(layer, authenticate(token), 1_700_000_059_999)
    assert.isTrue(Result.isSuccess(inTime))
  })

  it("issues tokens for 24 hours by default", async () => {
    const { token } = await issue(Identity.layerHmac(secretA), 1_700_000_000_500)
    assert.strictEqual(token.split(".")[3], String(1_700_000_000 + 86_400))
  })

  it("accepts the previous secret's tokens after a rotation, and only with it", async () => {
    const { userId, token } = await issue(Identity.layerHmac(secretA))
    const rotated = Identity.layerHmac(secretB, { previousSecret: secretA })
    assert.deepStrictEqual(await withIdentity(rotated, authenticate(token)), Result.succeed(userId))
    // New tokens are signed with the new secret, and the old secret alone does not accept them.
    const fresh = await issue(rotated)
    assert.notStrictEqual(fresh.token.split(".")[1], token.split(".")[1])
    assert.deepStrictEqual(
      await withIdentity(Identity.layerHmac(secretB), authenticate(fresh.token)),
      Result.succeed(fresh.userId)
    )
    assert.strictEqual(
      refusedWith(await withIdentity(Identity.layerHmac(secretA), authenticate(fresh.token))),
      "access token was signed with a key this server does not hold"
    )
    // Once the previous secret is dropped, its tokens end.
    assert.strictEqual(
      refusedWith(await withIdentity(Identity.layerHmac(secretB), authenticate(token))),
      "access token was signed with a key this server does not hold"
    )
  })

  it("names each secret by a key id of its own that does not reveal it", async () => {
    const keyIds = await Promise.all(
      [secretA, secretB, Redacted.make(`${Redacted.value(secretA)}!`)].map(
        async (secret) => (await issue(Identity.layerHmac(secret))).token.split(".")[1]
      )
    )
    assert.strictEqual(new Set(keyIds).size, 3)
    assert.strictEqual((await issue(Identity.layerHmac(secretA))).token.split(".")[1], keyIds[0])
    for (const keyId of keyIds) assert.notInclude(Redacted.value(secretA), keyId!)
  })

  it("refuses a key id it holds with another key's signature", async () => {
    const a = await issue(Identity.layerHmac(secretA))
    const b = await issue(Identity.layerHmac(secretB))
    const [prefix, , user, expiry] = a.token.split(".")
    const swapped = [prefix, b.token.split(".")[1], user, expiry, a.token.split(".")[4]].join(".")
    const rotated = Identity.layerHmac(secretB, { previousSecret: secretA })
    assert.strictEqual(
      refusedWith(await withIdentity(rotated, authenticate(swapped))),
      "access token signature does not match"
    )
  })

  it("refuses the retired at1 tokens, which never expired", async () => {
    const result = await withIdentity(
      Identity.layerHmac(secretA),
      authenticate("at1.6f9619ff-8b86-4011-b42d-00c04fc964ff.c2lnbmF0dXJl")
    )
    assert.strictEqual(refusedWith(result), "access token of a retired format (no expiry): register again")
  })
})

describe("secrets under 32 bytes", () => {
  const refusal = async <A>(layer: Layer.Layer<A>) => {
    const exit = await buildExit(layer)
    assert.isTrue(Exit.isFailure(exit))
    return Exit.isFailure(exit) ? String(Cause.squash(exit.cause)) : ""
  }

  it("fail to build either token layer, empty ones too, with a message that names the secret", async () => {
    for (const short of ["", "s".repeat(31), "é".repeat(15)]) {
      assert.include(await refusal(Identity.layerHmac(Redacted.make(short))), "Identity.layerHmac's secret must be")
      assert.include(
        await refusal(QueueTokenSigner.layerHmac(Redacted.make(short))),
        "QueueTokenSigner.layerHmac's secret must be at least 32 bytes"
      )
      assert.include(
        await refusal(Identity.layerHmac(secretA, { previousSecret: Redacted.make(short) })),
        "previousSecret must be at least 32 bytes"
      )
      assert.include(
        await refusal(QueueTokenSigner.layerHmac(secretA, { previousSecret: Redacted.make(short) })),
        "previousSecret must be at least 32 bytes"
      )
    }
    // 32 bytes of UTF-8 are enough, however few characters.
    assert.isTrue(Exit.isSuccess(await buildExit(Identity.layerHmac(Redacted.make("é".repeat(16))))))
    assert.isTrue(Exit.isSuccess(await buildExit(QueueTokenSigner.layerHmac(Redacted.make("s".repeat(32))))))
  })
})

describe("userIdOfSubject", () => {
  it("derives RFC 9562's own UUIDv5 example (DNS namespace, www.example.com)", () => {
    assert.strictEqual(
      uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
      "2ed6657d-e927-568b-95e1-2665a8aea6a2"
    )
  })

  it("maps other subjects to their UUIDv5 under our namespace, as any RFC 9562 implementation does", () => {
    // Values from Python's uuid.uuid5 with the same namespace.
    assert.strictEqual(userIdSubjectNamespace, "e33fa8af-904f-4e0e-a947-ecada5eed3a8")
    assert.strictEqual(userIdOfSubject("auth0|5f7c8ec7c33c6c004bbafe82"), "5c1b592e-0710-5dd3-871e-a6f92ee4d9f2")
    assert.strictEqual(userIdOfSubject("ユーザー"), "ec746d85-e175-532c-98b0-5a586e71683c")
  })

  it("maps any UUID subject, in any case, to that UUID in lower case", () => {
    const mixedCase = fc
      .tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
      .map(([uuid, upper]) => [...uuid].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""))
    fc.assert(
      fc.property(mixedCase, (subject) => {
        assert.strictEqual(userIdOfSubject(subject), subject.toLowerCase())
      }),
      { numRuns: Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 200) }
    )
  })

  it("gives every other subject a valid user id, the same each time", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 255, unit: "grapheme" }), (subject) => {
        const userId = userIdOfSubject(subject)
        assert.isTrue(isUserId(userId))
        assert.strictEqual(userIdOfSubject(subject), userId)
        if (!/^[0-9a-f-]{36}$/i.test(subject)) assert.strictEqual(userId[14], "5")
      }),
      { numRuns: Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 200) }
    )
  })
})
