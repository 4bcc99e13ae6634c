import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Password hashes are self-describing, `scrypt$N$r$p$salt$hash` (salt and hash base64url), so the
 * cost can be raised later while the hashes stored so far still verify with their own parameters.
 */
export const PASSWORD_COST = Object.freeze({ N: 2 ** 15, r: 8, p: 1 })
const KEY_BYTES = 32
const SALT_BYTES = 16

interface Cost {
  N: number
  r: number
  p: number
}

function derive(password: string, salt: Buffer, cost: Cost): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly N=2^15, r=8, with no room.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

export async function hashPassword(password: string, cost: Cost = PASSWORD_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, cost)
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

const STORED = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([\w-]{16,})\$([\w-]{16,})$/

/** True when `password` is the one `stored` was made from; false for a hash of an unknown form. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = STORED.exec(stored)
  if (!parts) return false
  const cost = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) }
  const expected = Buffer.from(parts[5]!, 'base64url')
  const key = await derive(password, Buffer.from(parts[4]!, 'base64url'), cost)
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/** True when `stored` was made with other parameters than today's: sign-in then stores a new hash. */
export function needsRehash(stored: string, cost: Cost = PASSWORD_COST): boolean {
  return !stored.startsWith(`scrypt$${cost.N}$${cost.r}$${cost.p}$`)
}

let dummy: Promise<string> | undefined

/**
 * A hash of a password nobody knows, at today's cost: sign-in verifies against it when the email
 * is unknown, so an unknown email takes as long as a wrong password.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'))
  return dummy
}
