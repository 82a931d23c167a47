/**
 * JwtIdentity against a real JWKS endpoint: a node:http server on a free
 * loopback port serving public keys made with jose, and tokens signed with
 * their private keys. Each check of a token is refused with a detail that
 * names it; the endpoint being down is `Unavailable`, not the user's fault.
 * Time is Effect's `Clock` (TestClock), which judges `exp` and `nbf`.
 */
import { Identity, type Unauthenticated, type Unavailable, userIdOfSubject } from "@boxoffice/core"
import { Cause, Effect, Exit, Layer, Option, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose"
import { createHmac } from "node:crypto"
import { createServer, type Server } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { JwtIdentity, type JwtKeySource } from "../src/index.ts"

const issuer = "https://login.example.test/"
const audience = "https://tickets.example.test"
/** The test clock's start: tokens are made relative to it. */
const nowS = 1_900_000_000

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>> & { readonly kid: string; readonly alg: string }

const makeKey = async (kid: string, alg = "RS256"): Promise<KeyPair> => ({
  ...(await generateKeyPair(alg, { extractable: true })),
  kid,
  alg
})

const publicJwk = async (key: KeyPair): Promise<JWK> => ({
  ...(await exportJWK(key.publicKey)),
  kid: key.kid,
  alg: key.alg,
  use: "sig"
})

/** A token signed by `key`: valid for this server for an hour from `nowS` unless `claims` say otherwise. */
const sign = (key: KeyPair, claims: JWTPayload = {}, header: Record<string, unknown> = {}) =>
  new SignJWT({ iss: issuer, aud: audience, sub: "user-1", iat: nowS, exp: nowS + 3_600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey)

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url")

/** The JWKS endpoint: serves `keys`, or 500 while `failing`, and counts its fetches. */
const jwks = {
  keys: [] as Array<JWK>,
  failing: false,
  fetches: 0,
  server: undefined as Server | undefined,
  url: ""
}

beforeAll(async () => {
  jwks.server = createServer((_request, response) => {
    jwks.fetches++
    if (jwks.failing) {
      response.writeHead(500).end()
      return
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: jwks.keys }))
  })
  await new Promise<void>((resolve) => jwks.server!.listen(0, "127.0.0.1", resolve))
  const address = jwks.server.address() as { port: number }
  jwks.url = `http://127.0.0.1:${address.port}/.well-known/jwks.json`
})
afterAll(() => new Promise<void>((resolve) => jwks.server?.close(() => resolve())))

type Outcome = Result.Result<string, Unauthenticated | Unavailable>

/**
 * Authenticates each token in turn, over one identity, at `nowS` plus each one's offset in seconds. A
 * token may be made at its turn, after what came before (to change the JWKS between two tokens).
 */
const authenticateAll = (
  source: JwtKeySource,
  tokens: ReadonlyArray<readonly [token: string | (() => Promise<string>), atSeconds?: number]>,
  options: { readonly clockToleranceSeconds?: number; readonly jwksMaxAgeSeconds?: number } = {}
): Promise<Array<Outcome>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const identity = yield* Identity
      const outcomes: Array<Outcome> = []
      for (const [made, atSeconds = 0] of tokens) {
        const token = typeof made === "string" ? made : yield* Effect.promise(made)
        yield* TestClock.setTime((nowS + atSeconds) * 1000)
        outcomes.push(yield* Effect.result(identity.authenticate(Redacted.make(token))))
      }
      return outcomes
    }).pipe(
      Effect.provide(
        Layer.merge(
          JwtIdentity.layer(source, { issuer, audience, jwksCooldownSeconds: 0, ...options }),
          TestClock.layer()
        )
      )
    )
  )

const authenticate = async (source: JwtKeySource, token: string, atSeconds = 0) =>
  (await authenticateAll(source, [[token, atSeconds]]))[0]!

const refusal = (outcome: Outcome): string | undefined =>
  Result.isFailure(outcome) && outcome.failure._tag === "Unauthenticated" ? outcome.failure.detail : undefined

const fromJwks = (): JwtKeySource => ({ jwksUrl: jwks.url })

let rsa: KeyPair
let ec: KeyPair
beforeAll(async () => {
  rsa = await makeKey("rsa-1")
  ec = await makeKey("ec-1", "ES256")
})

describe("JwtIdentity over a JWKS", () => {
  it("accepts a valid token, and maps its sub to the engine's user id", async () => {
    jwks.keys = [await publicJwk(rsa), await publicJwk(ec)]
    const uuid = "6F9619FF-8B86-4011-B42D-00C04FC964FF"
    const outcomes = await authenticateAll(fromJwks(), [
      [await sign(rsa, { sub: "auth0|5f7c8ec7c33c6c004bbafe82" })],
      [await sign(ec, { sub: uuid })],
      [await sign(rsa, { sub: "x".repeat(255) })],
      // Several audiences, one of them ours.
      [await sign(rsa, { aud: ["https://other.example.test", audience] })]
    ])
    assert.deepStrictEqual(outcomes, [
      Result.succeed(userIdOfSubject("auth0|5f7c8ec7c33c6c004bbafe82")),
      Result.succeed(uuid.toLowerCase()),
      Result.succeed(userIdOfSubject("x".repeat(255))),
      Result.succeed(userIdOfSubject("user-1"))
    ])
  })

  it("has no register: accounts come from the provider", async () => {
    const register = await Effect.runPromise(
      Identity.useSync((identity) => identity.register).pipe(
        Effect.provide(JwtIdentity.layer(fromJwks(), { issuer, audience }))
      )
    )
    assert.isTrue(Option.isNone(register))
  })

  it("refuses an expired token, and one not valid yet, beyond the clock tolerance", async () => {
    jwks.keys = [await publicJwk(rsa)]
    const early = await sign(rsa, { nbf: nowS + 60 })
    const outcomes = await authenticateAll(fromJwks(), [
      [await sign(rsa, { exp: nowS - 31 })],
      [await sign(rsa, { exp: nowS - 29 })],
      [early, 0],
      [early, 31]
    ])
    assert.deepStrictEqual(
      outcomes.map((outcome) => refusal(outcome) ?? "accepted"),
      ["the access token expired (exp)", "accepted", "the access token is not valid yet (nbf)", "accepted"]
    )
  })

  it("remembers a verified token only until its exp", async () => {
    jwks.keys = [await publicJwk(rsa)]
    const expiring = await sign(rsa, { exp: nowS + 60 })
    const judged = async (clockToleranceSeconds: number, times: ReadonlyArray<number>) =>
      (
        await authenticateAll(
          fromJwks(),
          times.map((at) => [expiring, at] as const),
          { clockToleranceSeconds }
        )
      ).map((outcome) => refusal(outcome) ?? "accepted")
    assert.deepStrictEqual(await judged(0, [0, 59, 60]), ["accepted", "accepted", "the access token expired (exp)"])
    assert.deepStrictEqual(await judged(30, [0, 89, 90]), ["accepted", "accepted", "the access token expired (exp)"])
  })

  it("refuses a wrong audience, a wrong issuer, missing claims and a sub out of bounds", async () => {
    jwks.keys = [await publicJwk(rsa)]
    const withoutExp = await new SignJWT({ iss: issuer, aud: audience, sub: "user-1" })
      .setProtectedHeader({ alg: "RS256", kid: rsa.kid })
      .sign(rsa.privateKey)
    const outcomes = await authenticateAll(fromJwks(), [
      [await sign(rsa, { aud: "https://elsewhere.example.test" })],
      [await sign(rsa, { iss: "https://login.evil.test/" })],
      [withoutExp],
      [await sign(rsa, { sub: "x".repeat(256) })],
      [await sign(rsa, { sub: "" })],
      ["not.a.jwt"],
      ["x".repeat(9_000)]
    ])
    assert.deepStrictEqual(outcomes.map(refusal), [
      "the access token's audience (aud) does not include this server",
      "the access token's issuer (iss) is not the configured identity provider",
      'the access token has no "exp" claim',
      "the access token's subject (sub) is not 1 to 255 characters",
      "the access token's subject (sub) is not 1 to 255 characters",
      "the access token is not a well-formed signed JWT",
      "the access token is too long"
    ])
  })

  it("refuses alg none, and HS256 signed with the public key as its secret", async () => {
    jwks.keys = [await publicJwk(rsa)]
    const payload = base64url(JSON.stringify({ iss: issuer, aud: audience, sub: "user-1", exp: nowS + 3_600 }))
    const none = `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`
    // The classic confusion: the public key's own text (and its JWK's n) as an HMAC secret.
    const hs256With = (secret: string | Buffer) => {
      const body = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: rsa.kid }))}.${payload}`
      return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`
    }
    const pem = await exportSPKI(rsa.publicKey)
    const outcomes = await authenticateAll(fromJwks(), [
      [none],
      [hs256With(pem)],
      [hs256With(Buffer.from((await publicJwk(rsa)).n!, "base64url"))]
    ])
    for (const outcome of outcomes) {
      assert.strictEqual(refusal(outcome), "the access token's algorithm is not accepted (asymmetric signatures only)")
    }
  })

  it("refuses a token whose signature does not verify", async () => {
    jwks.keys = [await publicJwk(rsa)]
    const token = await sign(rsa)
    const [header, payload] = token.split(".")
    const forged = `${header}.${base64url(JSON.stringify({ iss: issuer, aud: audience, sub: "admin", exp: nowS + 3_600 }))}.${token.split(".")[2]}`
    const impostor = await makeKey(rsa.kid)
    const outcomes = await authenticateAll(fromJwks(), [
      [forged],
      [await sign(impostor)],
      [`${header}.${payload}.AAAA`]
    ])
    for (const outcome of outcomes) assert.strictEqual(refusal(outcome), "the access token's signature does not verify")
  })

  it("fetches the JWKS again for an unknown kid and accepts the new key", async () => {
    const next = await makeKey("rsa-2")
    jwks.keys = [await publicJwk(rsa)]
    const fetchesBefore = jwks.fetches
    const outcomes = await authenticateAll(fromJwks(), [
      [await sign(rsa)],
      // The provider publishes a new key; this instance still holds the old set.
      [
        async () => {
          jwks.keys = [await publicJwk(rsa), await publicJwk(next)]
          return sign(next, { sub: "user-2" })
        }
      ]
    ])
    assert.deepStrictEqual(outcomes, [
      Result.succeed(userIdOfSubject("user-1")),
      Result.succeed(userIdOfSubject("user-2"))
    ])
    assert.strictEqual(jwks.fetches - fetchesBefore, 2)
  })

  it("refuses a rotated-out key once the JWKS no longer lists it", async () => {
    const old = await makeKey("rsa-old")
    const next = await makeKey("rsa-new")
    jwks.keys = [await publicJwk(old)]
    const beforeRotation = await sign(old, { sub: "early" })
    const afterRotation = await sign(old, { sub: "late" })
    const outcomes = await authenticateAll(fromJwks(), [
      [beforeRotation],
      [
        async () => {
          jwks.keys = [await publicJwk(next)]
          return sign(next, { sub: "new" })
        }
      ],
      [afterRotation]
    ])
    assert.deepStrictEqual(outcomes.slice(0, 2), [
      Result.succeed(userIdOfSubject("early")),
      Result.succeed(userIdOfSubject("new"))
    ])
    assert.strictEqual(refusal(outcomes[2]!), "no key of the identity provider matches the access token (kid)")
  })

  it("is Unavailable, not Unauthenticated, while the JWKS endpoint fails or is down", async () => {
    jwks.keys = [await publicJwk(rsa)]
    jwks.failing = true
    const failing = await authenticate(fromJwks(), await sign(rsa))
    jwks.failing = false
    assert.isTrue(Result.isFailure(failing) && failing.failure._tag === "Unavailable")
    // Nothing listens on the port of a server that was closed.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const { port } = closed.address() as { port: number }
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const down = await authenticate({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` }, await sign(rsa))
    assert.isTrue(Result.isFailure(down) && down.failure._tag === "Unavailable")
    // Keys fetched before the endpoint failed still verify their tokens (stale if error); others wait for it.
    const stale = await authenticateAll(
      { jwksUrl: jwks.url },
      [
        [await sign(rsa)],
        [
          async () => {
            jwks.failing = true
            return sign(rsa, { sub: "while-failing" })
          }
        ],
        [await sign(await makeKey("rsa-unseen"))]
      ],
      { jwksMaxAgeSeconds: 0 }
    )
    jwks.failing = false
    assert.deepStrictEqual(stale.slice(0, 2), [
      Result.succeed(userIdOfSubject("user-1")),
      Result.succeed(userIdOfSubject("while-failing"))
    ])
    assert.isTrue(Result.isFailure(stale[2]!) && stale[2].failure._tag === "Unavailable")
    // Back up: the same token is accepted.
    assert.deepStrictEqual(await authenticate(fromJwks(), await sign(rsa)), Result.succeed(userIdOfSubject("user-1")))
  })
})

describe("JwtIdentity over a static public key", () => {
  it("accepts tokens of the PEM key (any kid), and refuses others", async () => {
    const pem = await exportSPKI(rsa.publicKey)
    const other = await makeKey("rsa-other")
    // PS256 is a scheme the RSA key allows, but this token was signed RS256 and relabelled.
    const [, payload, signature] = (await sign(rsa)).split(".")
    const relabelled = `${base64url(JSON.stringify({ alg: "PS256", kid: rsa.kid }))}.${payload}.${signature}`
    const outcomes = await authenticateAll({ publicKey: pem }, [
      [await sign(rsa)],
      [await sign(rsa, {}, { kid: "whatever" })],
      [relabelled],
      [await sign(other)],
      [await sign(ec)]
    ])
    assert.deepStrictEqual(outcomes.slice(0, 2), [
      Result.succeed(userIdOfSubject("user-1")),
      Result.succeed(userIdOfSubject("user-1"))
    ])
    assert.deepStrictEqual(outcomes.slice(2).map(refusal), [
      "the access token's signature does not verify",
      "the access token's signature does not verify",
      "the access token's algorithm does not fit the configured public key"
    ])
  })

  it("accepts a PEM key's tokens under each scheme of its kind (RSA: RS and PS)", async () => {
    const pss = await makeKey("pss-1", "PS256")
    const pem = await exportSPKI(pss.publicKey)
    assert.deepStrictEqual(
      await authenticate({ publicKey: pem }, await sign(pss)),
      Result.succeed(userIdOfSubject("user-1"))
    )
  })

  it("accepts tokens of a JWK, and only for the JWK's own alg", async () => {
    const jwk = await publicJwk(ec)
    assert.deepStrictEqual(
      await authenticate({ publicKey: jwk }, await sign(ec)),
      Result.succeed(userIdOfSubject("user-1"))
    )
    assert.strictEqual(
      refusal(await authenticate({ publicKey: jwk }, await sign(rsa))),
      "the access token's algorithm does not fit the configured public key"
    )
    const { alg: _, ...withoutAlg } = await publicJwk(rsa)
    assert.deepStrictEqual(
      await authenticate({ publicKey: withoutAlg }, await sign(rsa, {}, { alg: "RS256" })),
      Result.succeed(userIdOfSubject("user-1"))
    )
  })

  it("refuses to build over a key that is not a public key", async () => {
    for (const publicKey of [
      "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
      "",
      { kty: "oct", k: "c2VjcmV0" },
      await exportJWK(rsa.privateKey)
    ]) {
      const exit = await Effect.runPromiseExit(
        Effect.scoped(Layer.build(JwtIdentity.layer({ publicKey }, { issuer, audience })))
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause), JSON.stringify(publicKey).slice(0, 40))
    }
  })
})
