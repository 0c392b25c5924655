// Local stack: the sign-in page of the local authorization server, standing in for Cognito's hosted UI. Plain HTML,
// no script: labelled fields, the error announced to screen readers, every value HTML-escaped.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The authorization request travels through the form as hidden fields, so the POST can re-check all of it. */
const CARRIED = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

export function loginPage(opts: { params?: URLSearchParams; error?: string; fatal?: string }): string {
  const hidden = CARRIED.flatMap((name) => {
    const v = opts.params?.get(name);
    return v === null || v === undefined ? [] : [`<input type="hidden" name="${name}" value="${escape(v)}">`];
  }).join('\n      ');
  const username = opts.params?.get('username') ?? '';
  const body = opts.fatal
    ? `<h1>Sign-in request refused</h1>
    <p role="alert">${escape(opts.fatal)}</p>
    <p><a href="/console/">Back to the console</a></p>`
    : `<h1>Sign in to Escalator</h1>
    <p class="hint">Local stack: the user <code>ops</code> / <code>ops-local-password</code> holds every scope.</p>
    ${opts.error ? `<p role="alert" class="error" id="error">${escape(opts.error)}</p>` : ''}
    <form method="post" action="/oauth2/authorize">
      ${hidden}
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required value="${escape(username)}"${opts.error ? ' aria-describedby="error"' : ' autofocus'}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required${opts.error ? ' autofocus' : ''}>
      <button type="submit">Sign in</button>
    </form>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in · Escalator</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
    main { max-width: 22rem; margin: 10vh auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
    h1 { font-size: 1.4rem; margin-top: 0; }
    label { display: block; margin-top: 1rem; font-weight: 600; }
    input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; border: 1px solid #5c6370; border-radius: 4px; }
    input:focus, button:focus { outline: 3px solid #1a56db; outline-offset: 1px; }
    button { margin-top: 1.5rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: #1a56db; border: 0; border-radius: 4px; cursor: pointer; }
    .error { color: #a40e26; font-weight: 600; }
    .hint { color: #4a5060; font-size: .9rem; }
  </style>
</head>
<body>
  <main>
    ${body}
  </main>
</body>
</html>`;
}
