import Vapor

/// The first-run setup page: plain HTML with an external script (the CSP forbids inline code).
enum WebPages {
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    @Sendable static func setup(req: Request) async throws -> Response {
        page(setupHTML, type: .html)
    }

    @Sendable static func setupScript(req: Request) async throws -> Response {
        page(setupJS, type: HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"]))
    }

    private static func page(_ text: String, type: HTTPMediaType) -> Response {
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = type
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    static let setupHTML = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Set up Cadenza</title>
        <link rel="icon" href="/app/icons/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/app/style.css">
        <script type="module" src="/static/setup.js"></script>
        </head>
        <body>
        <main class="auth-card">
        <img class="logo" src="/app/icons/icon.svg" alt="" width="48" height="48">
        <h1>Welcome to Cadenza</h1>
        <p>Create the first administrator account.</p>
        <form id="setup">
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required maxlength="64">
        <label for="password">Password (at least 8 characters)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
        <button type="submit">Create administrator</button>
        </form>
        <p id="status" role="status" aria-live="polite"></p>
        </main>
        </body>
        </html>
        """

    static let setupJS = """
        const form = document.getElementById('setup');
        const status = document.getElementById('status');
        const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
        if (!token) status.textContent = 'This page needs the setup link the server printed when it started.';
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          status.textContent = 'Creating…';
          try {
            const response = await fetch('/api/v1/setup', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ token, username: form.username.value, password: form.password.value }),
            });
            const body = await response.json().catch(() => ({}));
            if (!response.ok) {
              status.textContent = (body.error && body.error.message) || `Setup failed (${response.status}).`;
              return;
            }
            status.textContent = `Administrator ${body.user.username} created. You are signed in. `;
            const open = document.createElement('a');
            open.href = '/';
            open.textContent = 'Open Cadenza';
            status.append(open);
            form.hidden = true;
            history.replaceState(null, '', '/setup');
            open.focus();
          } catch (error) {
            status.textContent = 'The server could not be reached. Is it running?';
          }
        });
        """
}
