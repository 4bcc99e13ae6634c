/** Reading form bodies, query strings and path parameters: everything arrives as text. */
import type { FastifyRequest } from 'fastify'
import { AppError, invalid } from '../../infra/errors.ts'

export type Form = Record<string, string>

/** The urlencoded body as strings, trimmed but for passwords (a repeated field keeps its first value). */
export function formOf(request: FastifyRequest): Form {
  const body = (request.body ?? {}) as Record<string, unknown>
  const form: Form = {}
  for (const [key, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string') form[key] = key === 'password' ? first : first.trim()
  }
  return form
}

export function queryOf(request: FastifyRequest): Form {
  return formOf({ body: request.query } as FastifyRequest)
}

export const pageNotFound = () => new AppError('not_found', 'STOREFRONT_PAGE_NOT_FOUND', 'There is no such page in this shop.')

/** A path id: a positive integer, else the page does not exist. */
export function idParam(request: FastifyRequest, name: string): number {
  const raw = (request.params as Record<string, string>)[name] ?? ''
  const id = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(id) || id > 2_147_483_647) throw pageNotFound()
  return id
}

/** `?page=`: 1 to 1,000. */
export function pageNumberOf(query: Form): number {
  const page = Number(query['page'] ?? '1')
  return Number.isInteger(page) && page >= 1 && page <= 1000 ? page : 1
}

/** A field the form must have, at most `max` characters. */
export function required(form: Form, field: string, label: string, max = 200): string {
  const value = form[field] ?? ''
  if (value === '') throw invalid('STOREFRONT_FIELD_REQUIRED', `Please fill in ${label}.`, { field })
  if (value.length > max) throw invalid('STOREFRONT_FIELD_TOO_LONG', `${label} is too long (at most ${max} characters).`, { field })
  return value
}

export function optional(form: Form, field: string, label: string, max = 200): string | undefined {
  return form[field] ? required(form, field, label, max) : undefined
}

/** Where to go after signing in: a path of this shop only, never another site. */
export function localPath(value: string | undefined, fallback: string): string {
  return value && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : fallback
}
