/**
 * The floor: the rows already resolved to ids, streamed with `COPY … FROM STDIN` straight into the
 * target tables in one transaction — no lookups, no merge, no conflicts checked by the bench: what
 * PostgreSQL itself needs to take the rows, the limit any import here can approach. PostgreSQL
 * only: PGlite has no COPY from a client stream.
 */
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { type CopyTarget, copyInput, copyTargets } from './generate.ts'
import type { Operation } from './options.ts'
import type { World } from './setup.ts'

export const FLOOR_ON_PGLITE = 'floor: PostgreSQL only (COPY from a client stream); not run on PGlite'

export interface Floor {
  /** copies `size` rows; answers the statements sent */
  run(): Promise<number>
  close(): Promise<void>
}

/** Connects (not measured) and, for products, reserves the ids the copied products take. */
export async function openFloor(url: string, world: World, operation: Operation, size: number): Promise<Floor> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const firstId = operation === 'products' ? await reserveProductIds(client, size) : 0
    const targets = copyTargets(world, operation, firstId)
    return { run: () => copyAll(client, targets, size), close: () => client.end() }
  } catch (error) {
    await client.end()
    throw error
  }
}

async function reserveProductIds(client: pg.Client, size: number): Promise<number> {
  const { rows } = await client.query<{ first: string }>(
    `select nextval(pg_get_serial_sequence('product', 'id')) as first`,
  )
  const first = Number(rows[0]!.first)
  await client.query(`select setval(pg_get_serial_sequence('product', 'id'), $1)`, [first + size])
  return first
}

async function copyAll(client: pg.Client, targets: CopyTarget[], size: number): Promise<number> {
  await client.query('begin')
  try {
    for (const target of targets) {
      // identity columns take COPY's values as given (as OVERRIDING SYSTEM VALUE would)
      const copy = client.query(copyFrom(`copy ${target.table} (${target.columns.join(', ')}) from stdin`))
      await pipeline(copyInput(target, size), copy)
    }
    await client.query('commit')
  } catch (error) {
    await client.query('rollback')
    throw error
  }
  return targets.length + 2
}
