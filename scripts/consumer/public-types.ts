/**
 * Every published package's whole public API, so that the app's compile
 * (`skipLibCheck: false`) reads every declaration a user can reach.
 */
import * as Core from "@boxoffice/core"
import * as Http from "@boxoffice/http"
import * as Memory from "@boxoffice/memory"
import * as Postgres from "@boxoffice/postgres"
import * as Redis from "@boxoffice/redis"
import * as Testing from "@boxoffice/testing"

export const packages = { Core, Http, Memory, Postgres, Redis, Testing }
