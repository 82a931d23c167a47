/**
 * A throwaway database for a migration's own test: empty, with a copy of the migrations folder whose journal
 * stops before the migration under test, so the test can migrate to the version before it, write as that
 * version did, and then migrate to the newest.
 */
import { migrationsFolder } from "@boxoffice/postgres"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres, { type Sql } from "postgres"
import { serverUrl } from "./TestDatabase.ts"

export interface DatabaseBeforeMigration {
  /** Two connections to the empty database. */
  readonly sql: Sql
  /** The migrations up to the one before the migration under test. */
  readonly migrationsBefore: string
  readonly drop: () => Promise<void>
}

/**
 * @example
 * ```ts
 * const db = await databaseBeforeMigration("_typed_events")
 * await migrate(drizzle(db.sql), { migrationsFolder: db.migrationsBefore })
 * ```
 */
export const databaseBeforeMigration = async (tagSuffix: string): Promise<DatabaseBeforeMigration> => {
  const name = `boxoffice_migration_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const sql = postgres(serverUrl.replace(/\/[^/]*$/, `/${name}`), { max: 2, onnotice: () => {} })
  const migrationsBefore = mkdtempSync(join(tmpdir(), "boxoffice-migrations-before-"))
  cpSync(migrationsFolder, migrationsBefore, { recursive: true })
  const journalPath = join(migrationsBefore, "meta", "_journal.json")
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ idx: number; tag: string }> }
  const underTest = journal.entries.find((entry) => entry.tag.endsWith(tagSuffix))
  if (underTest === undefined) throw new Error(`no migration's tag ends with ${tagSuffix}`)
  journal.entries = journal.entries.filter((entry) => entry.idx < underTest.idx)
  writeFileSync(journalPath, JSON.stringify(journal))
  return {
    sql,
    migrationsBefore,
    drop: async () => {
      await sql.end({ timeout: 5 })
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
      rmSync(migrationsBefore, { recursive: true, force: true })
    }
  }
}
