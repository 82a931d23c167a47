import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { ConcertId, HoldId } from "../src/index.ts"

describe("ids", () => {
  it("decode to the canonical lower-case UUID, so one id never names two things", () => {
    const lower = "4f1c2b9e-8a7d-4c3b-9e2f-1a2b3c4d5e6f"
    expect(Schema.decodeUnknownSync(ConcertId)(lower.toUpperCase())).toBe(lower)
    expect(Schema.decodeUnknownSync(HoldId)(lower)).toBe(lower)
  })

  it("refuse what is not a UUID", () => {
    expect(() => Schema.decodeUnknownSync(ConcertId)("not-a-uuid")).toThrow()
    expect(() => Schema.decodeUnknownSync(ConcertId)("4F1C2B9E-8A7D-4C3B-9E2F-1A2B3C4D5E6")).toThrow()
  })
})
