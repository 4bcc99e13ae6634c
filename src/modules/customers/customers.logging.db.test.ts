import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { loadConfig } from '../../config/config.ts'
import { createHttpServer } from '../../infra/http/server.ts'
import { createCustomersService, registerCustomerAuthentication, registerCustomerRoutes } from './index.ts'

describeEachDatabase('customers: what the logs hold', (ctx) => {
  test('passwords and session tokens never reach the log, even at debug level', async () => {
    const lines: string[] = []
    const http = await createHttpServer(loadConfig({}, { logLevel: 'debug' }), { logStream: { write: (line) => lines.push(line) } })
    try {
      const customers = createCustomersService(ctx.db)
      registerCustomerAuthentication(http, customers)
      registerCustomerRoutes(http, customers)
      const send = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object, token?: string) =>
        http.inject({ method, url, ...(payload ? { payload } : {}), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) })
      const password = 'first-secret-passphrase'
      const newPassword = 'second-secret-passphrase'
      const signedUp = await send('POST', '/api/store/customers', { email: 'log@example.com', name: 'Log', password })
      assert.equal(signedUp.statusCode, 201, signedUp.body)
      const token: string = signedUp.json().token
      await send('POST', '/api/store/sessions', { email: 'log@example.com', password: 'wrong-secret-passphrase' })
      await send('POST', '/api/store/sessions', { email: 'log@example.com', password })
      await send('POST', '/api/store/customers', { email: 'log@example.com', name: 'Log', password })
      await send('PATCH', '/api/store/me', { newPassword: 'x', currentPassword: password }, token)
      await send('PATCH', '/api/store/me', { newPassword, currentPassword: password }, token)
      await send('GET', '/api/store/me', undefined, token)
      const log = lines.join('')
      assert.ok(lines.length >= 7, `every request was logged:\n${log}`)
      for (const secret of [password, newPassword, 'wrong-secret-passphrase', token, 'scrypt$']) {
        assert.ok(!log.includes(secret), `the log holds ${secret}:\n${log}`)
      }
    } finally {
      await http.close()
    }
  })
})
