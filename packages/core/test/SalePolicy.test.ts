/**
 * Proves that a sale policy stored before `holdNeedsFunds` existed decodes
 * with it false, and that a new one keeps it.
 */
import { Schema } from "effect"
import { assert, describe, it } from "vitest"
import { SalePolicy } from "../src/index.ts"

const codec = Schema.toCodecJson(SalePolicy)

describe("sale policy", () => {
  it("a stored policy without holdNeedsFunds decodes with it false", () => {
    const stored = {
      queue: { maxActive: 100, activeSeconds: 600, admitPerMinute: null },
      holdSeconds: 300,
      maxSeatsPerUser: 4
    }
    assert.isFalse(Schema.decodeUnknownSync(codec)(stored).holdNeedsFunds)
  })
  it("holdNeedsFunds survives encoding, and defaults to false when constructed without it", () => {
    const policy = new SalePolicy({ ...SalePolicy.default, holdNeedsFunds: true })
    assert.isTrue(Schema.decodeUnknownSync(codec)(Schema.encodeSync(codec)(policy)).holdNeedsFunds)
    assert.isFalse(
      new SalePolicy({ queue: SalePolicy.default.queue, holdSeconds: 60, maxSeatsPerUser: 2 }).holdNeedsFunds
    )
    assert.isFalse(SalePolicy.default.holdNeedsFunds)
  })
})
