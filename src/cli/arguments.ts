/** Parsers for command-line values: a bad value is refused by commander before any database work. */
import { InvalidArgumentError } from 'commander'

export function wholeNumber(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what}: a whole number from ${min} to ${max}.`)
    }
    return n
  }
}

export const parsePort = wholeNumber(0, 65535, 'a port')

export function parseHost(value: string): string {
  if (!/^[\w.:-]+$/.test(value)) throw new InvalidArgumentError('an address such as 127.0.0.1, 0.0.0.0 or ::1.')
  return value
}

export function parseDate(value: string): string {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  const parsed = date ? new Date(`${value}T00:00:00Z`) : undefined
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('a date such as 2026-01-31.')
  }
  return value
}

export function parseTimeZone(value: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value })
  } catch {
    throw new InvalidArgumentError('an IANA time zone such as Europe/Berlin or UTC.')
  }
  return value
}

/** The pattern of location codes in the API schemas. */
export function parseLocationCode(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(value)) throw new InvalidArgumentError('a location code such as MAIN (letters, digits, _ and -).')
  return value
}

export function parseName(value: string): string {
  const name = value.trim()
  if (name === '') throw new InvalidArgumentError('a name that is not empty.')
  return name
}
