// The console's entry: routes the address to a page (queue, case, sign-in callback) and shows who is signed in.
// Pages are plain functions that fill <main> and return how to stop their polling.
import { completeSignIn, session, signIn, signOut } from './auth.ts';
import { h, replace } from './dom.ts';
import { startTicker } from './live.ts';
import { queuePage } from './queue-page.ts';
import { casePage } from './case-page.ts';

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
  startTicker();
  const caseMatch = /^\/console\/cases\/([^/]+)$/.exec(path);
  if (caseMatch) casePage(main, decodeURIComponent(caseMatch[1]!), s);
  else if (path === '/console') queuePage(main);
  else replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/console/' }, '← Queue')));
}

void boot();
