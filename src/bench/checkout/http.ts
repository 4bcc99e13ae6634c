/**
 * POSTs over one kept-alive loopback socket, a request in flight at a time, read with the load
 * client's parser (status, Server-Timing, body): node:http would cost this process several times as
 * much per request, and on two cores that CPU is taken from the server being measured.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { readResponse } from '../http-load.client.ts'

export interface Answer {
  status: number
  statements: number
  /** the server's time awaiting the database (Server-Timing) */
  dbMs: number
  body: Buffer
  /** from the request's first byte written to the response's last byte read */
  ms: number
}

export interface Connection {
  /** `headers`: extra header lines, each ending in \r\n */
  post(path: string, body: string, headers?: string): Promise<Answer>
  close(): void
}

export function openConnection(port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    const host = `host: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n`
    let buffered: Buffer | undefined
    let waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void; sentAt: number } | undefined
    let failure: Error | undefined
    const fail = (error: Error) => {
      failure ??= error
      const w = waiting
      waiting = undefined
      w?.reject(error)
    }
    const connection: Connection = {
      post(path, body, headers = '') {
        if (failure) return Promise.reject(failure)
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject, sentAt: performance.now() }
          socket.write(`POST ${path} HTTP/1.1\r\n${host}content-length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`)
        })
      },
      close: () => socket.destroy(),
    }
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk])
      let response: ReturnType<typeof readResponse>
      try {
        response = readResponse(buffered)
      } catch (error) {
        fail(error as Error)
        socket.destroy()
        return
      }
      if (response === undefined) return
      buffered = response.end === buffered.length ? undefined : buffered.subarray(response.end)
      const w = waiting
      waiting = undefined
      w?.resolve({ ...response, ms: performance.now() - w.sentAt })
    })
    socket.once('connect', () => resolve(connection))
    socket.on('error', (error) => {
      reject(error)
      fail(error)
    })
    socket.on('close', () => fail(new Error('the server closed the connection')))
  })
}

/** An answer's JSON error code, for a table of refusals. */
export function errorCodeOf(answer: Answer): string {
  try {
    return String((JSON.parse(answer.body.toString()) as { error?: { code?: string } }).error?.code ?? `HTTP ${answer.status}`)
  } catch {
    return `HTTP ${answer.status}`
  }
}
