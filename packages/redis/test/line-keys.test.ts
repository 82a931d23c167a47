/**
 * How a line's keys name tokens and users (`LineKeys`): a token's key gives its id back, whatever the id; a user's
 * key is 16 characters of base64url, so a member's user key is its last 16; neither holds a separator of the
 * scripts; and the copy reads a token's key in place to the same slot its id finds.
 */
import fc from "fast-check"
import { assert, describe, it } from "vitest"
import { CopiedEntries } from "../src/internal/CopiedEntries.ts"
import { memberOf, tokenIdOfKey, tokenKeyOf, userKeyLength, userKeyOf } from "../src/internal/LineKeys.ts"

/** Token ids as the engine makes them (UUIDs), and names such as the tests use, without the scripts' separators. */
const tokenId = fc.oneof(
  { weight: 4, arbitrary: fc.uuid({ version: [4, 7] }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/) }
)

describe("a line's keys", () => {
  it("give each token id back from its key, 22 characters for a UUID", () => {
    fc.assert(
      fc.property(tokenId, (id) => {
        const key = tokenKeyOf(id)
        assert.strictEqual(tokenIdOfKey(key), id)
        assert.notMatch(key, /[|,;#]/)
        if (/^[0-9a-f-]{36}$/.test(id)) assert.strictEqual(key.length, 22)
      })
    )
  })

  it("make a user's key 16 base64url characters, the end of each member", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), tokenId, (userId, id) => {
        const key = userKeyOf(userId)
        assert.match(key, /^[A-Za-z0-9_-]{16}$/)
        assert.strictEqual(key.length, userKeyLength)
        assert.strictEqual(memberOf({ tokenId: id, userId }), tokenKeyOf(id) + key)
      })
    )
    assert.notStrictEqual(userKeyOf("user-1"), userKeyOf("user-2"))
  })

  it("are read by the copy in place to the slot the token's id finds", () => {
    fc.assert(
      fc.property(fc.uniqueArray(tokenId, { minLength: 1, maxLength: 50 }), (ids) => {
        const entries = new CopiedEntries()
        const page = ids.map((id, i) => `${memberOf({ tokenId: id, userId: `u${i}` })},${i + 1}`).join(",")
        let start = 0
        for (let i = 0; i < ids.length; i++) {
          const member = memberOf({ tokenId: ids[i]!, userId: `u${i}` })
          entries.putWaiter(page, start, start + member.length - userKeyLength, i + 1, undefined)
          start = page.indexOf(",", start + member.length + 1) + 1
        }
        assert.strictEqual(entries.size, ids.length)
        ids.forEach((id, i) => {
          const slot = entries.slotOf(id)
          assert.isAtLeast(slot, 0)
          assert.strictEqual(entries.sequence(slot), i + 1)
          assert.strictEqual(entries.token(slot), id)
        })
      })
    )
  })
})
