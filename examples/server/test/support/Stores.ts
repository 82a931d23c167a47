/**
 * Throwaway stores for the production-profile tests: a fresh database per
 * test file (migrated by the server itself at start) and a Redis key prefix
 * per run, both removed afterwards.
 */
import { Redis } from "ioredis"
import postgres from "postgres"

export const postgresServerUrl = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
export const redisUrl = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"

export interface Stores {
  readonly databaseUrl: string
  readonly redisKeyPrefix: string
  readonly sql: postgres.Sql
  readonly drop: () => Promise<void>
}

export const createStores = async (): Promise<Stores> => {
  const name = `boxoffice_http_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = postgres(postgresServerUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const databaseUrl = postgresServerUrl.replace(/\/[^/]*$/, `/${name}`)
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {}, connection: { search_path: "boxoffice" } })
  const redisKeyPrefix = `boxoffice:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`
  return {
    databaseUrl,
    redisKeyPrefix,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 })
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
      const redis = new Redis(redisUrl)
      let cursor = "0"
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${redisKeyPrefix}*`, "COUNT", 1_000)
        cursor = next
        if (keys.length > 0) await redis.del(...keys)
      } while (cursor !== "0")
      await redis.quit()
    }
  }
}
