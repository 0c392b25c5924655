// The console's entry: routes the address to a page (queue, case, kept-aside email, sign-in callback) and shows who
// is signed in, with the pages their scopes open.
// Pages are plain functions that fill <main> and return how to stop their polling.
import { can, completeSignIn, session, signIn, signOut } from './auth.ts';
import { h, replace } from './dom.ts';
import { startTicker } from './live.ts';
import { queuePage } from './queue-page.ts';
import { casePage } from './case-page.ts';
import { inboundPage } from './inbound-page.ts';

async function boot() {
  const main = document.getElementById('main')!;
  const path = location.pathname.replace(/\/+$/, '');
  if (path === '/console/callback') {
    try {
      location.replace(await completeSignIn());
    } catch (e) {
      replace(main, h('h1', {}, 'Sign-in failed'), h('p', { role: 'alert' }, (e as Error).message), h('p', {}, h('a', { href: '/console/' }, 'Try again')));
    }
    return;
  }
  if (path === '/console/signed-out') {
    replace(main, h('h1', {}, 'Signed out'), h('p', {}, h('a', { href: '/console/' }, 'Sign in again')));
    return;
  }
  const s = session();
  if (!s) return signIn();
  replace(document.getElementById('who')!, h('span', {}, 'Signed in as ', h('strong', {}, s.username), h('span', { class: 'muted small' }, ` (${s.scopes.join(', ')})`)), ' ', h('button', { type: 'button', class: 'secondary', onclick: () => void signOut() }, 'Sign out'));
  replace(
    document.getElementById('nav')!,
    h('a', { href: '/console/', ...(path === '/console' ? { 'aria-current': 'page' } : {}) }, 'Queue'),
    // Managers only (the API answers 403 to anyone else).
    can(s, 'cases/manage') ? h('a', { href: '/console/inbound', ...(path === '/console/inbound' ? { 'aria-current': 'page' } : {}) }, 'Kept-aside email') : null,
  );
  startTicker();
  const caseMatch = /^\/console\/cases\/([^/]+)$/.exec(path);
  if (caseMatch) casePage(main, decodeURIComponent(caseMatch[1]!), s);
  else if (path === '/console') queuePage(main);
  else if (path === '/console/inbound') inboundPage(main);
  else replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/console/' }, '← Queue')));
}

void boot();
