/**
 * The floor: the statements Brisk sends for GET /api/products/:id with the cache off, sent straight
 * to the primary with pg from `clients` connections of their own — no HTTP, no Brisk — in this
 * process. It tells what one PostgreSQL node gives on this machine: when Brisk over the primary
 * alone is far below it, the database is not what limits the reads, and replicas cannot raise them.
 */
import { performance } from 'node:perf_hooks'
import pg from 'pg'

/**
 * findProductDocs and findCategoriesByIds as Kysely compiles them (src/modules/catalog/
 * catalog.repository.sql records both; the bench's test checks these are still the same).
 */
export const PRODUCT_SQL =
  'select "p".*, "c"."name" as "category_name", "c"."parent_id" as "category_parent_id", "c"."created_at" as "category_created_at", ' +
  '(select coalesce(json_agg(agg), \'[]\') from (select "pu"."unit_code" as "unit", pu.factor::text as "factor", "pu"."barcode" ' +
  'from "product_unit" as "pu" where "pu"."product_id" = "p"."id" order by "pu"."unit_code") as agg) as "units" ' +
  'from "product" as "p" left join "category" as "c" on "c"."id" = "p"."category_id" ' +
  'where ("p"."id" = any($1) or "p"."sku" = any($2)) order by "p"."id"'
export const CATEGORY_SQL = 'select * from "category" where "id" = any($1) order by "id"'
export const FLOOR_STATEMENTS_PER_READ = 2

export interface FloorOutcome {
  reads: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
  /** each read's time (both statements), in ms */
  latencies: number[]
}

export interface Floor {
  run(durationMs: number, signal: AbortSignal): Promise<FloorOutcome>
  close(): Promise<void>
}

/** `ids[sequence[k]]` is the k-th product read, over and over, as the HTTP variants read them. */
export async function openFloor(url: string, clients: number, ids: readonly number[], sequence: readonly number[]): Promise<Floor> {
  const connections = Array.from({ length: clients }, () => {
    const client = new pg.Client({ connectionString: url, application_name: 'brisk bench floor' })
    // a connection lost (Ctrl+C stops the cluster) fails its read; unheard, the client's 'error' would end the process
    client.on('error', () => {})
    return client
  })
  try {
    await Promise.all(connections.map((c) => c.connect()))
  } catch (error) {
    await Promise.all(connections.map((c) => c.end().catch(() => {})))
    throw error
  }
  let next = 0
  const readProduct = async (client: pg.Client) => {
    const id = ids[sequence[next++ % sequence.length]!]!
    const { rows } = await client.query<{ category_id: string | null }>(PRODUCT_SQL, [[id], []])
    const categoryId = rows[0]?.category_id
    if (categoryId === undefined) throw new Error(`no product ${id}`)
    if (categoryId !== null) await client.query(CATEGORY_SQL, [[categoryId]])
  }
  return {
    async run(durationMs, signal) {
      const outcome: FloorOutcome = { reads: 0, errors: 0, firstError: undefined, elapsedMs: 0, latencies: [] }
      const start = performance.now()
      const end = start + durationMs
      const loop = async (client: pg.Client) => {
        while (!signal.aborted && performance.now() < end) {
          const sent = performance.now()
          try {
            await readProduct(client)
            outcome.reads += 1
            outcome.latencies.push(performance.now() - sent)
          } catch (error) {
            outcome.errors += 1
            outcome.firstError ??= (error as Error).message
          }
        }
      }
      await Promise.all(connections.map(loop))
      outcome.elapsedMs = performance.now() - start
      return outcome
    },
    close: async () => {
      await Promise.all(connections.map((c) => c.end().catch(() => {})))
    },
  }
}
