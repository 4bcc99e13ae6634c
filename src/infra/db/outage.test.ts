import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { AppError } from '../errors.ts'
import { connectPostgres } from './connect.ts'
import { ConnectionCircuit, DatabaseUnavailableError, isDatabaseUnavailable, meansServerDown } from './outage.ts'

function serverError(code: string, message = `server said ${code}`): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error')
  error.code = code
  return error
}

const systemError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.7:5432`), { code })

test('connection failures, shutdowns and refused sessions are outages; a wrong request or data is not', () => {
  const outages = [
    systemError('ECONNREFUSED'),
    systemError('ECONNRESET'),
    systemError('ETIMEDOUT'),
    systemError('EPIPE'),
    new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'connect failed'),
    serverError('57P01', 'terminating connection due to administrator command'),
    serverError('57P02'),
    serverError('57P03', 'the database system is shutting down'),
    serverError('53300', 'sorry, too many clients already'),
    serverError('08006'),
    serverError('08P01'),
    new Error('Connection terminated unexpectedly'),
    new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated') }),
    new Error('timeout expired'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Client has encountered a connection error and is not queryable'),
    new DatabaseUnavailableError(0, 10, systemError('ECONNREFUSED')),
  ]
  for (const error of outages) assert.equal(isDatabaseUnavailable(error), true, `${error.message} is an outage`)

  const others = [
    serverError('23505', 'duplicate key value violates unique constraint'),
    serverError('40001'),
    serverError('57014', 'canceling statement due to statement timeout'),
    serverError('28P01', 'password authentication failed'),
    serverError('3D000', 'database "shop" does not exist'),
    // the message alone proves nothing: the code is what the driver sets
    new Error('connect ECONNREFUSED 10.0.0.7:5432'),
    new AppError('unavailable', 'SOMETHING_ELSE', 'not a database error'),
    new TypeError('Cannot read properties of null'),
  ]
  for (const error of others) assert.equal(isDatabaseUnavailable(error), false, `${error.message} is not an outage`)
  assert.equal(isDatabaseUnavailable(undefined), false)
  assert.equal(isDatabaseUnavailable('ECONNREFUSED'), false)
})

test('a busy pool or a full server is an outage for the request, but does not mean the server is down', () => {
  assert.equal(meansServerDown(systemError('ECONNREFUSED')), true)
  assert.equal(meansServerDown(serverError('57P03')), true)
  assert.equal(meansServerDown(new Error('timeout expired')), true)
  assert.equal(meansServerDown(serverError('53300')), false)
  assert.equal(meansServerDown(new Error('timeout exceeded when trying to connect')), false)
  assert.equal(meansServerDown(serverError('23505')), false)
})

/** A circuit over a connect that does what the test says, on a clock the test moves. */
function circuitWithFakes() {
  let now = 1000
  const calls: string[] = []
  let next: () => Promise<string> = async () => 'connection'
  const circuit = new ConnectionCircuit(
    () => {
      calls.push(`connect at ${now}`)
      return next()
    },
    { retryIntervalMs: 250, now: () => now },
  )
  return {
    circuit,
    calls,
    advance: (ms: number) => {
      now += ms
    },
    willConnect: (fn: () => Promise<string>) => {
      next = fn
    },
  }
}

test('with the server down, requests are refused without connecting, one trial per interval, until one connects', async () => {
  const { circuit, calls, advance, willConnect } = circuitWithFakes()
  assert.equal(await circuit.acquire(), 'connection')
  willConnect(() => Promise.reject(systemError('ECONNREFUSED')))
  await assert.rejects(circuit.acquire(), { code: 'ECONNREFUSED' })
  assert.equal(circuit.isOpen, true)

  advance(100)
  const refused = await circuit.acquire().catch((e: unknown) => e)
  assert.ok(refused instanceof DatabaseUnavailableError)
  assert.match(refused.message, /connecting failed 100 ms ago \(connect ECONNREFUSED 10\.0\.0\.7:5432\)/)
  assert.equal(calls.length, 2, 'no attempt within the interval')

  advance(150)
  await assert.rejects(circuit.acquire(), { code: 'ECONNREFUSED' }, 'the trial fails too')
  assert.equal(calls.length, 3)
  await assert.rejects(circuit.acquire(), DatabaseUnavailableError, 'the interval starts again from the failed trial')

  advance(250)
  let connect!: (value: string) => void
  willConnect(() => new Promise((resolve) => (connect = resolve)))
  const trial = circuit.acquire()
  await assert.rejects(circuit.acquire(), DatabaseUnavailableError, 'one trial at a time')
  connect('back')
  assert.equal(await trial, 'back')
  assert.equal(circuit.isOpen, false)
  willConnect(async () => 'connection')
  assert.deepEqual(await Promise.all([circuit.acquire(), circuit.acquire()]), ['connection', 'connection'])
  assert.equal(calls.length, 6)
})

test('a busy pool, a full server or a refused login leaves the circuit closed', async () => {
  const { circuit, calls, willConnect } = circuitWithFakes()
  for (const error of [new Error('timeout exceeded when trying to connect'), serverError('53300'), serverError('28P01')]) {
    willConnect(() => Promise.reject(error))
    await assert.rejects(circuit.acquire(), (e) => e === error)
    assert.equal(circuit.isOpen, false, error.message)
  }
  willConnect(async () => 'connection')
  assert.equal(await circuit.acquire(), 'connection')
  assert.equal(calls.length, 4)
})

test('a server that never answers: the first request fails at the 1 s connect timeout, the next at once', async () => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const { port } = silent.address() as net.AddressInfo
  const db = connectPostgres({ url: `postgres://brisk@127.0.0.1:${port}/brisk`, poolSize: 2, statementTimeoutMs: 0 })
  try {
    let start = performance.now()
    const first = await sql`select 1`.execute(db.primary).catch((e: unknown) => e)
    const firstMs = performance.now() - start
    assert.ok(isDatabaseUnavailable(first), String(first))
    assert.ok(firstMs >= 900 && firstMs < 2000, `the first waited for the connect timeout: ${firstMs.toFixed(0)} ms`)

    start = performance.now()
    const second = await sql`select 1`.execute(db.primary).catch((e: unknown) => e)
    assert.ok(second instanceof DatabaseUnavailableError, String(second))
    assert.ok(performance.now() - start < 50, 'the next is refused without waiting')
  } finally {
    await db.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  }
})
