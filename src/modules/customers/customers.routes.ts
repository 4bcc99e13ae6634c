import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { AddAddressBody, Address, AddressList, Customer, Session, SignInBody, SignUpBody, UpdateAddressBody, UpdateMeBody } from './customers.schemas.ts'
import {
  type CustomerSession,
  type CustomersService,
  customerUnauthenticated,
  isCustomerSessionToken,
  SESSION_DAYS,
} from './customers.service.ts'

declare module 'fastify' {
  interface FastifyRequest {
    customer: CustomerSession | null
  }
}

/**
 * The session token a request carries: a bearer token (headless clients). The storefront's cookie
 * will be read here too, so that every way in meets the one lookup, authenticateSession.
 */
function sessionTokenOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  return match?.[1] !== undefined && isCustomerSessionToken(match[1]) ? match[1] : undefined
}

/**
 * Reads a shopper's session token (if any) into `request.customer`. An unknown, expired or revoked
 * session leaves it null rather than refusing the request: signing up or in with a stale token
 * still works, and routes that need a customer refuse it with customerOf.
 */
export function registerCustomerAuthentication(app: HttpServer, customers: CustomersService): void {
  app.decorateRequest('customer', null)
  app.addHook('preHandler', (request, _reply, done) => {
    const token = sessionTokenOf(request)
    if (token === undefined) return done()
    customers.authenticateSession(token).then((session) => {
      request.customer = session
      done()
    }, done)
  })
}

export function customerOf(request: FastifyRequest): CustomerSession {
  if (!request.customer) {
    throw customerUnauthenticated(
      'This needs a signed-in customer: send "Authorization: Bearer <token>" with a token from sign-in or sign-up that has not expired or been signed out.',
    )
  }
  return request.customer
}

const tags = ['store: customers']
const SIGNED_IN = 'Needs a customer session token: "Authorization: Bearer bcs_…".'

/** Answers that carry a session token or an account's details are never stored by a cache. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')

function registerSessionRoutes(app: HttpServer, customers: CustomersService): void {
  app.post(
    '/api/store/customers',
    {
      schema: {
        tags,
        summary: 'Sign up',
        description: `Creates a shopper account and signs it in: the session lasts ${SESSION_DAYS} days. 409 when an account has this email, whatever its case.`,
        body: SignUpBody,
        response: { 201: Session, ...errorResponses(400, 409) },
      },
    },
    async (request, reply) => noStore(reply).status(201).send(await customers.signUp(request.body)),
  )

  app.post(
    '/api/store/sessions',
    {
      schema: {
        tags,
        summary: 'Sign in',
        description: `Answers a session token that lasts ${SESSION_DAYS} days. An unknown email and a wrong password get the same 401 (CUSTOMERS_SIGN_IN_FAILED). With cartToken, that guest cart's lines move into the customer's cart (an unknown or expired one is ignored).`,
        body: SignInBody,
        response: { 201: Session, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => noStore(reply).status(201).send(await customers.signIn(request.body)),
  )

  app.delete(
    '/api/store/sessions/current',
    {
      schema: {
        tags,
        summary: 'Sign out',
        description: `Revokes the session the request is sent with: its token is refused from now on. ${SIGNED_IN}`,
        response: { 204: Type.Null(), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await customers.signOut(customerOf(request))
      return reply.status(204).send(null)
    },
  )
}

function registerAccountRoutes(app: HttpServer, customers: CustomersService): void {
  app.get(
    '/api/store/me',
    {
      schema: { tags, summary: 'The signed-in account', description: SIGNED_IN, response: { 200: Customer, ...errorResponses(401) } },
    },
    async (request, reply) => noStore(reply).send(customers.getMe(customerOf(request))),
  )

  app.patch(
    '/api/store/me',
    {
      schema: {
        tags,
        summary: 'Change the signed-in account',
        description: `A new password needs the current one (403 when it is wrong) and signs out every other session of the account. ${SIGNED_IN}`,
        body: UpdateMeBody,
        response: { 200: Customer, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => noStore(reply).send(await customers.updateMe(customerOf(request), request.body)),
  )
}

function registerAddressRoutes(app: HttpServer, customers: CustomersService): void {
  const notYours = "Another customer's address is answered 404, as one that does not exist."
  app.get(
    '/api/store/me/addresses',
    {
      schema: {
        tags,
        summary: "The signed-in customer's addresses",
        description: `In the order they were added. ${SIGNED_IN}`,
        response: { 200: AddressList, ...errorResponses(401) },
      },
    },
    async (request, reply) => noStore(reply).send({ items: await customers.listAddresses(customerOf(request)) }),
  )

  app.post(
    '/api/store/me/addresses',
    {
      schema: {
        tags,
        summary: 'Add an address',
        description: `An address added as the default takes the flag from the previous default. ${SIGNED_IN}`,
        body: AddAddressBody,
        response: { 201: Address, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => noStore(reply).status(201).send(await customers.addAddress(customerOf(request), request.body)),
  )

  app.patch(
    '/api/store/me/addresses/:id',
    {
      schema: {
        tags,
        summary: 'Change an address',
        description: `Fields left out keep their values; null clears label, line2 or phone. ${notYours} ${SIGNED_IN}`,
        params: IdParams,
        body: UpdateAddressBody,
        response: { 200: Address, ...errorResponses(400, 401, 404, 422) },
      },
    },
    async (request, reply) =>
      noStore(reply).send(await customers.updateAddress(customerOf(request), request.params.id, request.body)),
  )

  app.delete(
    '/api/store/me/addresses/:id',
    {
      schema: {
        tags,
        summary: 'Delete an address',
        description: `${notYours} ${SIGNED_IN}`,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await customers.deleteAddress(customerOf(request), request.params.id)
      return reply.status(204).send(null)
    },
  )
}

export function registerCustomerRoutes(app: HttpServer, customers: CustomersService): void {
  registerSessionRoutes(app, customers)
  registerAccountRoutes(app, customers)
  registerAddressRoutes(app, customers)
}
