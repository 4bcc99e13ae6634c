/**
 * How fresh a request's replica reads must be: its read floor, a WAL position of the primary that a
 * replica must have replayed to serve them (read-your-writes, see read-router.ts and
 * http/read-your-writes.ts). It rides on the request's statement-counting scope (query-stats.ts),
 * so it needs no async context of its own.
 */
import { currentQueryStats, type QueryStats } from './query-stats.ts'

/** A floor no replica reaches: the request reads from the primary only. */
export const PRIMARY_ONLY = 2n ** 64n

/** `X/Y` (two hex halves of a 64-bit position) → a number that compares. */
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/

export function parseLsn(text: string): bigint {
  const match = LSN.exec(text)
  if (!match) throw new Error(`not a WAL position: "${text}"`)
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)
}

export function isLsn(text: string): boolean {
  return LSN.test(text)
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`
}

/** The current request's floor, looked up on its first replica read; undefined: any healthy replica may serve it. */
export async function currentReadFloor(): Promise<bigint | undefined> {
  const stats = currentQueryStats()
  if (stats === undefined) return undefined
  const lookUp = stats.pendingFloor
  if (lookUp !== undefined) {
    stats.pendingFloor = undefined
    const floor = await lookUp()
    if (floor !== undefined) raiseReadFloor(floor, stats)
  }
  return stats.readFloor
}

/** Raises the current request's floor (never lowers it); outside a request it does nothing. */
export function raiseReadFloor(lsn: bigint, stats: QueryStats | undefined = currentQueryStats()): void {
  if (stats !== undefined && (stats.readFloor === undefined || stats.readFloor < lsn)) stats.readFloor = lsn
}

/**
 * The rest of the current request reads from the primary only: for a workflow that decides on what
 * it reads (a sale checks prices and stock), where a replica's copy may be behind.
 */
export function requireFreshReads(): void {
  raiseReadFloor(PRIMARY_ONLY)
}
