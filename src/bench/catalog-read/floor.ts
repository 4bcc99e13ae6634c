import Fastify from 'fastify'
import type { HttpServer } from '../../infra/http/server.ts'

/** The floor's route: the same JSON bytes as a product read, from a constant — no lookup, no serialization. */
export const BENCH_FLOOR_PATH = '/bench/floor'

/**
 * With `--workers N` the bench runs `brisk serve`, which registers the floor (registerBenchFloor)
 * when this variable holds its bytes.
 */
export const BENCH_FLOOR_ENV = 'BRISK_BENCH_FLOOR'

/** Filled in once the bytes are known (a product read through the same app); routes cannot be added later. */
export interface FloorBody {
  bytes: Buffer
}

const JSON_TYPE = 'application/json; charset=utf-8'

function answerFloor(body: FloorBody) {
  return (_request: unknown, reply: { type(value: string): { send(payload: Buffer): unknown } }) => {
    reply.type(JSON_TYPE).send(body.bytes)
  }
}

/** The floor on Brisk's own app: every request passes Brisk's hooks (request id, statement count, metrics, auth). */
export function registerBenchFloor(http: HttpServer, body: FloorBody): void {
  http.get(BENCH_FLOOR_PATH, { schema: { hide: true } }, answerFloor(body))
}

/** The same route on a Fastify of its own in the same process: the cost of Fastify and the network alone. */
export async function startBareFastify(body: FloorBody) {
  const app = Fastify({ logger: false })
  app.get(BENCH_FLOOR_PATH, answerFloor(body))
  const url = new URL(await app.listen({ host: '127.0.0.1', port: 0 }))
  return { port: Number(url.port), close: () => app.close() }
}
