/**
 * Sign-up, sign-in, sign-out and the account page. Signing up or in puts the customers module's
 * session token in the session cookie and moves a guest cart into the customer's (the cart cookie
 * is then dropped: the customer's cart is found by the customer). A refused form is rendered
 * again, filled in (never the password), with the reason.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, invalid } from '../../../infra/errors.ts'
import { checkCsrf } from '../storefront.csrf.ts'
import { type Form, formOf, localPath, queryOf, required } from '../storefront.forms.ts'
import { redirectAfterPost, type Storefront, sendPrivatePage } from '../storefront.render.ts'
import { COOKIES, clearCookie, flashed, setFlash, setSessionCookie } from '../storefront.sessions.ts'
import { shopperOf } from './cart.pages.ts'

const PASSWORD_MIN = 10
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

function signUpInput(form: Form) {
  const email = required(form, 'email', 'your email', 254)
  if (!EMAIL.test(email)) throw invalid('STOREFRONT_EMAIL_INVALID', 'That email address does not look right.', { field: 'email' })
  const password = form['password'] ?? ''
  if (password.length < PASSWORD_MIN || password.length > 200) {
    throw invalid('STOREFRONT_PASSWORD_LENGTH', `Choose a password of ${PASSWORD_MIN} to 200 characters.`, { field: 'password' })
  }
  return { email, name: required(form, 'name', 'your name'), password }
}

async function formPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply, view: 'sign-in' | 'sign-up', form: Form, error?: string) {
  const next = localPath(form['next'], '/account')
  const { password: _never, ...shown } = form
  return sendPrivatePage(storefront, request, reply, {
    view,
    status: error ? 422 : 200,
    data: { title: view === 'sign-in' ? 'Sign in' : 'Create an account', form: shown, next, error },
  })
}

/** Signs the visitor in with a new session: its cookie set, the guest cart's cookie dropped. */
async function startSession(storefront: Storefront, request: FastifyRequest, reply: FastifyReply, session: { token: string; expiresAt: string; customer: { name: string } }, form: Form) {
  await storefront.summaries.forget(request.visitor)
  setSessionCookie(request, reply, session.token, session.expiresAt)
  if (request.visitor.cartToken !== undefined) clearCookie(reply, COOKIES.cart)
  setFlash(request, reply, { kind: 'ok', text: `Welcome, ${session.customer.name}!` })
  return redirectAfterPost(reply, flashed(request, reply, localPath(form['next'], '/account')))
}

/** A refusal the shopper can fix is shown on the form; anything else is the error page's. */
function refusalText(error: unknown): string {
  if (error instanceof AppError && error.kind !== 'unavailable') return error.message
  throw error
}

async function signUp(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  checkCsrf(request)
  const form = formOf(request)
  const { customers, orders } = storefront.services
  let session: Awaited<ReturnType<typeof customers.signUp>>
  try {
    session = await customers.signUp(signUpInput(form))
  } catch (error) {
    return formPage(storefront, request, reply, 'sign-up', form, refusalText(error))
  }
  const cartToken = request.visitor.cartToken
  if (cartToken !== undefined) await orders.mergeGuestCart(session.customer.id, cartToken)
  return startSession(storefront, request, reply, session, form)
}

async function signIn(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  checkCsrf(request)
  const form = formOf(request)
  try {
    const session = await storefront.services.customers.signIn({
      email: required(form, 'email', 'your email', 254),
      password: form['password'] ?? '',
      cartToken: request.visitor.cartToken,
    })
    return await startSession(storefront, request, reply, session, form)
  } catch (error) {
    return formPage(storefront, request, reply, 'sign-in', form, refusalText(error))
  }
}

async function signOut(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  checkCsrf(request)
  const { session } = await shopperOf(storefront, request, reply)
  if (session) await storefront.services.customers.signOut(session)
  await storefront.summaries.forget(request.visitor)
  clearCookie(reply, COOKIES.session)
  setFlash(request, reply, { kind: 'ok', text: 'You are signed out.' })
  return redirectAfterPost(reply, flashed(request, reply, '/'))
}

async function accountPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { session } = await shopperOf(storefront, request, reply)
  if (!session) return redirectAfterPost(reply, '/sign-in?next=/account')
  const orders = await storefront.services.orders.listMyOrders(session.customer.id, { limit: 20 })
  return sendPrivatePage(storefront, request, reply, {
    view: 'account',
    data: { title: 'Your account', customer: session.customer, orders: orders.items },
  })
}

export function registerAccountPages(app: FastifyInstance, storefront: Storefront): void {
  app.get('/sign-in', (request, reply) => formPage(storefront, request, reply, 'sign-in', queryOf(request)))
  app.get('/sign-up', (request, reply) => formPage(storefront, request, reply, 'sign-up', queryOf(request)))
  app.post('/sign-in', (request, reply) => signIn(storefront, request, reply))
  app.post('/sign-up', (request, reply) => signUp(storefront, request, reply))
  app.post('/sign-out', (request, reply) => signOut(storefront, request, reply))
  app.get('/account', (request, reply) => accountPage(storefront, request, reply))
}
